// The video job queue: one render at a time by default, others queued in order; failures reported and retried;
// jobs survive a stop or crash (resumed or failed with a reason, partial outputs removed); the purge still finds them.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { FsPurgeFiles } from '../../core/purge-files.js';
import { jobFilePath, type VideoJobRecord } from './video-job-file.js';
import { VideoJobs, type VideoJobStatus, type VideoRenderFn } from './video-jobs.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-jobs-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A renderer the test finishes by hand; `started(id, n)` resolves when the n-th render of that session has begun. */
function manualRenderer() {
  const pending = new Map<string, { finish: (ok: boolean) => void; progress: (f: number) => void; outPath: string }>();
  const waiters: Array<() => void> = [];
  const order: string[] = [];
  const render: VideoRenderFn = (req, onProgress, signal) =>
    new Promise((resolve, reject) => {
      order.push(req.sessionId);
      if (signal.aborted) return reject(new Error('video generation was cancelled'));
      signal.addEventListener('abort', () => reject(new Error('video generation was cancelled')));
      pending.set(req.sessionId, {
        outPath: req.outPath,
        progress: onProgress,
        finish: (ok) => {
          if (ok) {
            fs.writeFileSync(req.outPath, 'mp4 bytes');
            resolve();
          } else reject(new Error('ffmpeg failed (exit 1): boom'));
        },
      });
      for (const w of waiters.splice(0)) w();
    });
  const started = async (id: string, n = 1) => {
    while (order.filter((x) => x === id).length < n) await new Promise<void>((r) => waiters.push(r));
  };
  return { render, pending, started, order };
}

const id = (n: number) => String(n).repeat(32);
const req = (n: number, requestedBy = 'alice') => ({ sessionId: id(n), castPath: '/x.cast', startedAt: new Date(0), requestedBy });
const record = (videosDir: string, n: number): VideoJobRecord => JSON.parse(fs.readFileSync(jobFilePath(videosDir, id(n)), 'utf8')) as VideoJobRecord;

/** Waits (bounded) until a job leaves queued/running. */
async function settled(jobs: VideoJobs, sessionId: string): Promise<VideoJobStatus | null> {
  for (let i = 0; i < 500; i++) {
    const s = await jobs.status(sessionId);
    if (!s || (s.state !== 'queued' && s.state !== 'running')) return s;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`job ${sessionId} did not finish`);
}

/** Retries an assertion about what is written in the background, for up to 2 s. */
async function eventually(check: () => void): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      return check();
    } catch (err) {
      if (i >= 400) throw err;
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

/** A clock for job records: one second later at every call. */
function steppingClock() {
  let t = Date.UTC(2026, 0, 1);
  return () => new Date((t += 1000));
}

it('renders one at a time, queues the rest in order, reports progress and failures, and retries a failed job', async () => {
  const { render, pending, started } = manualRenderer();
  const jobs = new VideoJobs({ videosDir: path.join(dir, 'a'), render });
  expect(await jobs.status(id(1))).toBeNull();
  await jobs.start(req(1));
  await jobs.start(req(2));
  await jobs.start(req(3));
  await started(id(1));
  expect([...pending.keys()]).toEqual([id(1)]);
  expect(await jobs.status(id(1))).toMatchObject({ state: 'running', percent: 0 });
  expect(await jobs.status(id(2))).toMatchObject({ state: 'queued' });
  // Asking again while queued or running changes nothing.
  expect(await jobs.start(req(2))).toMatchObject({ state: 'queued' });
  pending.get(id(1))!.progress(0.42);
  expect(await jobs.status(id(1))).toMatchObject({ percent: 42 });
  expect(await jobs.file(id(1))).toBeNull();
  pending.get(id(1))!.finish(true);
  expect(await settled(jobs, id(1))).toEqual({ state: 'done', percent: 100, error: null, size: 9 });
  expect(await jobs.file(id(1))).toMatchObject({ size: 9 });
  await started(id(2));
  expect([...pending.keys()]).toEqual([id(1), id(2)]);
  pending.get(id(2))!.finish(false);
  expect(await settled(jobs, id(2))).toMatchObject({ state: 'failed', error: 'ffmpeg failed (exit 1): boom' });
  expect(await jobs.start(req(2))).toMatchObject({ state: 'queued' });
  await started(id(3));
  pending.get(id(3))!.finish(true);
  await started(id(2), 2);
  expect(await jobs.status(id(2))).toMatchObject({ state: 'running' });
  await jobs.close();
});

it('runs as many renders as the concurrency allows, and finds MP4s made before a restart', async () => {
  const { render, pending, started } = manualRenderer();
  const videosDir = path.join(dir, 'b');
  const jobs = new VideoJobs({ videosDir, render, concurrency: 2 });
  for (const n of [4, 5, 6]) await jobs.start(req(n));
  await started(id(4));
  await started(id(5));
  // Both run at once; which of the two got its worker first is a race the test does not care about.
  expect([...pending.keys()].sort()).toEqual([id(4), id(5)].sort());
  expect(await jobs.status(id(6))).toMatchObject({ state: 'queued' });
  pending.get(id(4))!.finish(true);
  expect(await settled(jobs, id(4))).toMatchObject({ state: 'done' });
  await started(id(6));
  await jobs.close();
  const again = new VideoJobs({ videosDir, render: manualRenderer().render });
  expect(await again.status(id(4))).toMatchObject({ state: 'done', size: 9 });
  expect(await again.start(req(4))).toMatchObject({ state: 'done' });
  expect(() => again.pathFor('../etc/passwd')).toThrow(/invalid session id/);
  await again.close();
});

it('keeps each job in a file beside its video, and after a crash removes the partial MP4 and renders the job again', async () => {
  const videosDir = path.join(dir, 'crash');
  const first = manualRenderer();
  const jobs = new VideoJobs({ videosDir, render: first.render, now: steppingClock() });
  await jobs.start(req(7, 'alice'));
  await first.started(id(7));
  expect(record(videosDir, 7)).toMatchObject({ state: 'running', percent: 0, requestedBy: 'alice', attempts: 1, castPath: '/x.cast', sessionStartedAt: new Date(0).toISOString() });
  first.pending.get(id(7))!.progress(0.5);
  await eventually(() => expect(record(videosDir, 7)).toMatchObject({ state: 'running', percent: 50 }));
  // ffmpeg had written part of the video when Vigil died (no close(): a crash).
  fs.writeFileSync(`${first.pending.get(id(7))!.outPath}.5f3a9c01.part`, 'half an mp4');

  const second = manualRenderer();
  const restarted = new VideoJobs({ videosDir, render: second.render, now: steppingClock() });
  expect(await restarted.status(id(7))).toMatchObject({ state: expect.stringMatching(/^(queued|running)$/), percent: 0, error: null });
  await second.started(id(7));
  expect(await restarted.status(id(7))).toMatchObject({ state: 'running', percent: 0, error: null });
  expect(fs.readdirSync(videosDir).filter((f) => f.endsWith('.part'))).toEqual([]);
  expect(await restarted.file(id(7))).toBeNull();
  second.pending.get(id(7))!.finish(true);
  expect(await settled(restarted, id(7))).toEqual({ state: 'done', percent: 100, error: null, size: 9 });
  expect(record(videosDir, 7)).toMatchObject({ state: 'done', percent: 100, size: 9, requestedBy: 'alice', attempts: 2 });
  expect(record(videosDir, 7).finishedAt).not.toBeNull();
  // The old process's render, had it gone on, is stopped; a third start finds the video done.
  await jobs.close();
  const third = new VideoJobs({ videosDir, render: manualRenderer().render });
  expect(await third.status(id(7))).toMatchObject({ state: 'done', size: 9 });
  expect(await third.file(id(7))).toMatchObject({ size: 9, path: path.join(videosDir, `${id(7)}.mp4`) });
  await restarted.close();
  await third.close();
});

it('resumes queued jobs in the order they were asked for, and a clean stop leaves them to the next start', async () => {
  const videosDir = path.join(dir, 'order');
  const clock = steppingClock();
  const first = manualRenderer();
  const jobs = new VideoJobs({ videosDir, render: first.render, now: clock });
  for (const n of [3, 1, 2]) await jobs.start(req(n));
  await first.started(id(3));
  await jobs.close();
  // Stopping is not failing: the records still say running and queued.
  expect([3, 1, 2].map((n) => record(videosDir, n).state)).toEqual(['running', 'queued', 'queued']);

  const second = manualRenderer();
  const restarted = new VideoJobs({ videosDir, render: second.render, now: clock });
  expect(await restarted.status(id(1))).toMatchObject({ state: 'queued' });
  for (const n of [3, 1, 2]) {
    await second.started(id(n));
    second.pending.get(id(n))!.finish(true);
    expect(await settled(restarted, id(n))).toMatchObject({ state: 'done' });
  }
  expect(second.order).toEqual([id(3), id(1), id(2)]);
  await restarted.close();
});

it('fails a job interrupted too often, or any interrupted job when resuming is off, with a reason GET shows; asking again retries', async () => {
  const videosDir = path.join(dir, 'fail');
  const first = manualRenderer();
  let jobs = new VideoJobs({ videosDir, render: first.render });
  await jobs.start(req(8));
  await first.started(id(8));
  // Two crashes in a row while rendering (as if the render itself took Vigil down).
  const next = manualRenderer();
  const crashed = [jobs, (jobs = new VideoJobs({ videosDir, render: next.render }))];
  await next.started(id(8));
  expect(record(videosDir, 8).attempts).toBe(2);
  const errors: string[] = [];
  const last = manualRenderer();
  const restarted = new VideoJobs({ videosDir, render: last.render, onError: (_, e) => errors.push(e) });
  const failed = await restarted.status(id(8));
  expect(failed).toMatchObject({ state: 'failed', size: null });
  expect(failed!.error).toMatch(/interrupted by a stop of Vigil 2 times.*ask again/);
  expect(errors).toEqual([failed!.error]);
  expect(record(videosDir, 8)).toMatchObject({ state: 'failed', error: failed!.error });
  expect(last.order).toEqual([]);
  expect(await restarted.start(req(8))).toMatchObject({ state: 'queued', error: null });
  await last.started(id(8));
  last.pending.get(id(8))!.finish(true);
  expect(await settled(restarted, id(8))).toMatchObject({ state: 'done' });
  await restarted.close();
  for (const c of crashed) await c.close();

  const noResume = path.join(dir, 'no-resume');
  const r = manualRenderer();
  const before = new VideoJobs({ videosDir: noResume, render: r.render });
  await before.start(req(9));
  await r.started(id(9));
  await before.close();
  const after = new VideoJobs({ videosDir: noResume, render: manualRenderer().render, resumeInterrupted: false });
  expect(await after.status(id(9))).toMatchObject({ state: 'failed', error: 'Vigil stopped while this video was being generated; ask again to retry' });
  await after.close();
});

it('counts an MP4 renamed into place before its record was updated as done, and drops records whose MP4 was deleted', async () => {
  const videosDir = path.join(dir, 'rename');
  const r = manualRenderer();
  const jobs = new VideoJobs({ videosDir, render: r.render });
  await jobs.start(req(5));
  await jobs.start(req(6));
  await r.started(id(5));
  // Crash right after the render's rename, before the record said done.
  fs.writeFileSync(path.join(videosDir, `${id(5)}.mp4`), 'complete mp4');
  const again = new VideoJobs({ videosDir, render: manualRenderer().render });
  expect(await again.status(id(5))).toEqual({ state: 'done', percent: 100, error: null, size: 12 });
  expect(record(videosDir, 5)).toMatchObject({ state: 'done', size: 12 });
  await again.close();
  // The MP4 deleted by hand: no video, and the stale record goes.
  fs.rmSync(path.join(videosDir, `${id(5)}.mp4`));
  const third = new VideoJobs({ videosDir, render: manualRenderer().render, resumeInterrupted: false });
  expect(await third.status(id(5))).toBeNull();
  expect(fs.existsSync(jobFilePath(videosDir, id(5)))).toBe(false);
  await third.close();
  await jobs.close();
});

it('leaves the purge able to find and remove a video and its job file, even while the video is being made', async () => {
  const root = path.join(dir, 'purge');
  const videosDir = path.join(root, 'videos');
  const recordingsDir = path.join(root, 'recordings');
  const castPath = path.join(recordingsDir, '2026', '01', '01', `${id(4)}.cast`);
  fs.mkdirSync(path.dirname(castPath), { recursive: true });
  fs.writeFileSync(castPath, '');
  const purge = new FsPurgeFiles({ recordingsDir, videosDir });
  const r = manualRenderer();
  const jobs = new VideoJobs({ videosDir, render: r.render });
  await jobs.start({ ...req(4), castPath });
  await r.started(id(4));
  r.pending.get(id(4))!.finish(true);
  expect(await settled(jobs, id(4))).toMatchObject({ state: 'done' });
  const [listed] = await purge.list([{ sessionId: id(4), recordingPath: castPath }]);
  expect(listed.files.sort()).toEqual([castPath, path.join(videosDir, `${id(4)}.job.json`), path.join(videosDir, `${id(4)}.mp4`)].sort());
  for (const f of listed.files) await purge.remove(f);
  expect(await jobs.status(id(4))).toBeNull();

  // Purged while rendering: the purge takes the job file; the finished render then removes its MP4 instead of keeping it.
  fs.writeFileSync(castPath, '');
  await jobs.start({ ...req(4), castPath });
  await r.started(id(4), 2);
  for (const f of (await purge.list([{ sessionId: id(4), recordingPath: castPath }]))[0].files) await purge.remove(f);
  r.pending.get(id(4))!.finish(true);
  expect(await settled(jobs, id(4))).toBeNull();
  expect(fs.readdirSync(videosDir)).toEqual([]);
  await jobs.close();
});
