// The compression worker thread: compresses closed recordings whole (compressCast) and seals the settled prefix of
// live ones (sealCast), one request at a time, at a lower priority than the relay.

import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { compressCast, type CompressResult } from './cast-compress.js';
import { sealCast, type SealResult } from './cast-seal.js';
import { nameThread } from '../core/thread-name.js';

/** A request from the main thread. */
export type CompressRequest =
  | { type: 'compress'; id: number; castPath: string; sha256: string; size: number | null }
  | { type: 'seal'; id: number; castPath: string };

/** The answer: the result, or the error that stopped it. */
export type CompressReply = { id: number; result: CompressResult | SealResult } | { id: number; error: string };

const port = parentPort;
nameThread('vigil-compress');
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
    const result = req.type === 'seal' ? sealCast(req.castPath) : compressCast(req.castPath, { sha256: req.sha256, size: req.size });
    reply = { id: req.id, result };
  } catch (err) {
    reply = { id: req.id, error: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(reply);
});
