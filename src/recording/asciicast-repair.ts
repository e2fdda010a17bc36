// Crash repair: cuts a recording left by a crash back to its last whole event, then measures it like a closed one.

import { closeSync, existsSync, openSync, statSync } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { RecordingHeader, RecordingSummary } from '../core/ports.js';
import { VigilError } from '../core/errors.js';
import { formatHeader, parseEventLine, parseHeader, roundSeconds } from './asciicast-format.js';
import { gzipPaths, readGzipIndexFd } from './cast-gzip.js';
import { openCastSync, type CastSource } from './cast-source.js';
import { sha256File } from './integrity.js';

/** A line longer than this is treated as garbage (the writer's lines stay far below it). */
const MAX_LINE_BYTES = 64 * 1024 * 1024;
const READ_CHUNK = 1024 * 1024;

export interface RepairOptions {
  /** Header written when the crash left no whole header; default 80x24 at the file's modification time. */
  fallbackHeader?: RecordingHeader;
}

interface Scan {
  /** 'torn': the file holds no newline and no parseable header, i.e. the crash came before the header was durable. */
  header: 'ok' | 'torn' | 'invalid';
  /** Offset just past the last whole, parseable line. */
  end: number;
  /** The last line parses but lost its newline. */
  needsNewline: boolean;
  lastTime: number;
}

/**
 * Repairs a recording left by a crash and returns its summary; null when the file does not exist.
 *
 * - Keeps the longest prefix made of a valid header line and valid event lines; the first line that does
 *   not parse (a torn last event, zero-filled blocks, garbage) and everything after it are cut.
 * - A last line that parses but lost its newline is kept and given one.
 * - No whole header (empty file, or a torn header with no newline at all): the writer syncs the header before
 *   any event, so nothing was recorded; the file is rewritten as a header-only recording from `fallbackHeader`.
 * - A whole first line that is not an asciicast v2 header means this is not a crashed Vigil recording: the file
 *   is left untouched and the promise rejects with a Conflict error, rather than destroy evidence.
 */
export async function repairRecording(path: string, opts: RepairOptions = {}): Promise<RecordingSummary | null> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r+');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let scan: Scan;
  // Read through the recording's source: a prefix sealed while the session ran is in the compressed members.
  const src = openCastSync(path);
  try {
    const st = await fh.stat();
    scan = await scanValidPrefix(src);
    if (scan.end < sealedPrefix(path)) throw VigilError.conflict(`${path} is damaged inside its sealed (compressed) part; left untouched`);
    if (scan.header === 'invalid') throw VigilError.conflict(`${path} is not an asciicast v2 recording; left untouched`);
    if (scan.header === 'torn') {
      const header = opts.fallbackHeader ?? { width: 80, height: 24, timestamp: Math.floor(st.mtimeMs / 1000) };
      const line = Buffer.from(formatHeader(header), 'utf8');
      await fh.truncate(0);
      await fh.write(line, 0, line.length, 0);
    } else {
      if (scan.end < st.size) await fh.truncate(scan.end);
      if (scan.needsNewline) await fh.write(Buffer.from('\n'), 0, 1, scan.end);
    }
    await fh.sync();
  } finally {
    src.close();
    await fh.close();
  }
  const sha256 = await sha256File(path);
  const { size } = await stat(path);
  return { path, size, duration: roundSeconds(scan.lastTime, 3), sha256 };
}

/** Bytes of the recording sealed into compressed members while it was written (0 when none). */
function sealedPrefix(castPath: string): number {
  const gz = gzipPaths(castPath);
  if (!existsSync(gz.index)) return 0;
  const fd = openSync(gz.index, 'r');
  try {
    return readGzipIndexFd(fd, statSync(gz.data).size, gz.index).size;
  } finally {
    closeSync(fd);
  }
}

/** Reads the file once, line by line, stopping at the first line that is not whole and valid. */
async function scanValidPrefix(src: CastSource): Promise<Scan> {
  const buf = Buffer.allocUnsafe(READ_CHUNK);
  const scan: Scan = { header: 'torn', end: 0, needsNewline: false, lastTime: 0 };
  let pos = 0;
  let lineNo = 0;
  let parts: Buffer[] = [];
  let partLen = 0;
  // Returns false when the line is bad and scanning must stop.
  const accept = (line: Buffer): boolean => {
    const text = line.toString('utf8');
    if (lineNo++ === 0) {
      scan.header = parseHeader(text) ? 'ok' : 'invalid';
      return scan.header === 'ok';
    }
    const e = parseEventLine(text);
    if (!e) return false;
    scan.lastTime = Math.max(scan.lastTime, e.time);
    return true;
  };
  for (;;) {
    const bytesRead = await src.read(buf, 0, buf.length, pos);
    if (bytesRead === 0) break;
    const chunk = buf.subarray(0, bytesRead);
    let i = 0;
    while (i < chunk.length) {
      const nl = chunk.indexOf(10, i);
      if (nl === -1) {
        parts.push(Buffer.from(chunk.subarray(i)));
        partLen += chunk.length - i;
        if (partLen > MAX_LINE_BYTES) {
          if (lineNo === 0) scan.header = 'invalid';
          return scan;
        }
        break;
      }
      const line = parts.length > 0 ? Buffer.concat([...parts, chunk.subarray(i, nl)]) : chunk.subarray(i, nl);
      parts = [];
      partLen = 0;
      if (!accept(line)) return scan;
      scan.end = pos + nl + 1;
      i = nl + 1;
    }
    pos += bytesRead;
  }
  if (partLen > 0) {
    // A torn header stays 'torn' (not 'invalid'): the crash case, not a foreign file.
    const wasHeader = lineNo === 0;
    if (accept(Buffer.concat(parts))) {
      scan.end = pos;
      scan.needsNewline = true;
    } else if (wasHeader) {
      scan.header = 'torn';
    }
  }
  return scan;
}
