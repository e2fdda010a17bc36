// A recorder worker for tests: the real host, with faults injected into the files it opens (see FaultSpec).

import { parentPort, workerData } from 'node:worker_threads';
import { serveRecorders } from '../../src/recording/recorder-host.js';
import { openRecordingFile, type RecordingFile } from '../../src/recording/recording-file.js';

/** What goes wrong, counted per file. */
export interface FaultSpec {
  /** Writes (the header's included) from this one on reject with `message` (and `code`). */
  failFromWrite?: number;
  message?: string;
  code?: string;
  /** Every write waits this long first: a slow disk. */
  writeDelayMs?: number;
  /** The worker thread exits (a crash) when this write starts. */
  exitOnWrite?: number;
}

const spec = (workerData ?? {}) as FaultSpec;

async function openFaulty(path: string): Promise<RecordingFile> {
  const real = await openRecordingFile(path);
  let writes = 0;
  return {
    ...real,
    async writev(buffers) {
      writes++;
      if (spec.exitOnWrite !== undefined && writes >= spec.exitOnWrite) process.exit(3);
      if (spec.writeDelayMs) await new Promise((r) => setTimeout(r, spec.writeDelayMs));
      if (spec.failFromWrite !== undefined && writes >= spec.failFromWrite) {
        throw Object.assign(new Error(spec.message ?? 'EIO: i/o error, write'), { code: spec.code ?? 'EIO' });
      }
      return real.writev(buffers);
    },
  };
}

if (!parentPort) throw new Error('faulty-recorder-worker must run in a worker thread');
serveRecorders(parentPort, { openFile: openFaulty });
