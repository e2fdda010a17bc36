// The background retention purge of a running Vigil: once at start, then every hour.

import type { PurgeActor, PurgeReport, PurgeRunOptions } from '../core/purge-service.js';
import { PeriodicJob } from './periodic-job.js';
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

/** The hourly retention purge (PeriodicJob: a tick during a run is skipped; stop() aborts between two batches). */
export class PurgeJob extends PeriodicJob<PurgeReport> {
  constructor(private readonly o: PurgeJobOptions) {
    super(o.intervalMs ?? 3_600_000, o.logger);
  }

  protected run(signal: AbortSignal): Promise<PurgeReport> {
    return this.o.purge.run({ actor: this.o.actor ?? { userId: null, name: 'system' }, signal });
  }

  protected report(r: PurgeReport): void {
    if (r.sessions > 0 || r.failed > 0 || r.aborted) {
      const fields = { sessions: r.sessions, files: r.files, resumed: r.resumed, skipped: r.skipped, failed: r.failed, failures: r.failures.slice(0, 5), retentionDays: r.retentionDays, aborted: r.aborted };
      if (r.failed > 0) this.logger.warn(fields, 'retention purge left sessions to retry');
      else this.logger.info(fields, 'retention purge done');
    }
  }

  protected failed(err: string): void {
    this.logger.error({ err }, 'retention purge failed');
  }

  protected override skipped(): void {
    this.logger.warn({}, 'retention purge still running; this run is skipped');
  }
}
