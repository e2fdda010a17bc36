// The video job queue: one render at a time by default, others queued in order; failures reported and retried; finished files survive restarts.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { VideoJobs, type VideoRenderFn } from './video-jobs.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-jobs-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A renderer the test finishes by hand. */
function manualRenderer() {
  const pending = new Map<string, { finish: (ok: boolean) => void; progress: (f: number) => void }>();
  const render: VideoRenderFn = (req, onProgress) =>
    new Promise((resolve, reject) => {
      pending.set(req.sessionId, {
        progress: onProgress,
        finish: (ok) => {
          if (ok) {
            fs.writeFileSync(req.outPath, 'mp4 bytes');
            resolve();
          } else reject(new Error('ffmpeg failed (exit 1): boom'));
        },
      });
    });
  return { render, pending };
}

const id = (n: number) => String(n).repeat(32);
const tick = () => new Promise((r) => setTimeout(r, 10));

it('renders one at a time, queues the rest in order, reports progress and failures, and retries a failed job', async () => {
  const { render, pending } = manualRenderer();
  const jobs = new VideoJobs({ videosDir: path.join(dir, 'a'), render });
  const req = (n: number) => ({ sessionId: id(n), castPath: '/x.cast', startedAt: new Date(0) });
  expect(await jobs.status(id(1))).toBeNull();
  await jobs.start(req(1));
  await jobs.start(req(2));
  await jobs.start(req(3));
  await tick();
  expect([...pending.keys()]).toEqual([id(1)]);
  expect(await jobs.status(id(1))).toMatchObject({ state: 'running', percent: 0 });
  expect(await jobs.status(id(2))).toMatchObject({ state: 'queued' });
  // Asking again while queued or running changes nothing.
  expect(await jobs.start(req(2))).toMatchObject({ state: 'queued' });
  pending.get(id(1))!.progress(0.42);
  expect(await jobs.status(id(1))).toMatchObject({ percent: 42 });
  expect(await jobs.file(id(1))).toBeNull();
  pending.get(id(1))!.finish(true);
  await tick();
  expect(await jobs.status(id(1))).toEqual({ state: 'done', percent: 100, error: null, size: 9 });
  expect(await jobs.file(id(1))).toMatchObject({ size: 9 });
  expect([...pending.keys()]).toEqual([id(1), id(2)]);
  pending.get(id(2))!.finish(false);
  await tick();
  expect(await jobs.status(id(2))).toMatchObject({ state: 'failed', error: 'ffmpeg failed (exit 1): boom' });
  expect(await jobs.start(req(2))).toMatchObject({ state: 'queued' });
  pending.get(id(3))!.finish(true);
  await tick();
  expect(await jobs.status(id(2))).toMatchObject({ state: 'running' });
  await jobs.close();
});

it('runs as many renders as the concurrency allows, and finds MP4s made before a restart', async () => {
  const { render, pending } = manualRenderer();
  const videosDir = path.join(dir, 'b');
  const jobs = new VideoJobs({ videosDir, render, concurrency: 2 });
  for (const n of [4, 5, 6]) await jobs.start({ sessionId: id(n), castPath: '/x.cast', startedAt: new Date(0) });
  await tick();
  expect([...pending.keys()]).toEqual([id(4), id(5)]);
  pending.get(id(4))!.finish(true);
  await tick();
  const again = new VideoJobs({ videosDir, render });
  expect(await again.status(id(4))).toMatchObject({ state: 'done', size: 9 });
  expect(await again.start({ sessionId: id(4), castPath: '/x.cast', startedAt: new Date(0) })).toMatchObject({ state: 'done' });
  expect(() => again.pathFor('../etc/passwd')).toThrow(/invalid session id/);
  await jobs.close();
});
