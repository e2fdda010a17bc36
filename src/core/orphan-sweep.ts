// The orphan sweep: files under the recordings and videos folders that no session accounts for, reported and, when asked, removed.
//
// The purge itself never leaves such files (see purge-service.ts); they come from elsewhere: a file derived after
// its session was purged (a video finished late), a database restored from an older backup, files copied in by hand.

import type { Clock } from './clock.js';
import type { AuditRepo } from './ports.js';
import { errorText, yieldToLoop, type PurgeActor, type PurgeFiles, type PurgeRepo, type StoredFile } from './purge-service.js';

export interface OrphanSweepOptions {
  repo: Pick<PurgeRepo, 'known'>;
  files: PurgeFiles;
  audit: AuditRepo;
  clock: Clock;
  /** Files looked up per query (default 500). */
  chunk?: number;
  /** Idle time between chunks (default 2 ms), as for the purge. */
  pauseMs?: number;
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

/**
 * Reports files whose name is the Session ID of no session or of a purged session, and files whose name is no
 * Session ID; files of sessions present or being purged are the purge's business and are skipped. With `remove`,
 * deletes the first two kinds (never unrecognised names) and writes one audit entry listing them.
 */
export class OrphanSweep {
  constructor(private readonly o: OrphanSweepOptions) {}

  async run(opts: SweepOptions): Promise<SweepReport> {
    const report: SweepReport = { scanned: 0, orphans: 0, removed: 0, failures: [] };
    const removed: string[] = [];
    const chunk = this.o.chunk ?? 500;
    let pending: StoredFile[] = [];
    for await (const f of this.o.files.walk()) {
      if (opts.signal?.aborted) break;
      report.scanned++;
      pending.push(f);
      if (pending.length >= chunk) {
        await this.check(pending, opts, report, removed);
        pending = [];
      }
    }
    if (pending.length > 0) await this.check(pending, opts, report, removed);
    if (removed.length > 0) {
      await this.o.audit.append({
        at: this.o.clock.now(),
        actor: opts.actor.name,
        action: 'recordings.orphans.remove',
        target: 'recordings',
        details: JSON.stringify({ removed: removed.length, files: removed.slice(0, 1000) }),
      });
    }
    return report;
  }

  private async check(files: StoredFile[], opts: SweepOptions, report: SweepReport, removedPaths: string[]): Promise<void> {
    const known = await this.o.repo.known([...new Set(files.flatMap((f) => (f.sessionId ? [f.sessionId] : [])))]);
    const newest = this.o.clock.now().getTime() - (opts.graceMs ?? 3_600_000);
    for (const f of files) {
      const state = f.sessionId === null ? undefined : known.get(f.sessionId);
      if (state === 'present' || state === 'purging') continue;
      const modified = await this.o.files.modifiedAt(f.path);
      if (modified === null || modified.getTime() > newest) continue;
      const reason: OrphanFile['reason'] = f.sessionId === null ? 'unrecognised' : state === 'purged' ? 'purged-session' : 'no-session';
      const shown = this.o.files.describe(f.path);
      let removed = false;
      if (opts.remove && reason !== 'unrecognised') {
        try {
          removed = await this.o.files.remove(f.path);
        } catch (err) {
          report.failures.push({ path: shown, problem: errorText(err) });
        }
      }
      report.orphans++;
      if (removed) {
        report.removed++;
        removedPaths.push(shown);
      }
      opts.onFile?.({ path: shown, sessionId: f.sessionId, reason, removed });
    }
    await yieldToLoop(this.o.pauseMs ?? 2);
  }
}
