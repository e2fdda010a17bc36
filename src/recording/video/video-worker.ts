// The video worker thread: renders one recording to MP4 off the server's event loop, reporting progress.

import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { renderVideo, type RenderVideoOptions } from './video-renderer.js';
import { nameThread } from '../../core/thread-name.js';

/** What the job hands the worker: the render options without callbacks or objects. */
export type VideoWorkerData = Omit<RenderVideoOptions, 'onProgress' | 'atlas' | 'startedAt'> & { startedAtMs?: number };

/** Messages to the main thread. */
export type VideoWorkerMessage = { type: 'progress'; fraction: number } | { type: 'done' } | { type: 'failed'; error: string };

const port = parentPort;
nameThread('vigil-video');
if (!port) throw new Error('video-worker must run in a worker thread');
const data = workerData as VideoWorkerData;
try {
  // On Linux the nice value is per thread: this lowers the rendering thread only, never the gateway's.
  setPriority(10);
} catch {
  // Not permitted here: render at normal priority.
}

renderVideo({
  ...data,
  startedAt: data.startedAtMs === undefined ? undefined : new Date(data.startedAtMs),
  onProgress: (fraction) => port.postMessage({ type: 'progress', fraction } satisfies VideoWorkerMessage),
}).then(
  () => port.postMessage({ type: 'done' } satisfies VideoWorkerMessage),
  (err: unknown) => port.postMessage({ type: 'failed', error: err instanceof Error ? err.message : String(err) } satisfies VideoWorkerMessage),
);
