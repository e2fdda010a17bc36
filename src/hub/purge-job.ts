// The background retention purge of a running Vigil: once at start, then every hour; one run at a time; stoppable.

import type { PurgeActor, PurgeReport, PurgeRunOptions } from '../core/purge-service.js';
import type { HubLogger } from './session-hub.js';

export interface PurgeJobOptions {
  /** The purge (PurgeService satisfies it). */
  purge: { run(opts: PurgeRunOptions): Promise<PurgeReport> };
  logger: HubLogger;
  /** Time between runs (default one hour). */
  intervalMs?: number;
  /** Who the Files purged events and audit entries name (default "system"). */
  actor?: PurgeActor;
}

/**
 * Runs the purge on a timer that never keeps the process alive. A tick that finds a run still going is
 * skipped (a first run over a large backlog may take longer than the interval); stop() aborts the current
 * run between two batches and waits for it, so a stop never leaves a batch half done.
 */
export class PurgeJob {
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<PurgeReport | null> | null = null;
  private abort: AbortController | null = null;
  private stopped = false;

  constructor(private readonly o: PurgeJobOptions) {}

  /** Starts the schedule: a run now, then one every interval. */
  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => void this.runOnce(), this.o.intervalMs ?? 3_600_000);
    this.timer.unref();
    void this.runOnce();
  }

  /** True while a run is going. */
  get running(): boolean {
    return this.current !== null;
  }

  /** Runs the purge now, unless one is already running (then resolves null at once). Never rejects: failures are logged and retried next time. */
  runOnce(): Promise<PurgeReport | null> {
    if (this.stopped) return Promise.resolve(null);
    if (this.current) {
      this.o.logger.warn({}, 'retention purge still running; this run is skipped');
      return Promise.resolve(null);
    }
    const abort = new AbortController();
    this.abort = abort;
    this.current = this.o.purge
      .run({ actor: this.o.actor ?? { userId: null, name: 'system' }, signal: abort.signal })
      .then(
        (r) => {
          if (r.sessions > 0 || r.failed > 0 || r.aborted) {
            const fields = { sessions: r.sessions, files: r.files, resumed: r.resumed, skipped: r.skipped, failed: r.failed, failures: r.failures.slice(0, 5), retentionDays: r.retentionDays, aborted: r.aborted };
            if (r.failed > 0) this.o.logger.warn(fields, 'retention purge left sessions to retry');
            else this.o.logger.info(fields, 'retention purge done');
          }
          return r;
        },
        (err: unknown) => {
          // The job is the top of its own call chain: there is no caller to hand the error to. The next tick retries.
          this.o.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'retention purge failed');
          return null;
        },
      )
      .finally(() => {
        this.current = null;
        this.abort = null;
      });
    return this.current;
  }

  /** Stops the schedule, aborts a running purge between batches, and waits for it. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.abort?.abort();
    await this.current;
  }
}
