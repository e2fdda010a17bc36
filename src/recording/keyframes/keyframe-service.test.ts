// The keyframe worker follows a recording while it is written and completes its index when the session ends; ensure() indexes old recordings.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { AsciicastWriter } from '../asciicast-writer.js';
import { writeInteractiveCast } from '../../../test/helpers/synthetic-cast.js';
import { isComplete, keyframePaths, readIndex } from './keyframe-index.js';
import { KeyframeService } from './keyframe-service.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-kfs-'));
const service = new KeyframeService({ settleMs: 100 });
afterAll(async () => {
  await service.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

it('writes keyframes beside a live recording while it grows, and completes the index after the end', async () => {
  let now = 0;
  const castPath = path.join(dir, 'aa'.repeat(16) + '.cast');
  const writer = await AsciicastWriter.open({ path: castPath, header: { width: 80, height: 24, timestamp: 1_772_355_600 }, now: () => now, flushIntervalMs: 50 });
  const tap = service.track(castPath);
  for (let i = 0; i < 40; i++) {
    now += 1000;
    writer.output(Buffer.from(`\x1b[3${i % 8}mline ${i} ${'x'.repeat(60)}\x1b[0m\r\n`));
  }
  await writer.flush();
  // While the session is still going, keyframes appear (every 10 s of recording time here).
  await until(() => readIndex(castPath).keyframes.length >= 3);
  expect(readIndex(castPath).end).toBeNull();
  for (let i = 40; i < 60; i++) {
    now += 500;
    writer.output(Buffer.from(`line ${i}\r\n`));
  }
  tap.end();
  const summary = await writer.close();
  await service.ensure(castPath);
  const index = readIndex(castPath);
  expect(isComplete(index, summary.size)).toBe(true);
  expect(index.end?.duration).toBeCloseTo(summary.duration, 2);
  expect(index.keyframes.length).toBeGreaterThanOrEqual(4);
  expect(fs.statSync(keyframePaths(castPath).data).mode & 0o777).toBe(0o600);
});

it('indexes a recording that has no keyframes on demand, and fails cleanly for a file that is not a recording', async () => {
  const castPath = path.join(dir, 'bb'.repeat(16) + '.cast');
  writeInteractiveCast(castPath, { seconds: 300 });
  await service.ensure(castPath);
  expect(isComplete(readIndex(castPath), fs.statSync(castPath).size)).toBe(true);
  await service.ensure(castPath);
  const junk = path.join(dir, 'cc'.repeat(16) + '.cast');
  fs.writeFileSync(junk, 'not a recording\n');
  await expect(service.ensure(junk)).rejects.toThrow(/asciicast/);
});
