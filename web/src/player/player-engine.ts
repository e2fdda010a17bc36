// Plays a recording into a terminal: a clock at a chosen speed, idle skipping, seeking via keyframes, chunks fetched ahead.

import type { PlayerChunk, PlayerInfo } from '../api/wire';
import type { TerminalSink } from '../components/terminal-view';
import type { PlayerSource } from './player-source';

export const SPEEDS = [0.25, 0.5, 1, 2, 4, 8, 16] as const;
/** With skip idle, no pause between events lasts longer than this (recording seconds). */
export const IDLE_LIMIT = 1;
/** Fetch the next chunk when less than this much recording time is buffered ahead. */
const PREFETCH_AHEAD = 20;

export interface PlayerEngineEvents {
  onTime(t: number): void;
  onPlaying(playing: boolean): void;
  onError(message: string): void;
}

/** How the engine gets called back over time; injectable so tests drive it by hand. */
export interface Ticker {
  now(): number;
  schedule(cb: () => void): () => void;
}

export const browserTicker: Ticker = {
  now: () => performance.now(),
  schedule(cb) {
    const h = requestAnimationFrame(cb);
    return () => cancelAnimationFrame(h);
  },
};

export class PlayerEngine {
  time = 0;
  speed = 1;
  skipIdle = true;
  playing = false;
  private buffer: PlayerChunk['events'] = [];
  private bufferedTo = 0;
  /** Where the next chunk starts (the server's `next`); null once the recording has no more. */
  private nextAfter: number | null = null;
  private done = false;
  private fetching: Promise<void> | null = null;
  private cancelTick: (() => void) | null = null;
  private lastWall = 0;
  /** Bumped on each seek so a chunk that arrives late for an older position is dropped. */
  private generation = 0;
  /** While a seek's chunk is on its way the clock stands still at the target. */
  private seeking = false;

  constructor(
    private readonly source: PlayerSource,
    readonly info: PlayerInfo,
    private readonly sink: TerminalSink,
    private readonly events: PlayerEngineEvents,
    private readonly ticker: Ticker = browserTicker,
  ) {}

  /** Shows the screen at `t` (keyframe, then the events up to t) and continues from there. */
  async seek(t: number): Promise<void> {
    const target = Math.max(0, Math.min(t, this.info.duration));
    const gen = ++this.generation;
    // Report the new position at once: a timeline bound to it must not jump back while the chunk loads.
    this.seeking = true;
    this.time = target;
    this.events.onTime(target);
    let chunk: PlayerChunk;
    try {
      chunk = await this.source.seek(target);
    } catch (err) {
      if (gen === this.generation) this.seeking = false;
      this.events.onError(err instanceof Error ? err.message : String(err));
      return;
    }
    if (gen !== this.generation) return;
    this.seeking = false;
    this.sink.reset();
    const kf = chunk.keyframe;
    if (kf) {
      this.sink.resize(kf.cols, kf.rows);
      this.sink.write(kf.data);
    } else {
      this.sink.resize(this.info.cols, this.info.rows);
    }
    // The server sends only the events after the keyframe (some may share its timestamp): keep them all.
    this.buffer = [...chunk.events];
    this.bufferedTo = chunk.to;
    this.nextAfter = chunk.next;
    this.done = chunk.done || chunk.next === null;
    this.time = target;
    this.flushUntil(target);
    this.lastWall = this.ticker.now();
    this.events.onTime(this.time);
  }

  play(): void {
    if (this.playing) return;
    if (this.time >= this.info.duration) {
      void this.seek(0).then(() => this.play());
      return;
    }
    this.playing = true;
    this.lastWall = this.ticker.now();
    this.events.onPlaying(true);
    this.cancelTick = this.ticker.schedule(() => this.tick());
  }

  pause(): void {
    if (!this.playing) return;
    this.playing = false;
    this.cancelTick?.();
    this.cancelTick = null;
    this.events.onPlaying(false);
  }

  dispose(): void {
    this.pause();
    this.generation++;
  }

  /** Advances the clock by the wall time elapsed × speed and writes what happened meanwhile. */
  tick(): void {
    if (!this.playing) return;
    const wall = this.ticker.now();
    const dt = ((wall - this.lastWall) / 1000) * this.speed;
    this.lastWall = wall;
    if (this.seeking) {
      this.cancelTick = this.ticker.schedule(() => this.tick());
      return;
    }
    const next = this.buffer[0];
    if (this.skipIdle && next && next[0] - this.time > IDLE_LIMIT) this.time = next[0] - IDLE_LIMIT;
    this.time = Math.min(this.time + dt, this.info.duration);
    this.flushUntil(this.time);
    this.events.onTime(this.time);
    if (!this.done && !this.fetching && this.nextAfter !== null && this.bufferedTo - this.time < PREFETCH_AHEAD) this.fetchMore(this.nextAfter);
    const starved = this.buffer.length === 0 && !this.done;
    if (this.time >= this.info.duration && this.buffer.length === 0 && this.done) {
      this.pause();
      return;
    }
    // Waiting for a chunk: hold the clock where the data ends rather than run past it.
    if (starved && this.time > this.bufferedTo) this.time = this.bufferedTo;
    this.cancelTick = this.ticker.schedule(() => this.tick());
  }

  private fetchMore(after: number): void {
    const gen = this.generation;
    this.fetching = this.source
      .next(after)
      .then((c) => {
        if (gen !== this.generation) return;
        this.buffer.push(...c.events);
        this.bufferedTo = c.to;
        this.nextAfter = c.next;
        this.done = c.done || c.next === null;
      })
      .catch((err: unknown) => this.events.onError(err instanceof Error ? err.message : String(err)))
      .finally(() => {
        this.fetching = null;
      });
  }

  /** Writes every buffered event up to `t`, output coalesced into one write between resizes. */
  private flushUntil(t: number): void {
    let out = '';
    let n = 0;
    for (; n < this.buffer.length && this.buffer[n]![0] <= t; n++) {
      const [, code, data] = this.buffer[n]!;
      if (code === 'o') out += data;
      else if (code === 'r') {
        if (out) this.sink.write(out);
        out = '';
        const m = /^(\d+)x(\d+)$/.exec(data);
        if (m) this.sink.resize(Number(m[1]), Number(m[2]));
      }
    }
    if (out) this.sink.write(out);
    if (n) this.buffer.splice(0, n);
  }
}
