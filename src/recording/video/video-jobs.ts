// Generate video for download: a queue of MP4 renders, a few at a time (one by default), each in its own worker thread.
//
// Rendering is CPU-bound for tens of seconds; the queue's concurrency limit and the worker thread
// keep the gateway's event loop (relay, API) responsive, and ffmpeg runs at a lower priority. Jobs
// live in memory; a finished MP4 on disk (`<videosDir>/<sessionId>.mp4`) is "done" across restarts.

import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { VigilError } from '../../core/errors.js';
import { startWorker } from '../worker-launch.js';
import type { VideoWorkerData, VideoWorkerMessage } from './video-worker.js';

export type VideoJobState = 'queued' | 'running' | 'done' | 'failed';

/** What GET …/video shows. */
export interface VideoJobStatus {
  state: VideoJobState;
  percent: number;
  error: string | null;
  /** Bytes of the MP4 once done. */
  size: number | null;
}

export interface VideoRequest {
  sessionId: string;
  castPath: string;
  startedAt: Date;
}

/** Renders `req.castPath` to `outPath`, reporting progress (0..1); stops when `signal` aborts. */
export type VideoRenderFn = (req: VideoRequest & { outPath: string }, onProgress: (fraction: number) => void, signal: AbortSignal) => Promise<void>;

export interface VideoJobsOptions {
  /** `<dataDir>/videos`. */
  videosDir: string;
  /** Renders at a time (default 1). */
  concurrency?: number;
  /** x264 threads per render (default 1, leaving the other core to the gateway). */
  threads?: number;
  ffmpeg?: string;
  /** Replaces the worker-thread renderer (tests). */
  render?: VideoRenderFn;
  /** Told about failed renders. */
  onError?: (sessionId: string, error: string) => void;
}

interface Job {
  req: VideoRequest;
  status: VideoJobStatus;
  abort: AbortController;
}

const SESSION_ID = /^[a-f0-9]{16,64}$/;

export class VideoJobs {
  private readonly jobs = new Map<string, Job>();
  private readonly queue: Job[] = [];
  private running = 0;
  private readonly render: VideoRenderFn;

  constructor(private readonly o: VideoJobsOptions) {
    this.render = o.render ?? ((req, onProgress, signal) => renderInWorker(req, onProgress, signal, o));
  }

  /** Where a session's MP4 is (or will be). */
  pathFor(sessionId: string): string {
    if (!SESSION_ID.test(sessionId)) throw VigilError.badRequest('invalid session id for a video');
    return join(this.o.videosDir, `${sessionId}.mp4`);
  }

  /** Queues a render unless one is queued, running or already done; returns the job's status. */
  async start(req: VideoRequest): Promise<VideoJobStatus> {
    const current = await this.status(req.sessionId);
    if (current && current.state !== 'failed') return current;
    const job: Job = { req, status: { state: 'queued', percent: 0, error: null, size: null }, abort: new AbortController() };
    this.jobs.set(req.sessionId, job);
    this.queue.push(job);
    this.pump();
    return { ...job.status };
  }

  /** The job's status; a finished MP4 from an earlier run counts as done; null when there is neither. */
  async status(sessionId: string): Promise<VideoJobStatus | null> {
    const job = this.jobs.get(sessionId);
    if (job && job.status.state !== 'done') return { ...job.status };
    const file = await this.file(sessionId);
    if (file) return { state: 'done', percent: 100, error: null, size: file.size };
    // A done MP4 that was purged since: forget the job.
    if (job) this.jobs.delete(sessionId);
    return null;
  }

  /** The finished MP4, or null. */
  async file(sessionId: string): Promise<{ path: string; size: number } | null> {
    const path = this.pathFor(sessionId);
    const job = this.jobs.get(sessionId);
    if (job && job.status.state !== 'done') return null;
    try {
      const st = await stat(path);
      return st.isFile() ? { path, size: st.size } : null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /** Cancels queued and running renders. */
  async close(): Promise<void> {
    this.queue.length = 0;
    for (const job of this.jobs.values()) job.abort.abort();
  }

  private pump(): void {
    while (this.running < (this.o.concurrency ?? 1) && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.running++;
      void this.run(job).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private async run(job: Job): Promise<void> {
    const outPath = this.pathFor(job.req.sessionId);
    job.status.state = 'running';
    try {
      await mkdir(this.o.videosDir, { recursive: true, mode: 0o700 });
      await this.render({ ...job.req, outPath }, (f) => {
        job.status.percent = Math.min(99, Math.floor(f * 100));
      }, job.abort.signal);
      const { size } = await stat(outPath);
      job.status = { state: 'done', percent: 100, error: null, size };
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      job.status = { state: 'failed', percent: job.status.percent, error, size: null };
      await rm(`${outPath}.part`, { force: true });
      this.o.onError?.(job.req.sessionId, error);
    }
  }
}

/** The default renderer: a worker thread running renderVideo. */
function renderInWorker(req: VideoRequest & { outPath: string }, onProgress: (f: number) => void, signal: AbortSignal, o: VideoJobsOptions): Promise<void> {
  const data: VideoWorkerData = { castPath: req.castPath, outPath: req.outPath, startedAtMs: req.startedAt.getTime(), threads: o.threads ?? 1, ffmpeg: o.ffmpeg };
  return new Promise((resolve, reject) => {
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
