import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PurgeReport, PurgeRunOptions } from '../core/purge-service.js';
import { PurgeJob } from './purge-job.js';

const report = (o: Partial<PurgeReport> = {}): PurgeReport => ({ dryRun: false, retentionDays: 90, cutoff: new Date(0), sessions: 0, files: 0, resumed: 0, skipped: 0, failed: 0, failures: [], aborted: false, ...o });

function logger() {
  return { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
}

/** A purge whose runs finish when the test says so. */
function controllable() {
  const runs: Array<{ opts: PurgeRunOptions; finish: (r: PurgeReport) => void; fail: (e: Error) => void }> = [];
  const purge = {
    run: (opts: PurgeRunOptions) =>
      new Promise<PurgeReport>((finish, fail) => {
        runs.push({ opts, finish, fail });
        opts.signal?.addEventListener('abort', () => finish(report({ aborted: true })));
      }),
  };
  return { purge, runs };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('PurgeJob', () => {
  it('runs once at start and then every interval, skipping a tick while a run is going', async () => {
    vi.useFakeTimers();
    const { purge, runs } = controllable();
    const log = logger();
    const job = new PurgeJob({ purge, logger: log, intervalMs: 1000 });
    job.start();
    expect(runs).toHaveLength(1);
    expect(runs[0]!.opts.actor).toEqual({ userId: null, name: 'system' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toHaveLength(1);
    expect(log.warn).toHaveBeenCalledWith({}, expect.stringMatching(/still running; this run is skipped/));
    runs[0]!.finish(report({ sessions: 3, files: 9 }));
    await vi.advanceTimersByTimeAsync(0);
    expect(log.info).toHaveBeenCalledWith(expect.objectContaining({ sessions: 3, files: 9 }), 'retention purge done');
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toHaveLength(2);
    await job.stop();
  });

  it('logs a failed run and tries again at the next tick', async () => {
    vi.useFakeTimers();
    const { purge, runs } = controllable();
    const log = logger();
    const job = new PurgeJob({ purge, logger: log, intervalMs: 1000 });
    job.start();
    runs[0]!.fail(new Error('database is locked'));
    await vi.advanceTimersByTimeAsync(0);
    expect(log.error).toHaveBeenCalledWith({ err: 'database is locked' }, 'retention purge failed');
    expect(job.running).toBe(false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toHaveLength(2);
    await job.stop();
  });

  it('stop() aborts the running purge, waits for it, and ends the schedule', async () => {
    vi.useFakeTimers();
    const { purge, runs } = controllable();
    const job = new PurgeJob({ purge, logger: logger(), intervalMs: 1000 });
    job.start();
    await job.stop();
    expect(runs[0]!.opts.signal!.aborted).toBe(true);
    expect(job.running).toBe(false);
    await vi.advanceTimersByTimeAsync(5000);
    expect(runs).toHaveLength(1);
    expect(await job.runOnce()).toBeNull();
  });

  it('does not keep the process alive', () => {
    const { purge } = controllable();
    const job = new PurgeJob({ purge, logger: logger() });
    job.start();
    const timer = (job as unknown as { timer: NodeJS.Timeout }).timer;
    expect(timer.hasRef()).toBe(false);
    void job.stop();
  });
});
