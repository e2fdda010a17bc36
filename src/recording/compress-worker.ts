// The compression worker thread: compresses one closed recording per request (compressCast), at a lower priority.

import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { compressCast, type CompressResult } from './cast-gzip.js';

/** A request from the main thread. */
export interface CompressRequest {
  id: number;
  castPath: string;
  sha256: string;
  size: number | null;
}

/** The answer: the result, or the error that stopped it. */
export type CompressReply = { id: number; result: CompressResult } | { id: number; error: string };

const port = parentPort;
if (!port) throw new Error('compress-worker must run in a worker thread');
try {
  // On Linux the nice value is per thread: the relay and the API keep priority over compression.
  setPriority(10);
} catch {
  // Not permitted here: run at normal priority.
}

port.on('message', (req: CompressRequest) => {
  let reply: CompressReply;
  try {
    reply = { id: req.id, result: compressCast(req.castPath, { sha256: req.sha256, size: req.size }) };
  } catch (err) {
    reply = { id: req.id, error: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(reply);
});
