import { describe, expect, it } from 'vitest';
import type { PlayerChunk, PlayerInfo } from '../api/wire';
import type { TerminalSink } from '../components/terminal-view';
import { PlayerEngine, type Ticker } from './player-engine';
import type { PlayerSource } from './player-source';

/** A screen that records what it was told. */
class FakeScreen implements TerminalSink {
  log: string[] = [];
  text = '';
  resize(cols: number, rows: number) {
    this.log.push(`resize ${cols}x${rows}`);
  }
  write(data: string) {
    this.text += data;
  }
  reset() {
    this.log.push('reset');
    this.text = '';
  }
}

/** A recording of 1 output a second for 100 s, with a keyframe every 10 s holding everything before it. */
function source(): PlayerSource & { calls: string[] } {
  const events: Array<[number, 'o' | 'r', string]> = Array.from({ length: 100 }, (_, i) => [i + 0.5, 'o', `<${i}>`]);
  const calls: string[] = [];
  const chunk = (after: number, to: number, keyframe: PlayerChunk['keyframe']): PlayerChunk => ({
    from: after,
    to,
    keyframe,
    events: events.filter((e) => e[0] > after && e[0] <= to),
    next: to >= 100 ? null : to,
    done: to >= 100,
  });
  return {
    calls,
    info: async () => ({ duration: 100, cols: 80, rows: 24, size: null, idle: [], markers: [] }),
    async seek(t) {
      calls.push(`seek ${t}`);
      const k = Math.floor(t / 10) * 10;
      const kf = k === 0 ? null : { time: k, cols: 100, rows: 30, data: events.filter((e) => e[0] <= k).map((e) => e[2]).join('') };
      return chunk(k, t + 30, kf);
    },
    async next(after) {
      calls.push(`next ${after}`);
      return chunk(after, after + 30, null);
    },
  };
}

function manualTicker() {
  let now = 0;
  let pending: (() => void) | null = null;
  const t: Ticker & { advance(ms: number): void } = {
    now: () => now,
    schedule(cb) {
      pending = cb;
      return () => (pending = null);
    },
    advance(ms) {
      now += ms;
      const cb = pending;
      pending = null;
      cb?.();
    },
  };
  return t;
}

const INFO: PlayerInfo = { duration: 100, cols: 80, rows: 24, size: null, idle: [], markers: [] };

describe('player engine', () => {
  it('seeks by drawing the nearest keyframe, then only the events up to the target', async () => {
    const screen = new FakeScreen();
    const e = new PlayerEngine(source(), INFO, screen, { onTime: () => undefined, onPlaying: () => undefined, onError: (m) => expect.fail(m) }, manualTicker());
    await e.seek(42);
    expect(screen.log).toEqual(['reset', 'resize 100x30']);
    const shown = screen.text.match(/<\d+>/g)!;
    expect(shown[0]).toBe('<0>');
    expect(shown.at(-1)).toBe('<41>');
    expect(shown).toHaveLength(42);
    expect(e.time).toBe(42);
  });

  it('plays at the chosen speed and fetches the next chunk before the buffer runs dry', async () => {
    const screen = new FakeScreen();
    const src = source();
    const ticker = manualTicker();
    const e = new PlayerEngine(src, INFO, screen, { onTime: () => undefined, onPlaying: () => undefined, onError: (m) => expect.fail(m) }, ticker);
    e.skipIdle = false;
    await e.seek(0);
    e.speed = 4;
    e.play();
    ticker.advance(1000);
    expect(e.time).toBeCloseTo(4);
    expect(screen.text).toBe('<0><1><2><3>');
    ticker.advance(2500);
    expect(e.time).toBeCloseTo(14);
    expect(src.calls).toContain('next 30');
  });

  it('with skip idle, never waits more than a second for the next event', async () => {
    const screen = new FakeScreen();
    const ticker = manualTicker();
    const gap: PlayerSource = {
      info: async () => INFO,
      seek: async () => ({ from: 0, to: 100, keyframe: null, events: [[0.1, 'o', 'a'], [60, 'o', 'b']], next: null, done: true }),
      next: async () => ({ from: 100, to: 100, keyframe: null, events: [], next: null, done: true }),
    };
    const e = new PlayerEngine(gap, INFO, screen, { onTime: () => undefined, onPlaying: () => undefined, onError: () => undefined }, ticker);
    await e.seek(0.2);
    e.play();
    ticker.advance(100);
    ticker.advance(1000);
    expect(screen.text).toBe('ab');
  });
});

describe('player engine, seeking while playing', () => {
  it('jumps back at once and shows only what happened up to the new position', async () => {
    const screen = new FakeScreen();
    const ticker = manualTicker();
    const times: number[] = [];
    const e = new PlayerEngine(source(), INFO, screen, { onTime: (t) => times.push(t), onPlaying: () => undefined, onError: (m) => expect.fail(m) }, ticker);
    e.skipIdle = false;
    await e.seek(0);
    e.play();
    ticker.advance(5000);
    expect(screen.text).toContain('<4>');
    const pending = e.seek(2);
    // The position is reported before the chunk arrives, and the clock does not move meanwhile.
    expect(times.at(-1)).toBe(2);
    ticker.advance(3000);
    expect(e.time).toBe(2);
    await pending;
    expect(screen.text).toBe('<0><1>');
    ticker.advance(1000);
    expect(screen.text).toBe('<0><1><2>');
  });
});
