// The player's reads: chunks are bounded, continue without gaps or repeats, and a seek rebuilds the exact screen.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeTerminal } from '../../hub/mirror/mirror-test-helpers.js';
import { CastFile, prng, topScreen, writeInteractiveCast } from '../../../test/helpers/synthetic-cast.js';
import { lineEvent, SyncCastLines } from '../keyframes/cast-lines.js';
import { openCastSync } from '../cast-source.js';
import { buildKeyframes } from '../keyframes/keyframe-files.js';
import { ReplayTerminal } from '../keyframes/replay-terminal.js';
import { RecordingPlayer, type PlayerChunk } from './recording-player.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-player-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const player = new RecordingPlayer({ ensureIndex: async (p) => void buildKeyframes(p) });

function allEvents(file: string): PlayerChunk['events'] {
  const fd = openCastSync(file);
  const out: PlayerChunk['events'] = [];
  const lines = new SyncCastLines(fd, 0);
  for (let l = lines.next(); l; l = lines.next()) {
    const e = lineEvent(l.bytes);
    if (e && (e.type === 'o' || e.type === 'r')) out.push([e.time, e.type, e.data]);
  }
  fd.close();
  return out;
}

function apply(term: ReplayTerminal, events: PlayerChunk['events'], until: number): void {
  for (const [t, type, data] of events) {
    if (t > until) break;
    if (type === 'o') term.write(data);
    else term.resizeTo(data);
  }
}

/** A bulk recording: 40 minutes of log lines and `top` redraws, ~2 MB. */
function bulkCast(file: string): void {
  const rand = prng(3);
  const cast = new CastFile(file, 100, 30);
  for (let t = 0.5; t < 2400; t += 0.25 + (rand() < 0.01 ? 30 : 0)) {
    if (rand() < 0.1) cast.event(t, 'o', topScreen(rand, 100, 30, Math.floor(t)));
    else cast.event(t, 'o', `\x1b[3${Math.floor(rand() * 8)}m${t.toFixed(2)} GET /api/v1/item/${Math.floor(rand() * 1e6)} 200\x1b[0m\r\n`);
  }
  cast.close();
}

describe('recording player', () => {
  it('walks a recording in bounded chunks that together hold every output and resize event once', async () => {
    const file = path.join(dir, 'bulk.cast');
    bulkCast(file);
    const expected = allEvents(file);
    const timeline = await player.timeline(file);
    expect(timeline).toMatchObject({ cols: 100, rows: 30 });
    expect(timeline.duration).toBeCloseTo(expected.at(-1)![0], 5);
    expect(timeline.idle.length).toBeGreaterThan(5);

    const seen: PlayerChunk['events'] = [];
    let chunk = await player.chunk(file, { at: 0 });
    let chunks = 1;
    seen.push(...chunk.events);
    while (!chunk.done) {
      expect(chunk.next).toBe(chunk.to);
      const next = await player.chunk(file, { after: chunk.next! });
      expect(next.keyframe).toBeNull();
      expect(next.from).toBe(chunk.to);
      for (const e of next.events) expect(e[0]).toBeGreaterThan(chunk.to);
      chunk = next;
      chunks++;
      seen.push(...chunk.events);
      // 30 s or 512 KiB of lines after the requested time, plus the line that crossed it.
      expect(JSON.stringify(chunk).length).toBeLessThan(600 * 1024);
    }
    expect(chunks).toBeGreaterThan(40);
    expect(seen).toEqual(expected);
  });

  it('seeks anywhere: keyframe + events up to t equal a full replay, and the chunk stays bounded', async () => {
    const file = path.join(dir, 'interactive.cast');
    writeInteractiveCast(file, { seconds: 1800 });
    const events = allEvents(file);
    const { duration } = await player.timeline(file);
    const rand = prng(11);
    for (let i = 0; i < 20; i++) {
      const t = rand() * duration;
      const chunk = await player.chunk(file, { at: t });
      expect(chunk.from).toBeLessThanOrEqual(t);
      expect(chunk.to).toBeGreaterThanOrEqual(Math.min(t + 30, duration));
      expect(JSON.stringify(chunk).length).toBeLessThan(1024 * 1024);
      const kf = chunk.keyframe;
      if (kf) expect(chunk.events.every((e) => e[0] > kf.time)).toBe(true);
      const seek = new ReplayTerminal(kf ?? { cols: 80, rows: 24 });
      if (kf) seek.write(kf.data);
      apply(seek, chunk.events, t);
      const full = new ReplayTerminal({ cols: 80, rows: 24 });
      apply(full, events, t);
      expect(describeTerminal(seek.term, seek.windowTitle)).toEqual(describeTerminal(full.term, full.windowTitle));
      seek.dispose();
      full.dispose();
    }
  });

  it('copies the writer\'s lines as they are, re-encodes other valid events, and skips the rest', async () => {
    const file = path.join(dir, 'odd.cast');
    fs.writeFileSync(file, [
      '{"version": 2, "width": 80, "height": 24}',
      '[0.5, "o", "spaced \\u001b[1mbold"]',
      '[1,"o","plain \\"quoted\\" \\u00e9"]',
      '[1.5,"i","typed"]',
      '[2,"m","marker"]',
      '[2.5,"r","100x30"]',
      'not json',
      '[3e0,"o","exp"]',
      '',
    ].join('\n'));
    const chunk = await player.chunk(file, { at: 0 });
    expect(chunk.events).toEqual([[0.5, 'o', 'spaced \x1b[1mbold'], [1, 'o', 'plain "quoted" é'], [2.5, 'r', '100x30'], [3, 'o', 'exp']]);
    expect(chunk).toMatchObject({ done: true, next: null, to: 3 });
  });

  it('clamps times outside the recording', async () => {
    const file = path.join(dir, 'interactive.cast');
    const end = await player.chunk(file, { at: 1e9 });
    expect(end).toMatchObject({ done: true, next: null });
    expect((await player.chunk(file, { after: 1e9 })).events).toEqual([]);
  });
});
