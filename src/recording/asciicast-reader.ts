// Streams an asciicast v2 file: its header, then its events one at a time (bounded memory).

import { createInterface, type Interface } from 'node:readline';
import { VigilError } from '../core/errors.js';
import {
  isKnownEventType,
  parseEventLine,
  parseHeader,
  type AsciicastEvent,
  type AsciicastHeader,
} from './asciicast-format.js';
import { castReadStream } from './cast-source.js';

function lines(path: string): { rl: Interface; close: () => void } {
  const stream = castReadStream(path, { highWaterMark: 256 * 1024 }).setEncoding('utf8');
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  return {
    rl,
    close: () => {
      rl.close();
      stream.destroy();
    },
  };
}

/** The header of an asciicast v2 file. Rejects with BadRequest when the first line is not one. */
export async function readHeader(path: string): Promise<AsciicastHeader> {
  const { rl, close } = lines(path);
  try {
    for await (const line of rl) {
      const h = parseHeader(line);
      if (!h) break;
      return h;
    }
  } finally {
    close();
  }
  throw VigilError.badRequest('not an asciicast v2 recording');
}

/**
 * The events of an asciicast v2 file, in order, after validating its header.
 * Events of unknown types are skipped; a malformed line rejects with BadRequest naming the line.
 * Breaking out of the loop closes the file.
 */
export async function* readAsciicast(path: string): AsyncGenerator<AsciicastEvent> {
  const { rl, close } = lines(path);
  try {
    let n = 0;
    for await (const line of rl) {
      n++;
      if (n === 1) {
        if (!parseHeader(line)) throw VigilError.badRequest('not an asciicast v2 recording');
        continue;
      }
      if (line.length === 0) continue;
      const e = parseEventLine(line);
      if (!e) throw VigilError.badRequest(`recording line ${n} is not an asciicast event`);
      if (isKnownEventType(e.type)) yield { time: e.time, type: e.type, data: e.data };
    }
    if (n === 0) throw VigilError.badRequest('not an asciicast v2 recording');
  } finally {
    close();
  }
}
