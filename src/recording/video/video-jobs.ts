// Generate video for download: a durable queue of MP4 renders, a few at a time (one by default), each in its own worker thread.
//
// Rendering is CPU-bound for tens of seconds; the queue's concurrency limit and the worker thread
// keep the gateway's event loop (relay, API) responsive, and ffmpeg runs at a lower priority.
//
// Durability: each job has a record beside its MP4 (video-job-file.ts), written at every change
// of state and every 5% of progress. The MP4 is rendered to `<id>.mp4.<random>.part` and renamed when
// complete, so `<id>.mp4` existing means done, whatever the record says. On start, before any
// render: partial outputs are deleted; jobs that were queued are queued again in the order they
// were asked for; a job that was rendering is rendered again from the start, unless it had
// already been interrupted `maxAttempts` times (a render that takes Vigil down would otherwise do
// so at every start), then it is failed with a reason that GET …/video shows. Stopping Vigil
// (close) leaves records as they are, to be resumed by the next start.

import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { VigilError } from '../../core/errors.js';
import { jobFilePath, removeFile, removePartials, scanVideosFolder, writeJobFile, type VideoJobRecord, type VideoJobState } from './video-job-file.js';
import { renderInWorker } from './render-in-worker.js';

export type { VideoJobState } from './video-job-file.js';

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
  /** Username of who asked (kept in the job file). */
  requestedBy?: string | null;
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
  /** Told about failed renders, and about problems found on start. */
  onError?: (sessionId: string, error: string) => void;
  /** Render again the jobs a stop or crash interrupted (default true); otherwise they are failed. */
  resumeInterrupted?: boolean;
  /** Renders begun (interrupted ones included) after which an interrupted job is failed instead of resumed (default 2). */
  maxAttempts?: number;
  /** The time for job records (default: the system clock). */
  now?: () => Date;
}

interface Job {
  record: VideoJobRecord;
  abort: AbortController;
  /** Record writes, one after another. */
  writes: Promise<void>;
  /** Percent last written to the record. */
  savedPercent: number;
  /** Set when the render has ended: progress writes still in flight must not overwrite the final record. */
  ended: boolean;
}

const SESSION_ID = /^[a-f0-9]{16,64}$/;
/** Progress is written to the record every this many percent. */
const SAVE_EVERY_PERCENT = 5;

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));
const statusOf = (r: VideoJobRecord): VideoJobStatus => ({ state: r.state, percent: r.percent, error: r.error, size: r.size });

export class VideoJobs {
  /** Jobs queued, running or failed; a done job lives on as its MP4 (and its record on disk). */
  private readonly jobs = new Map<string, Job>();
  private readonly queue: Job[] = [];
  private readonly runs = new Set<Promise<void>>();
  private running = 0;
  private closed = false;
  private readonly render: VideoRenderFn;
  private readonly now: () => Date;
  /** Recovery of the folder: every public method waits for it, so no render starts before leftovers are gone. */
  private readonly ready: Promise<void>;

  constructor(private readonly o: VideoJobsOptions) {
    this.render = o.render ?? ((req, onProgress, signal) => renderInWorker(req, onProgress, signal, { threads: o.threads ?? 1, ffmpeg: o.ffmpeg }));
    this.now = o.now ?? (() => new Date());
    this.ready = this.recover().catch((err: unknown) => {
      o.onError?.('', `cannot recover video jobs from ${o.videosDir}: ${errorText(err)}`);
    });
  }

  /** Where a session's MP4 is (or will be). */
  pathFor(sessionId: string): string {
    if (!SESSION_ID.test(sessionId)) throw VigilError.badRequest('invalid session id for a video');
    return join(this.o.videosDir, `${sessionId}.mp4`);
  }

  /** Queues a render unless one is queued, running or already done; returns the job's status. */
  async start(req: VideoRequest): Promise<VideoJobStatus> {
    const outPath = this.pathFor(req.sessionId);
    await this.ready;
    if (this.closed) throw VigilError.unavailable('video generation is stopping');
    const active = () => {
      const job = this.jobs.get(req.sessionId);
      return job && (job.record.state === 'queued' || job.record.state === 'running') ? job : null;
    };
    let job = active();
    if (job) return statusOf(job.record);
    const size = await fileSize(outPath);
    // Asked twice at once: the first to get here queued it.
    if ((job = active())) return statusOf(job.record);
    if (size !== null) return { state: 'done', percent: 100, error: null, size };
    // A new request (a first one, or a retry of a failed job) starts its count of attempts afresh.
    job = this.track({
      version: 1, sessionId: req.sessionId, state: 'queued', percent: 0, error: null, size: null,
      castPath: req.castPath, sessionStartedAt: req.startedAt.toISOString(), requestedBy: req.requestedBy ?? null,
      requestedAt: this.now().toISOString(), renderStartedAt: null, finishedAt: null, attempts: 0,
    });
    // The record first: a queued job survives a restart from the moment it is acknowledged.
    try {
      await mkdir(this.o.videosDir, { recursive: true, mode: 0o700 });
      await this.save(job);
    } catch (err) {
      this.jobs.delete(req.sessionId);
      throw err;
    }
    this.queue.push(job);
    this.pump();
    return statusOf(job.record);
  }

  /** The job's status; a finished MP4 counts as done; null when there is neither. */
  async status(sessionId: string): Promise<VideoJobStatus | null> {
    const path = this.pathFor(sessionId);
    await this.ready;
    const job = this.jobs.get(sessionId);
    // A failed job whose record the purge removed is gone with the session's other files.
    if (job && job.record.state === 'failed' && (await fileSize(jobFilePath(this.o.videosDir, sessionId))) === null) this.jobs.delete(sessionId);
    else if (job) return statusOf(job.record);
    const size = await fileSize(path);
    return size === null ? null : { state: 'done', percent: 100, error: null, size };
  }

  /** The finished MP4, or null. */
  async file(sessionId: string): Promise<{ path: string; size: number } | null> {
    const path = this.pathFor(sessionId);
    await this.ready;
    const job = this.jobs.get(sessionId);
    if (job && job.record.state !== 'done') return null;
    const size = await fileSize(path);
    return size === null ? null : { path, size };
  }

  /** Stops rendering; queued and running jobs keep their records and are resumed by the next start. */
  async close(): Promise<void> {
    await this.ready;
    this.closed = true;
    this.queue.length = 0;
    for (const job of this.jobs.values()) job.abort.abort();
    await Promise.allSettled([...this.runs]);
    await Promise.allSettled([...this.jobs.values()].map((j) => j.writes));
  }

  private track(record: VideoJobRecord): Job {
    const job: Job = { record, abort: new AbortController(), writes: Promise.resolve(), savedPercent: record.percent, ended: false };
    this.jobs.set(record.sessionId, job);
    return job;
  }

  /** Writes `record` as the job's record after any write already under way, then makes it the job's. */
  private save(job: Job, record: VideoJobRecord = { ...job.record }): Promise<void> {
    job.savedPercent = record.percent;
    const write = job.writes.then(() => writeJobFile(this.o.videosDir, record));
    job.writes = write.catch(() => undefined);
    return write.then(() => {
      // Progress may have moved on while the record was written; the state is what was written.
      job.record = { ...record, percent: record.state === 'running' ? Math.max(record.percent, job.record.percent) : record.percent };
    });
  }

  /** Deletes partial outputs, then queues again or fails what a stop or crash interrupted. */
  private async recover(): Promise<void> {
    const scan = await scanVideosFolder(this.o.videosDir);
    for (const path of [...scan.leftovers, ...scan.unreadable]) await removeFile(path);
    const interrupted: Job[] = [];
    for (const r of scan.records) {
      if (scan.videos.has(r.sessionId)) {
        // Renamed into place but stopped before the record said so: the MP4 is complete.
        if (r.state !== 'done') await writeJobFile(this.o.videosDir, { ...r, state: 'done', percent: 100, error: null, size: await fileSize(this.pathFor(r.sessionId)), finishedAt: r.finishedAt ?? this.now().toISOString() });
      } else if (r.state === 'done') {
        // Its MP4 was deleted since: there is no video any more.
        await removeFile(jobFilePath(this.o.videosDir, r.sessionId));
      } else if (r.state === 'failed') {
        this.track(r);
      } else {
        interrupted.push(this.track(r));
      }
    }
    interrupted.sort((a, b) => a.record.requestedAt.localeCompare(b.record.requestedAt));
    const maxAttempts = this.o.maxAttempts ?? 2;
    for (const job of interrupted) {
      const r = job.record;
      const why =
        this.o.resumeInterrupted === false ? 'Vigil stopped while this video was being generated; ask again to retry'
        : r.state === 'running' && r.attempts >= maxAttempts ? `video generation was interrupted by a stop of Vigil ${r.attempts} times; not retried automatically (ask again to retry)`
        : null;
      try {
        if (why) {
          await this.save(job, { ...r, state: 'failed', error: why, finishedAt: this.now().toISOString() });
          this.o.onError?.(r.sessionId, why);
        } else {
          await this.save(job, { ...r, state: 'queued', percent: 0 });
          this.queue.push(job);
        }
      } catch (err) {
        // Not resumable without its record: failed for this run; the next start tries again from the record on disk.
        const error = `cannot update the video job's file: ${errorText(err)}`;
        job.record = { ...r, state: 'failed', error };
        this.o.onError?.(r.sessionId, error);
      }
    }
    this.pump();
  }

  private pump(): void {
    while (!this.closed && this.running < (this.o.concurrency ?? 1) && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.running++;
      const run = this.run(job).finally(() => {
        this.running--;
        this.runs.delete(run);
        this.pump();
      });
      this.runs.add(run);
    }
  }

  private async run(job: Job): Promise<void> {
    const id = job.record.sessionId;
    const outPath = this.pathFor(id);
    const req: VideoRequest & { outPath: string } = {
      sessionId: id, castPath: job.record.castPath, startedAt: new Date(job.record.sessionStartedAt), requestedBy: job.record.requestedBy, outPath,
    };
    try {
      if (this.closed) return;
      // Counted before rendering: a render that takes Vigil down still counts (see maxAttempts).
      if (!(await this.saveIfPresent(job, { state: 'running', percent: 0, renderStartedAt: this.now().toISOString(), attempts: job.record.attempts + 1 }))) return;
      if (job.abort.signal.aborted) throw new Error('video generation was cancelled');
      await this.render(req, (f) => {
        job.record.percent = Math.min(99, Math.floor(f * 100));
        if (job.record.percent < job.savedPercent + SAVE_EVERY_PERCENT) return;
        job.savedPercent = job.record.percent;
        // Progress on disk is informational: a failed write leaves the previous percent there and the render goes on.
        this.saveIfPresent(job, null).catch((err: unknown) => this.o.onError?.(id, `cannot save the video job's progress: ${errorText(err)}`));
      }, job.abort.signal);
      const size = (await stat(outPath)).size;
      job.ended = true;
      if (!(await this.saveIfPresent(job, { state: 'done', percent: 100, error: null, size, finishedAt: this.now().toISOString() }))) {
        // The session was purged while its video was being made: the purge took the record; the video goes too.
        await removeFile(outPath);
      }
      this.jobs.delete(id);
    } catch (err) {
      // The renderer removes its partial output when it fails; not when its worker is stopped (close).
      await removePartials(this.o.videosDir, id).catch((e: unknown) => this.o.onError?.(id, `cannot remove a partial video: ${errorText(e)}`));
      // Stopped by close(): the record stays queued/running for the next start.
      if (this.closed) return;
      job.ended = true;
      const error = errorText(err);
      this.o.onError?.(id, error);
      await this.saveIfPresent(job, { state: 'failed', error, size: null, finishedAt: this.now().toISOString() }).catch((e: unknown) => {
        // Failed all the same for this run (GET shows it); after a restart the job is resumed from its last record.
        job.record = { ...job.record, state: 'failed', error, size: null };
        this.o.onError?.(id, `cannot save the video job's failure: ${errorText(e)}`);
      });
    }
  }

  /**
   * Updates the record unless its file has gone, which only the purge does (the session's files were purged): then the
   * job is forgotten and its render stopped. True when the record was written (or, for progress (`change` null) after
   * the render ended, skipped).
   */
  private async saveIfPresent(job: Job, change: Partial<VideoJobRecord> | null): Promise<boolean> {
    if ((await fileSize(jobFilePath(this.o.videosDir, job.record.sessionId))) === null) {
      job.abort.abort();
      if (this.jobs.get(job.record.sessionId) === job) this.jobs.delete(job.record.sessionId);
      return false;
    }
    if (change === null && job.ended) return true;
    await this.save(job, { ...job.record, ...(change ?? {}) });
    return true;
  }
}

/** The size of a regular file, or null when there is none. */
async function fileSize(path: string): Promise<number | null> {
  try {
    const st = await stat(path);
    return st.isFile() ? st.size : null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
