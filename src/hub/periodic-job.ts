// A background job of a running Vigil: one run at start, then one every interval; one run at a time; stoppable.

import type { HubLogger } from './session-hub.js';

/**
 * Runs `run` on a timer that never keeps the process alive. A tick that finds a run still going is skipped (a first
 * run over a large backlog may take longer than the interval); stop() aborts the current run through its signal
 * (the run decides where it is safe to stop) and waits for it. A failed run is logged and retried at the next tick.
 */
export abstract class PeriodicJob<R> {
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<R | null> | null = null;
  private abort: AbortController | null = null;
  private stopped = false;

  constructor(
    private readonly intervalMs: number,
    protected readonly logger: HubLogger,
  ) {}

  /** One run; stop as soon as it is safe once `signal` is aborted. */
  protected abstract run(signal: AbortSignal): Promise<R>;
  /** Reports a finished run (a log line when it did anything). */
  protected abstract report(r: R): void;
  /** Reports a run that threw; the next tick tries again. */
  protected abstract failed(err: string): void;
  /** Told when a tick is skipped because the previous run is still going. */
  protected skipped(): void {}

  /** Starts the schedule: a run now, then one every interval. */
  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => void this.runOnce(), this.intervalMs);
    this.timer.unref();
    void this.runOnce();
  }

  /** True while a run is going. */
  get running(): boolean {
    return this.current !== null;
  }

  /** Runs now, unless a run is already going (then resolves null at once). Never rejects. */
  runOnce(): Promise<R | null> {
    if (this.stopped) return Promise.resolve(null);
    if (this.current) {
      this.skipped();
      return Promise.resolve(null);
    }
    const abort = new AbortController();
    this.abort = abort;
    this.current = this.run(abort.signal)
      .then(
        (r) => {
          this.report(r);
          return r;
        },
        (err: unknown) => {
          // The job is the top of its own call chain: there is no caller to hand the error to.
          this.failed(err instanceof Error ? err.message : String(err));
          return null;
        },
      )
      .finally(() => {
        this.current = null;
        this.abort = null;
      });
    return this.current;
  }

  /** Stops the schedule, aborts a running run and waits for it. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.abort?.abort();
    await this.current;
  }
}
