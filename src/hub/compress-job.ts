// The background compression of closed recordings: once at start, then every interval; one run at a time; stoppable.
//
// A recording is written plain while its session runs (the keyframe and search workers tail it); once the session
// has been closed for `settleMs` (those readers are done with it) it is compressed into a seekable gzip, checked
// against the SHA-256 stored at close. One recording at a time, on the compressor's own low-priority thread.

import type { Clock } from '../core/clock.js';
import { PeriodicJob } from './periodic-job.js';
import type { HubLogger } from './session-hub.js';

/** A closed recording not compressed yet. */
export interface CompressCandidate {
  id: number;
  sessionId: string;
  recordingPath: string;
  sha256: string | null;
  size: number | null;
}

/** The sessions table's side of compression (store/compress-repo.ts). */
export interface CompressRepo {
  /** Closed, unpurged sessions whose recording is not settled, ended before `endedBefore`, by id after `afterId`. */
  pending(endedBefore: Date, limit: number, afterId: number): Promise<CompressCandidate[]>;
  /** Records the bytes the recording now takes on disk (which takes it off the queue). */
  stored(id: number, bytes: number): Promise<void>;
  /** Recordings of active sessions, by id after `afterId`. */
  live(limit: number, afterId: number): Promise<Array<{ id: number; sessionId: string; recordingPath: string }>>;
}

/** Compresses one recording (recording/cast-compressor.ts); `ok: false` when it does not match what was stored at close. */
export interface RecordingCompressor {
  compress(castPath: string, expected: { sha256: string; size: number | null }): Promise<{ ok: true; storedBytes: number } | { ok: false; problem: string }>;
  /** Compresses the settled prefix of a recording still being written and frees its plain copy (`punched`). */
  seal(castPath: string): Promise<{ sealed: number; punched: boolean }>;
  /** Bytes the recording takes on disk as it is now, or null when it is not there. */
  storedBytes(castPath: string): number | null;
}

export interface CompressJobOptions {
  repo: CompressRepo;
  compressor: RecordingCompressor;
  clock: Clock;
  logger: HubLogger;
  /** Time between runs (default one minute). */
  intervalMs?: number;
  /** How long after its end a recording is left alone (default 30 s: live readers finish it first). */
  settleMs?: number;
  /** Seal live recordings as they grow (default true). */
  sealLive?: boolean;
}

export interface CompressReport {
  compressed: number;
  /** Live recordings of which a prefix was sealed. */
  sealed: number;
  /** Left uncompressed for good: no hash to check against, missing, or not matching its hash. */
  skipped: number;
  /** Failed for a reason that may pass (retried next run). */
  failed: number;
}

const BATCH = 50;

/** Compresses closed recordings (PeriodicJob: a tick during a run is skipped; stop() waits for the recording in hand). */
export class CompressJob extends PeriodicJob<CompressReport> {
  /** False once the file system refused to free a sealed prefix: sealing then only doubles what is stored. */
  private canPunch = true;

  constructor(private readonly o: CompressJobOptions) {
    super(o.intervalMs ?? 60_000, o.logger);
  }

  protected report(r: CompressReport): void {
    if (r.compressed + r.sealed + r.skipped + r.failed > 0) this.logger.info({ ...r }, 'recording compression done');
  }

  protected failed(err: string): void {
    this.logger.error({ err }, 'recording compression failed');
  }

  protected async run(signal: AbortSignal): Promise<CompressReport> {
    const report: CompressReport = { compressed: 0, sealed: 0, skipped: 0, failed: 0 };
    const before = new Date(this.o.clock.now().getTime() - (this.o.settleMs ?? 30_000));
    let after = 0;
    for (;;) {
      const batch = await this.o.repo.pending(before, BATCH, after);
      if (batch.length === 0) break;
      for (const c of batch) {
        if (signal.aborted) return report;
        after = c.id;
        await this.one(c, report);
      }
    }
    if (this.o.sealLive !== false && this.canPunch) await this.sealLive(signal, report);
    return report;
  }

  private async sealLive(signal: AbortSignal, report: CompressReport): Promise<void> {
    for (let after = 0; ; ) {
      const batch = await this.o.repo.live(BATCH, after);
      if (batch.length === 0) return;
      for (const s of batch) {
        if (signal.aborted) return;
        after = s.id;
        try {
          const r = await this.o.compressor.seal(s.recordingPath);
          if (r.sealed > 0) report.sealed++;
          if (r.sealed > 0 && !r.punched) {
            this.canPunch = false;
            this.logger.warn({ file: s.recordingPath }, 'the file system cannot free parts of a file (fallocate punch hole): live recordings are compressed only after their session ends');
            return;
          }
        } catch (err) {
          // The session may have ended and its recording been compressed meanwhile; the next run sees it as it is.
          this.logger.warn({ sessionId: s.sessionId, err: err instanceof Error ? err.message : String(err) }, 'could not seal a live recording; retried on the next run');
          report.failed++;
        }
      }
    }
  }

  private async one(c: CompressCandidate, report: CompressReport): Promise<void> {
    const { compressor, repo, logger } = this.o;
    const log = { sessionId: c.sessionId, file: c.recordingPath };
    const onDisk = compressor.storedBytes(c.recordingPath);
    if (onDisk === null) {
      logger.warn(log, 'recording file is missing; nothing to compress');
      await repo.stored(c.id, 0);
      report.skipped++;
      return;
    }
    if (!c.sha256) {
      // Without the hash of close there is nothing to check a rewrite against: the recording stays as it was written.
      await repo.stored(c.id, onDisk);
      report.skipped++;
      return;
    }
    try {
      const r = await compressor.compress(c.recordingPath, { sha256: c.sha256, size: c.size });
      if (r.ok) {
        await repo.stored(c.id, r.storedBytes);
        report.compressed++;
      } else {
        logger.error({ ...log, problem: r.problem }, 'recording does not match what was stored at close; left uncompressed');
        await repo.stored(c.id, onDisk);
        report.skipped++;
      }
    } catch (err) {
      logger.warn({ ...log, err: err instanceof Error ? err.message : String(err) }, 'could not compress a recording; retried on the next run');
      report.failed++;
    }
  }
}
