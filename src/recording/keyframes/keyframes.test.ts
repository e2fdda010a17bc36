// Keyframes: restoring the nearest keyframe and replaying from its offset gives exactly the screen a full replay gives, at any time.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeTerminal, diffStates } from '../../hub/mirror/mirror-test-helpers.js';
import { CastFile, prng, trickyChunks, writeInteractiveCast } from '../../../test/helpers/synthetic-cast.js';
import { lineEvent, SyncCastLines } from './cast-lines.js';
import { openCastSync } from '../cast-source.js';
import { buildKeyframes, KeyframeFollower } from './keyframe-files.js';
import { keyframeAt, keyframePaths, readIndex, readKeyframeSync, type KeyframeIndex } from './keyframe-index.js';
import { ReplayTerminal } from './replay-terminal.js';
import { KeyframeBuilder, type KeyframeSink } from './keyframe-builder.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-kf-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function apply(term: ReplayTerminal, type: string, data: string): void {
  if (type === 'o') term.write(data);
  else if (type === 'r') term.resizeTo(data);
}

/** Replays events with time <= t from byte `offset` (after the header when 0) into `term`. */
function replayUntil(castPath: string, term: ReplayTerminal, offset: number, t: number): void {
  const fd = openCastSync(castPath);
  try {
    const lines = new SyncCastLines(fd, offset);
    for (let line = lines.next(); line; line = lines.next()) {
      const e = lineEvent(line.bytes);
      if (!e) continue;
      if (e.time > t) break;
      apply(term, e.type, e.data);
    }
  } finally {
    fd.close();
  }
}

function stateAt(castPath: string, index: KeyframeIndex, t: number, cols: number, rows: number): { full: unknown; seek: unknown } {
  const full = new ReplayTerminal({ cols, rows });
  replayUntil(castPath, full, 0, t);
  const kf = keyframeAt(index.keyframes, t);
  const seek = new ReplayTerminal(kf ?? { cols, rows });
  if (kf) seek.write(readKeyframeSync(castPath, kf));
  replayUntil(castPath, seek, kf ? kf.castOffset : 0, t);
  const out = { full: describeTerminal(full.term, full.windowTitle), seek: describeTerminal(seek.term, seek.windowTitle) };
  full.dispose();
  seek.dispose();
  return out;
}

function trickyCast(file: string, seed: number): number {
  const rand = prng(seed);
  const cast = new CastFile(file, 60, 20);
  let t = 0;
  for (const [i, chunk] of trickyChunks(rand).entries()) {
    t += rand() < 0.05 ? 3 : rand() * 0.4;
    cast.event(t, 'o', chunk);
    if (i % 97 === 50) cast.event(t, 'r', `${50 + Math.floor(rand() * 40)}x${15 + Math.floor(rand() * 15)}`);
    if (i % 13 === 0) cast.event(t, 'i', 'x');
  }
  cast.close();
  return t;
}

describe('keyframes', () => {
  it('a session that ends before its first keyframe is due gets a complete index without a terminal being made', () => {
    const file = path.join(dir, 'short.cast');
    const cast = new CastFile(file, 80, 24);
    cast.event(0.1, 'o', '$ echo hi\r\nhi\r\n');
    cast.event(4, 'o', '$ exit\r\n');
    cast.close();
    const ends: number[] = [];
    const sink: KeyframeSink = { keyframe: () => expect.fail('no keyframe is due'), idle: () => undefined, end: (d) => ends.push(d) };
    const builder = new KeyframeBuilder(sink, { kind: 'header', cols: 80, rows: 24 });
    const fd = openCastSync(file);
    const lines = new SyncCastLines(fd, 0);
    lines.next();
    for (let line = lines.next(); line; line = lines.next()) builder.line(line);
    fd.close();
    builder.end(fs.statSync(file).size);
    expect(builder.parsing).toBe(false);
    expect(ends).toEqual([4]);
    builder.dispose();
    // Through the files: the index is complete (the player and the seek read it as they read any other).
    const index = buildKeyframes(file);
    expect(index.keyframes).toEqual([]);
    expect(index.end?.duration).toBe(4);
    expect(index.end?.castSize).toBe(fs.statSync(file).size);
  });

  it('restore + replay equals a full replay at random times, across awkward terminal state', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const file = path.join(dir, `tricky${seed}.cast`);
      const duration = trickyCast(file, seed);
      const index = buildKeyframes(file, { limits: { seconds: 2, bytes: 2048 } });
      expect(index.end).toMatchObject({ castSize: fs.statSync(file).size });
      expect(index.keyframes.length).toBeGreaterThan(10);
      const rand = prng(seed * 31);
      for (let i = 0; i < 40; i++) {
        const t = rand() * duration;
        const { full, seek } = stateAt(file, index, t, 60, 20);
        expect(diffStates(seek, full), `seed ${seed} t=${t.toFixed(3)}`).toEqual([]);
      }
    }
  });

  it('keeps keyframes within 10 s / 256 KiB, records idle gaps, and the events after a keyframe are strictly later', () => {
    const file = path.join(dir, 'interactive.cast');
    const { duration } = writeInteractiveCast(file, { seconds: 600 });
    const index = buildKeyframes(file);
    const times = index.keyframes.map((k) => k.time);
    expect(times.length).toBeGreaterThan(10);
    for (const [i, k] of index.keyframes.entries()) {
      const prev = i === 0 ? { time: 0, castOffset: 0 } : index.keyframes[i - 1];
      // A keyframe is due after 10 s of time (it waits for the next event) or 256 KiB of lines (+ one event).
      expect(k.castOffset - prev.castOffset).toBeLessThan(256 * 1024 + 64 * 1024);
      const fd = openCastSync(file);
      const next = new SyncCastLines(fd, k.castOffset).next();
      fd.close();
      if (next) expect(lineEvent(next.bytes)!.time).toBeGreaterThan(k.time);
    }
    expect(index.idle.length).toBeGreaterThan(0);
    for (const gap of index.idle) expect(gap.end - gap.start).toBeGreaterThan(2);
    expect(index.end?.duration).toBeCloseTo(duration, 3);
    const rand = prng(5);
    for (let i = 0; i < 10; i++) {
      const t = rand() * duration;
      const { full, seek } = stateAt(file, index, t, 80, 24);
      expect(diffStates(seek, full), `t=${t}`).toEqual([]);
    }
  });

  it('follows a recording as it grows, and a build resumes an index cut short by a crash', () => {
    const file = path.join(dir, 'growing.cast');
    const cast = new CastFile(file, 40, 10);
    const rand = prng(9);
    let t = 0;
    const chunks = trickyChunks(rand);
    for (const c of chunks.slice(0, 200)) cast.event((t += 0.3), 'o', c);
    cast.close();
    const follower = new KeyframeFollower(file, null, { seconds: 2, bytes: 1024 });
    expect(follower.poll()).toBe(fs.statSync(file).size);
    // The writer appends more, the last line torn at first.
    const more = chunks.slice(200).map((c) => `[${(t += 0.3).toFixed(6)},"o",${JSON.stringify(c)}]\n`).join('');
    fs.appendFileSync(file, more.slice(0, more.length - 5));
    follower.poll();
    fs.appendFileSync(file, more.slice(more.length - 5));
    follower.poll();
    follower.close();
    const partial = readIndex(file);
    expect(partial.end).toBeNull();
    expect(partial.keyframes.length).toBeGreaterThan(5);

    // A crash tore the last record: the build keeps what is valid and resumes.
    fs.truncateSync(keyframePaths(file).index, fs.statSync(keyframePaths(file).index).size - 7);
    const resumed = buildKeyframes(file, { limits: { seconds: 2, bytes: 1024 } });
    const fresh = (() => {
      const copy = path.join(dir, 'growing-copy.cast');
      fs.copyFileSync(file, copy);
      return buildKeyframes(copy, { limits: { seconds: 2, bytes: 1024 } });
    })();
    expect(resumed.end).toMatchObject({ castSize: fs.statSync(file).size });
    expect(resumed.keyframes.map((k) => [k.time, k.castOffset])).toEqual(fresh.keyframes.map((k) => [k.time, k.castOffset]));
    expect(resumed.idle).toEqual(fresh.idle);
    for (const at of [1, 20, 50, 100, t - 0.1]) {
      const { full, seek } = stateAt(file, resumed, at, 40, 10);
      expect(diffStates(seek, full), `t=${at}`).toEqual([]);
    }
  });

  it('ignores an index made for another recording, or keyframes past the end of a shortened one', () => {
    const file = path.join(dir, 'replaced.cast');
    writeInteractiveCast(file, { seconds: 300, seed: 1 });
    const first = buildKeyframes(file);
    expect(first.keyframes.length).toBeGreaterThan(3);
    // Another recording under the same name: its header differs, so the old index does not apply.
    fs.rmSync(file);
    const other = new CastFile(file, 100, 30, 1_800_000_000);
    other.event(1, 'o', 'another session\r\n');
    other.close();
    expect(readIndex(file)).toMatchObject({ keyframes: [], end: null });
    expect(buildKeyframes(file)).toMatchObject({ keyframes: [], end: { castSize: fs.statSync(file).size } });
    // A recording cut short (repair after a crash): keyframes beyond its end are dropped, the rest resumed.
    writeInteractiveCast(file, { seconds: 300, seed: 1 });
    const full = buildKeyframes(file, { fresh: true });
    const cut = full.keyframes[2].castOffset + 10;
    fs.truncateSync(file, cut);
    fs.appendFileSync(file, '\n');
    const resumed = buildKeyframes(file);
    expect(resumed.keyframes.every((k) => k.castOffset <= cut)).toBe(true);
    expect(resumed.end).toMatchObject({ castSize: cut + 1 });
  });
});
