// Turns a recording's event lines into keyframes and idle periods: replays them into a headless terminal and snapshots it now and then.
//
// Rules:
// - A keyframe is due once output or a resize happened since the last one and either `seconds`
//   of recording time or `bytes` of event lines have passed (FACTS.md: 10 s or 256 KiB).
// - It is taken *before* the next event, only when that event is later than the last one applied
//   (so every event after a keyframe is strictly later than it, and "events after time t" is
//   exact), and only when the parser is in GROUND (a snapshot mid-sequence corrupts what follows).
// - Output is written to the terminal in batches; a batch is flushed before a keyframe decision,
//   a resize, or when it grows past BATCH_CHARS.

import { IDLE_GAP } from './keyframe-index.js';
import { lineEvent, type CastLine } from './cast-lines.js';
import { ReplayTerminal } from './replay-terminal.js';

const BATCH_CHARS = 256 * 1024;

/** Where keyframes and idle periods go (files in production, arrays in tests). */
export interface KeyframeSink {
  keyframe(k: { time: number; castOffset: number; cols: number; rows: number; data: string }): void;
  idle(start: number, end: number): void;
  end(duration: number, castSize: number): void;
}

export interface KeyframeThresholds {
  /** Recording seconds between keyframes (default 10). */
  seconds: number;
  /** Bytes of event lines between keyframes (default 256 KiB). */
  bytes: number;
}

export const DEFAULT_THRESHOLDS: KeyframeThresholds = { seconds: 10, bytes: 256 * 1024 };

/** Where a builder starts: the recording's beginning (header size) or a keyframe to resume from. */
export type BuilderStart =
  | { kind: 'header'; cols: number; rows: number }
  | { kind: 'keyframe'; time: number; cols: number; rows: number; data: string };

export class KeyframeBuilder {
  /** Made when first needed: a recording that ends before its first keyframe is due never pays for a terminal. */
  private terminal: ReplayTerminal | null = null;
  private readonly startSize: { cols: number; rows: number };
  private readonly limits: KeyframeThresholds;
  private pending: string[] = [];
  private pendingChars = 0;
  private lastTime: number;
  private keyframeTime: number;
  private bytesSince = 0;
  private due = false;

  constructor(private readonly sink: KeyframeSink, start: BuilderStart, limits: Partial<KeyframeThresholds> = {}) {
    this.limits = { ...DEFAULT_THRESHOLDS, ...limits };
    this.startSize = { cols: start.cols, rows: start.rows };
    if (start.kind === 'keyframe') {
      this.term.write(start.data);
      this.lastTime = this.keyframeTime = start.time;
    } else {
      this.lastTime = this.keyframeTime = 0;
    }
  }

  private get term(): ReplayTerminal {
    this.terminal ??= new ReplayTerminal(this.startSize);
    return this.terminal;
  }

  /** Time of the last event seen. */
  get time(): number {
    return this.lastTime;
  }

  /** Feeds one line of the recording (the header and unknown lines are skipped). */
  line(line: CastLine): void {
    const e = lineEvent(line.bytes);
    if (!e) return;
    const time = Math.max(e.time, this.lastTime);
    if (this.due && time > this.lastTime) {
      this.flush();
      if (this.term.atGround) this.takeKeyframe(line.offset);
    }
    if (time - this.lastTime > IDLE_GAP) this.sink.idle(this.lastTime, time);
    this.lastTime = time;
    if (e.type === 'o') {
      this.pending.push(e.data);
      this.pendingChars += e.data.length;
      if (this.pendingChars >= BATCH_CHARS) this.flush();
    } else if (e.type === 'r') {
      this.flush();
      this.term.resizeTo(e.data);
    } else {
      return;
    }
    this.bytesSince += line.next - line.offset;
    this.due = this.bytesSince >= this.limits.bytes || time - this.keyframeTime >= this.limits.seconds;
  }

  /** The recording is complete at `castSize` bytes. Output not yet parsed is dropped: no keyframe follows the end. */
  end(castSize: number): void {
    this.pending = [];
    this.pendingChars = 0;
    this.sink.end(this.lastTime, castSize);
  }

  /** True once the headless terminal exists (a keyframe was due, a resize came, or a batch filled up). */
  get parsing(): boolean {
    return this.terminal !== null;
  }

  dispose(): void {
    this.terminal?.dispose();
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.term.write(this.pending.length === 1 ? this.pending[0] : this.pending.join(''));
    this.pending = [];
    this.pendingChars = 0;
  }

  private takeKeyframe(castOffset: number): void {
    this.sink.keyframe({ time: this.lastTime, castOffset, cols: this.term.cols, rows: this.term.rows, data: this.term.snapshot() });
    this.keyframeTime = this.lastTime;
    this.bytesSince = 0;
    this.due = false;
  }
}
