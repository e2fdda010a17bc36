// Retention purge (SPEC §6): removes the recordings of completed, unprotected sessions past retention, and every file derived from them.
//
// Crash safety. Each session goes through three steps:
//   1. claim  — one transaction re-checks that the session is still a candidate (not active, not protected,
//               not purged, not claimed) and sets purge_started_at; a Prevent Purge committed before it wins;
//   2. delete — its files go (a file already missing is fine);
//   3. finish — one transaction sets purged_at and writes the Files purged event and an audit entry,
//               only for sessions not marked yet, so a session gets its event once.
// Files are only deleted for claimed sessions. A kill anywhere leaves each session either untouched, claimed
// (purge_started_at set, purged_at null: "files being removed") or purged; every run first finishes the claimed
// ones, so after a second run no session claims files that are gone and no file is left that nothing points to.
// A session claimed before a Prevent Purge arrived is finished anyway: some of its files may already be gone.
//
// Not stalling the gateway: files are deleted asynchronously a few at a time, in chunks with a turn of the event
// loop between them, and database work is one short transaction per batch of sessions.

import type { Clock } from './clock.js';
import { VigilError } from './errors.js';
import type { AuditRepo } from './ports.js';

/** A session the purge may remove files of. */
export interface PurgeCandidate {
  id: number;
  sessionId: string;
  recordingPath: string;
  startedAt: Date;
  endedAt: Date | null;
}

/** Position in the candidate scan (sessions are scanned by start time, then id). */
export interface PurgeCursor {
  startedAt: Date;
  id: number;
}

/** What step 3 writes for one session. */
export interface PurgeFinish {
  id: number;
  /** Note of the Files purged event. */
  note: string;
  /** Audit entry target and details (JSON). */
  target: string;
  details: string;
}

/** Who runs the purge (the hourly job, or the administrator at the CLI). */
export interface PurgeActor {
  userId: number | null;
  name: string;
}

/** The state of a Session ID, as the orphan sweep needs it. */
export type KnownSession = 'present' | 'purging' | 'purged';

/** Storage the purge needs; claim and finish are each one transaction. */
export interface PurgeRepo {
  /** Candidates ended before `cutoff`, ordered by (startedAt, id), strictly after `after`; reads only. */
  candidates(cutoff: Date, limit: number, after?: PurgeCursor): Promise<PurgeCandidate[]>;
  /** Sessions claimed by a run that did not finish, ordered by id, with id > `afterId`. */
  unfinished(limit: number, afterId: number): Promise<PurgeCandidate[]>;
  /** Claims those of `ids` that are still candidates for `cutoff` (re-checked in the transaction); returns the ids claimed. */
  claim(ids: number[], cutoff: Date, at: Date): Promise<number[]>;
  /** Marks claimed, not yet purged sessions purged at `at`, with a Files purged event and an audit entry each; returns the ids marked. */
  finish(items: PurgeFinish[], at: Date, actor: PurgeActor): Promise<number[]>;
  /** The state of each of these Session IDs that has a row. */
  known(sessionIds: string[]): Promise<Map<string, KnownSession>>;
}

/** A file found under the recordings or videos folders (orphan sweep). */
export interface StoredFile {
  path: string;
  /** The Session ID the name starts with, or null when the name follows no session naming. */
  sessionId: string | null;
}

/** The files of sessions on disk. */
export interface PurgeFiles {
  /**
   * For each session (same order): the paths of its files — in its recording's folder, the names that are its
   * Session ID followed by anything but a letter or digit (`.cast`, `.cast.gz`, `.keys*`), and in the videos folder
   * the same (`<sessionId>*.mp4`). `problem` is set, and `files` empty, when its files cannot be told apart safely.
   */
  list(sessions: ReadonlyArray<{ sessionId: string; recordingPath: string }>): Promise<Array<{ files: string[]; problem?: string }>>;
  /** Deletes one file (or a derived folder); resolves false when it was already missing. */
  remove(path: string): Promise<boolean>;
  /** Every file under the recordings and videos folders. */
  walk(): AsyncIterable<StoredFile>;
  /** Last modification time, or null when the file is gone. */
  modifiedAt(path: string): Promise<Date | null>;
  /** The path as events and reports show it (relative to the data directory). */
  describe(path: string): string;
}

export interface PurgeServiceOptions {
  repo: PurgeRepo;
  files: PurgeFiles;
  /** For the orphan sweep's audit entry. */
  audit: AuditRepo;
  clock: Clock;
  /** The retention setting, read at the start of each run. */
  retentionDays: () => Promise<number>;
  /** Sessions handled per round: one listing of each folder they share (default 200). */
  batchSize?: number;
  /** Sessions claimed, or marked purged, per transaction; each transaction blocks the event loop while it runs (default 25, at most 1000). */
  transactionSize?: number;
  /** Files deleted per chunk, with a turn of the event loop between chunks (default 100). */
  fileChunk?: number;
  /** Deletions in flight at once; kept low so the recorders' writes are not queued behind them in libuv's pool (default 4). */
  fileConcurrency?: number;
}

export interface PurgeRunOptions {
  actor: PurgeActor;
  /** Change nothing; report what would go. */
  dryRun?: boolean;
  /** Overrides the setting for this run. */
  retentionDays?: number;
  /** Stops the run between batches. */
  signal?: AbortSignal;
  /** Called for each session purged (or, in a dry run, that would be). */
  onSession?: (s: PurgedSession) => void;
}

export interface PurgedSession {
  id: number;
  sessionId: string;
  startedAt: Date;
  endedAt: Date | null;
  /** Files removed (in a dry run, present and to be removed), as `describe` shows them. */
  files: string[];
  /** Claimed by an earlier run that did not finish. */
  resumed: boolean;
}

export interface PurgeReport {
  dryRun: boolean;
  retentionDays: number;
  /** Sessions that ended before this are purged. */
  cutoff: Date;
  sessions: number;
  files: number;
  resumed: number;
  /** Candidates that stopped being candidates before their claim (protected, or taken by another run, meanwhile). */
  skipped: number;
  /** Sessions left claimed because a file could not be removed; the next run retries them. */
  failed: number;
  /** The first failures, with what went wrong. */
  failures: Array<{ id: number; sessionId: string; problem: string }>;
  /** True when the run was stopped before it was done. */
  aborted: boolean;
}

export interface SweepOptions {
  actor: PurgeActor;
  /** Remove the orphans found (otherwise only report them). */
  remove?: boolean;
  /** Files modified more recently are left alone: a recording's file exists a moment before its session row (default 1 hour). */
  graceMs?: number;
  onFile?: (f: OrphanFile) => void;
  signal?: AbortSignal;
}

/** A file no session accounts for. */
export interface OrphanFile {
  path: string;
  sessionId: string | null;
  /** `no-session`: no row has its Session ID; `purged-session`: its session was purged; `unrecognised`: the name is no Session ID (never removed). */
  reason: 'no-session' | 'purged-session' | 'unrecognised';
  removed: boolean;
}

export interface SweepReport {
  scanned: number;
  orphans: number;
  removed: number;
  failures: Array<{ path: string; problem: string }>;
}

const DAY_MS = 86_400_000;
const MAX_FAILURES_LISTED = 100;

/** Yields to the event loop so that I/O callbacks (the gateway's keystrokes) run between chunks of work. */
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Runs `fn` over `items` with at most `limit` calls in flight. */
async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function errorText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code ?? (err instanceof Error ? err.message : String(err));
}

/** Checks a retention period in days (1..3650). */
export function checkRetentionDays(days: number): number {
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw VigilError.badRequest(`retention must be a whole number of days from 1 to 3650, not ${days}`);
  return days;
}

/** Purges expired recordings and sweeps orphan files. One instance may serve the job and the CLI. */
export class PurgeService {
  private readonly batchSize: number;
  private readonly transactionSize: number;
  private readonly fileChunk: number;
  private readonly fileConcurrency: number;

  constructor(private readonly o: PurgeServiceOptions) {
    this.batchSize = o.batchSize ?? 200;
    // Bounded so that one transaction's bound parameters stay far below SQLite's limit.
    this.transactionSize = Math.min(o.transactionSize ?? 25, 1000);
    this.fileChunk = o.fileChunk ?? 100;
    this.fileConcurrency = o.fileConcurrency ?? 4;
  }

  /** Finishes sessions an interrupted run claimed, then purges every candidate older than the retention. */
  async run(opts: PurgeRunOptions): Promise<PurgeReport> {
    const retentionDays = checkRetentionDays(opts.retentionDays ?? (await this.o.retentionDays()));
    const cutoff = new Date(this.o.clock.now().getTime() - retentionDays * DAY_MS);
    const report: PurgeReport = { dryRun: !!opts.dryRun, retentionDays, cutoff, sessions: 0, files: 0, resumed: 0, skipped: 0, failed: 0, failures: [], aborted: false };
    const stopped = () => (opts.signal?.aborted ? (report.aborted = true) : false);

    // Claims left by an interrupted run come first: their files are partly gone already.
    for (let afterId = 0; !stopped(); ) {
      const batch = await this.o.repo.unfinished(this.batchSize, afterId);
      if (batch.length === 0) break;
      afterId = batch[batch.length - 1]!.id;
      await (opts.dryRun ? this.preview(batch, true, report, opts) : this.purgeClaimed(batch, true, report, opts, retentionDays));
      await yieldToLoop();
    }
    for (let after: PurgeCursor | undefined; !stopped(); ) {
      const batch = await this.o.repo.candidates(cutoff, this.batchSize, after);
      if (batch.length === 0) break;
      const last = batch[batch.length - 1]!;
      after = { startedAt: last.startedAt, id: last.id };
      if (opts.dryRun) {
        await this.preview(batch, false, report, opts);
      } else {
        const claimed = new Set<number>();
        for (const part of this.parts(batch)) {
          for (const id of await this.o.repo.claim(part.map((s) => s.id), cutoff, this.o.clock.now())) claimed.add(id);
          await yieldToLoop();
        }
        report.skipped += batch.length - claimed.size;
        await this.purgeClaimed(batch.filter((s) => claimed.has(s.id)), false, report, opts, retentionDays);
      }
      await yieldToLoop();
    }
    return report;
  }

  private async preview(batch: PurgeCandidate[], resumed: boolean, report: PurgeReport, opts: PurgeRunOptions): Promise<void> {
    const listings = await this.o.files.list(batch);
    batch.forEach((s, i) => {
      const files = listings[i]!.files.map((f) => this.o.files.describe(f));
      report.sessions++;
      report.files += files.length;
      if (resumed) report.resumed++;
      opts.onSession?.({ id: s.id, sessionId: s.sessionId, startedAt: s.startedAt, endedAt: s.endedAt, files, resumed });
    });
  }

  /** Steps 2 and 3 for sessions this run (or an interrupted one) claimed. */
  private async purgeClaimed(batch: PurgeCandidate[], resumed: boolean, report: PurgeReport, opts: PurgeRunOptions, retentionDays: number): Promise<void> {
    if (batch.length === 0) return;
    const listings = await this.o.files.list(batch);
    const removed = new Map<number, string[]>(batch.map((s) => [s.id, []]));
    const problems = new Map<number, string>();
    const work: Array<{ s: PurgeCandidate; path: string }> = [];
    batch.forEach((s, i) => {
      const l = listings[i]!;
      if (l.problem) problems.set(s.id, l.problem);
      for (const path of l.files) work.push({ s, path });
    });
    for (let i = 0; i < work.length; i += this.fileChunk) {
      await forEachLimit(work.slice(i, i + this.fileChunk), this.fileConcurrency, async ({ s, path }) => {
        try {
          if (await this.o.files.remove(path)) removed.get(s.id)!.push(this.o.files.describe(path));
        } catch (err) {
          // The session stays claimed and the next run retries it; the other sessions go on.
          if (!problems.has(s.id)) problems.set(s.id, `cannot remove ${this.o.files.describe(path)}: ${errorText(err)}`);
        }
      });
      await yieldToLoop();
    }
    const done = batch.filter((s) => !problems.has(s.id));
    const marked = new Set<number>();
    for (const part of this.parts(done)) {
      const items = part.map((s) => this.finishItem(s, removed.get(s.id)!, resumed, retentionDays));
      for (const id of await this.o.repo.finish(items, this.o.clock.now(), opts.actor)) marked.add(id);
      await yieldToLoop();
    }
    for (const s of done) {
      if (!marked.has(s.id)) continue; // another run finished it first
      const files = removed.get(s.id)!;
      report.sessions++;
      report.files += files.length;
      if (resumed) report.resumed++;
      opts.onSession?.({ id: s.id, sessionId: s.sessionId, startedAt: s.startedAt, endedAt: s.endedAt, files, resumed });
    }
    for (const s of batch) {
      const problem = problems.get(s.id);
      if (problem === undefined) continue;
      report.failed++;
      if (report.failures.length < MAX_FAILURES_LISTED) report.failures.push({ id: s.id, sessionId: s.sessionId, problem });
    }
  }

  /** Splits a round into transactions. */
  private parts<T>(items: T[]): T[][] {
    const out: T[][] = [];
    for (let i = 0; i < items.length; i += this.transactionSize) out.push(items.slice(i, i + this.transactionSize));
    return out;
  }

  private finishItem(s: PurgeCandidate, files: string[], resumed: boolean, retentionDays: number): PurgeFinish {
    const list = files.length > 0 ? `: ${files.join(', ')}` : '';
    const note = resumed
      ? `Retention purge (${retentionDays} days) finished after an interrupted run; ${files.length} file(s) removed now${list}`
      : `Retention purge (${retentionDays} days): ${files.length} file(s) removed${list}`;
    return { id: s.id, note, target: `session ${s.id}`, details: JSON.stringify({ sessionId: s.sessionId, retentionDays, resumed, files }) };
  }

  /**
   * Reports files under the recordings and videos folders that no session accounts for: names of Session IDs
   * without a row or of purged sessions (left by a crash of something else, or copied in), and names that are
   * no Session ID. With `remove`, deletes the first two kinds (never unrecognised names) and writes one audit entry.
   */
  async sweep(opts: SweepOptions): Promise<SweepReport> {
    const graceMs = opts.graceMs ?? 3_600_000;
    const report: SweepReport = { scanned: 0, orphans: 0, removed: 0, failures: [] };
    const removedPaths: string[] = [];
    let pending: StoredFile[] = [];
    const flush = async () => {
      const known = await this.o.repo.known([...new Set(pending.flatMap((f) => (f.sessionId ? [f.sessionId] : [])))]);
      const newest = this.o.clock.now().getTime() - graceMs;
      for (const f of pending) {
        const state = f.sessionId === null ? undefined : known.get(f.sessionId);
        if (state === 'present' || state === 'purging') continue;
        const modified = await this.o.files.modifiedAt(f.path);
        if (modified === null || modified.getTime() > newest) continue;
        const reason: OrphanFile['reason'] = f.sessionId === null ? 'unrecognised' : state === 'purged' ? 'purged-session' : 'no-session';
        let removed = false;
        if (opts.remove && reason !== 'unrecognised') {
          try {
            removed = await this.o.files.remove(f.path);
          } catch (err) {
            report.failures.push({ path: this.o.files.describe(f.path), problem: errorText(err) });
          }
        }
        report.orphans++;
        if (removed) {
          report.removed++;
          removedPaths.push(this.o.files.describe(f.path));
        }
        opts.onFile?.({ path: this.o.files.describe(f.path), sessionId: f.sessionId, reason, removed });
      }
      pending = [];
      await yieldToLoop();
    };
    for await (const f of this.o.files.walk()) {
      if (opts.signal?.aborted) break;
      report.scanned++;
      pending.push(f);
      if (pending.length >= this.fileChunk * 5) await flush();
    }
    if (pending.length > 0) await flush();
    if (report.removed > 0) {
      await this.o.audit.append({
        at: this.o.clock.now(),
        actor: opts.actor.name,
        action: 'recordings.orphans.remove',
        target: 'recordings',
        details: JSON.stringify({ removed: report.removed, files: removedPaths.slice(0, 1000) }),
      });
    }
    return report;
  }
}
