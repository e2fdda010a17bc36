// Retention purge (SPEC §6): removes the recordings of completed, unprotected sessions past retention, and every file derived from them.
//
// Crash safety. Each session goes through three steps:
//   1. claim  — one transaction re-checks that the session is still a candidate (not active, not protected,
//               not purged, not claimed) and sets purge_started_at; a Prevent Purge committed before it wins;
//   2. delete — its files go (a file already missing is fine), then what it displayed leaves the search index
//               (its recording's text, kept outside the recording: in transactions of a few hundred lines; the
//               first one also stops any indexing of it for good; its commands stay, they are its logs);
//   3. finish — one transaction sets purged_at and writes the Files purged event and an audit entry,
//               only for sessions not marked yet, so a session gets its event once.
// Files and text are only deleted for claimed sessions. A kill anywhere leaves each session either untouched,
// claimed (purge_started_at set, purged_at null: "files being removed") or purged; every run first finishes the
// claimed ones (step 2 again: a missing file or line is fine), so after a second run no session claims files that
// are gone, and no file or indexed line is left of a purged session.
// A session claimed before a Prevent Purge arrived is finished anyway: some of its files may already be gone.
// Sessions purged by versions that left their text in the index have it removed at the end of a run (once).
//
// Not stalling the gateway (which shares this event loop and the SQLite write lock): files are deleted
// asynchronously, a few at a time, in chunks; database work is in short transactions of a few sessions; and the
// purge pauses after each of them. bench/purge.ts measures the effect on keystroke latency.

import type { Clock } from './clock.js';
import { VigilError } from './errors.js';

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
  /**
   * Step 2, the text: removes at most `limit` lines of what these claimed sessions displayed from the search index,
   * and keeps any more from being indexed; resolves how many were removed (fewer than `limit`: none is left).
   * Their commands stay. A transaction; repeating it is harmless.
   */
  forgetText(ids: number[], limit: number): Promise<number>;
  /**
   * One step of removing the text that sessions purged before purges cleaned the index left there: at most `limit`
   * lines; resolves false when none is left (and from then on at once).
   */
  forgetLeftoverText(limit: number): Promise<boolean>;
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
  clock: Clock;
  /** The retention setting, read at the start of each run. */
  retentionDays: () => Promise<number>;
  /** Sessions handled per round: one listing of each folder they share (default 200). */
  batchSize?: number;
  /** Sessions claimed, or marked purged, per transaction; each transaction blocks the event loop while it runs (default 25, at most 1000). */
  transactionSize?: number;
  /** Files deleted per chunk, with a turn of the event loop between chunks (default 100). */
  fileChunk?: number;
  /** Deletions in flight at once; kept below libuv's 4 pool threads so the recorders' writes are not queued behind them (default 2). */
  fileConcurrency?: number;
  /** Indexed lines removed per transaction (default 500): each blocks the event loop and the search index's writer while it runs. */
  textChunk?: number;
  /**
   * Idle time after each transaction and each chunk of files (default 2 ms). It roughly halves the purge's speed
   * and its share of the event loop and of the SQLite write lock: a keystroke rarely waits behind it (see bench/purge.ts).
   */
  pauseMs?: number;
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

const DAY_MS = 86_400_000;
const MAX_FAILURES_LISTED = 100;

/** Hands the event loop back between chunks of work, so that I/O callbacks (the gateway's keystrokes) run; with `ms`, stays idle that long. */
export const yieldToLoop = (ms: number) => new Promise<void>((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)));

/** Runs `fn` over `items` with at most `limit` calls in flight. */
async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** The errno code of a filesystem error, else its message. */
export function errorText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code ?? (err instanceof Error ? err.message : String(err));
}

/** Checks a retention period in days (1..3650). */
export function checkRetentionDays(days: number): number {
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw VigilError.badRequest(`retention must be a whole number of days from 1 to 3650, not ${days}`);
  return days;
}

/** Purges expired recordings. One instance may serve the hourly job and the CLI. */
export class PurgeService {
  private readonly batchSize: number;
  private readonly transactionSize: number;
  private readonly fileChunk: number;
  private readonly fileConcurrency: number;
  private readonly textChunk: number;
  private readonly pause: () => Promise<void>;

  constructor(private readonly o: PurgeServiceOptions) {
    this.batchSize = o.batchSize ?? 200;
    // Bounded so that one transaction's bound parameters stay far below SQLite's limit.
    this.transactionSize = Math.min(o.transactionSize ?? 25, 1000);
    this.fileChunk = o.fileChunk ?? 100;
    this.fileConcurrency = o.fileConcurrency ?? 2;
    this.textChunk = o.textChunk ?? 500;
    const pauseMs = o.pauseMs ?? 2;
    this.pause = () => yieldToLoop(pauseMs);
  }

  /** Finishes sessions an interrupted run claimed, then purges every candidate older than the retention. */
  async run(opts: PurgeRunOptions): Promise<PurgeReport> {
    const retentionDays = checkRetentionDays(opts.retentionDays ?? (await this.o.retentionDays()));
    const cutoff = new Date(this.o.clock.now().getTime() - retentionDays * DAY_MS);
    const report: PurgeReport = { dryRun: !!opts.dryRun, retentionDays, cutoff, sessions: 0, files: 0, resumed: 0, skipped: 0, failed: 0, failures: [], aborted: false };
    const stopped = () => (opts.signal?.aborted ? (report.aborted = true) : false);

    // Claims left by an interrupted run come first: their files are partly gone already.
    let afterId = 0;
    while (!stopped()) {
      const batch = await this.o.repo.unfinished(this.batchSize, afterId);
      if (batch.length === 0) break;
      afterId = batch[batch.length - 1]!.id;
      await (opts.dryRun ? this.preview(batch, true, report, opts) : this.purgeClaimed(batch, true, report, opts, retentionDays));
      await this.pause();
    }
    let after: PurgeCursor | undefined;
    while (!stopped()) {
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
          await this.pause();
        }
        report.skipped += batch.length - claimed.size;
        await this.purgeClaimed(batch.filter((s) => claimed.has(s.id)), false, report, opts, retentionDays);
      }
      await this.pause();
    }
    if (!opts.dryRun) {
      while (!stopped() && (await this.o.repo.forgetLeftoverText(this.textChunk))) await this.pause();
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
    const { removed, problems } = await this.deleteFiles(batch);
    await this.forgetText(batch.filter((s) => !problems.has(s.id)), problems);
    const done = batch.filter((s) => !problems.has(s.id));
    const marked = new Set<number>();
    for (const part of this.parts(done)) {
      const items = part.map((s) => this.finishItem(s, removed.get(s.id)!, resumed, retentionDays));
      for (const id of await this.o.repo.finish(items, this.o.clock.now(), opts.actor)) marked.add(id);
      await this.pause();
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

  /** Step 2: deletes the files of claimed sessions; returns, by session, the files removed and what went wrong. */
  private async deleteFiles(batch: PurgeCandidate[]): Promise<{ removed: Map<number, string[]>; problems: Map<number, string> }> {
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
      await this.pause();
    }
    return { removed, problems };
  }

  /** Step 2, the text: removes what these sessions displayed from the search index; a failure leaves them claimed (the next run retries). */
  private async forgetText(sessions: PurgeCandidate[], problems: Map<number, string>): Promise<void> {
    for (const part of this.parts(sessions)) {
      const ids = part.map((s) => s.id);
      try {
        while ((await this.o.repo.forgetText(ids, this.textChunk)) >= this.textChunk) await this.pause();
      } catch (err) {
        for (const s of part) problems.set(s.id, `cannot remove its text from the search index: ${errorText(err)}`);
      }
      await this.pause();
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
}
