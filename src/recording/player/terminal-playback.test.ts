// Terminal playback: the first write is the screen at the start time; the rest follows with shortened, scaled pauses.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { describeTerminal } from '../../hub/mirror/mirror-test-helpers.js';
import { writeInteractiveCast } from '../../../test/helpers/synthetic-cast.js';
import { lineEvent, SyncCastLines } from '../keyframes/cast-lines.js';
import { openCastSync } from '../cast-source.js';
import { ReplayTerminal } from '../keyframes/replay-terminal.js';
import { playback } from './terminal-playback.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-playback-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function screen(term: ReplayTerminal): unknown {
  const d = describeTerminal(term.term, term.windowTitle);
  return { active: d.active, screen: d.alternate ?? d.normal, cursor: d.cursor };
}

it('starts with the exact screen at --from, then plays the rest with pauses capped and divided by the speed', () => {
  const cast = path.join(dir, 's.cast');
  writeInteractiveCast(cast, { seconds: 600, seed: 8 });
  for (const from of [0, 95.5, 333, 590]) {
    const steps = [...playback({ castPath: cast, from, speed: 4, idleLimit: 2 })];
    const first = new ReplayTerminal({ cols: 80, rows: 24 });
    first.write(steps[0].data);
    const full = new ReplayTerminal({ cols: 80, rows: 24 });
    const fd = openCastSync(cast);
    const lines = new SyncCastLines(fd, 0);
    for (let l = lines.next(); l; l = lines.next()) {
      const e = lineEvent(l.bytes);
      if (e?.type === 'o' && e.time <= from) full.write(e.data);
    }
    fd.close();
    expect(screen(first), `from ${from}`).toEqual(screen(full));
    expect(steps[0].delayMs).toBe(0);
    for (const s of steps.slice(1)) {
      expect(s.time).toBeGreaterThan(from);
      expect(s.delayMs).toBeLessThanOrEqual(500);
    }
  }
});
