// Runs one MP4 render in a worker thread (video-worker.ts), off the gateway's event loop, relaying its progress.

import { startWorker } from '../worker-launch.js';
import type { VideoWorkerData, VideoWorkerMessage } from './video-worker.js';

/** The default renderer: a worker thread running renderVideo. */
export function renderInWorker(
  req: { castPath: string; outPath: string; startedAt: Date },
  onProgress: (fraction: number) => void,
  signal: AbortSignal,
  o: { threads: number; ffmpeg?: string },
): Promise<void> {
  const data: VideoWorkerData = { castPath: req.castPath, outPath: req.outPath, startedAtMs: req.startedAt.getTime(), threads: o.threads, ffmpeg: o.ffmpeg };
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('video generation was cancelled'));
    const worker = startWorker(import.meta.url, 'video-worker', data);
    let settled = false;
    const settle = (err?: Error) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
      void worker.terminate();
    };
    const onAbort = () => settle(new Error('video generation was cancelled'));
    signal.addEventListener('abort', onAbort);
    worker.on('message', (m: VideoWorkerMessage) => {
      if (m.type === 'progress') onProgress(m.fraction);
      else if (m.type === 'done') settle();
      else settle(new Error(m.error));
    });
    worker.on('error', (err) => settle(err));
    worker.on('exit', () => settle(new Error('the video worker stopped')));
  });
}
