// When frames happen in a video of a recording: maps recording time to video time (long pauses shortened) and emits only changed frames.
//
// Events are grouped into slots of `slotMs` video milliseconds; when an event falls past the
// current slot, the slot's output is applied, and the frame is sent at the slot's start if any
// pixel changed. The status bar's clock (real session time) adds at most one frame per real
// second in kept pauses, and one frame announcing a shortened pause.

import type { ReplayTerminal } from '../keyframes/replay-terminal.js';
import type { FramePainter } from './frame-painter.js';

/** Where frames go: shown from video millisecond `ms` (strictly increasing). */
export interface FrameSink {
  frame(ms: number, rgb: Buffer): Promise<void>;
  readonly lastFrameMs: number;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The status bar: wall clock, time since the start, and how much idle time a shortened pause skipped. */
export function clockText(epochMs: number, t: number, skipped: number): string {
  const d = new Date(epochMs + t * 1000);
  const s = Math.floor(t);
  const wall = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
  const elapsed = `${Math.floor(s / 3600)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
  const idle = skipped >= 1 ? `   idle ${Math.floor(skipped / 60)}:${pad(Math.floor(skipped) % 60)} skipped` : '';
  return ` ${wall}  +${elapsed}${idle}`;
}

export class FrameScheduler {
  /** Recording time (s) and video time (ms) of the last event. */
  private t = 0;
  private v = 0;
  private slot = 0;
  private pending: string[] = [];
  frames = 0;

  constructor(
    private readonly term: ReplayTerminal,
    private readonly painter: FramePainter,
    private readonly sink: FrameSink,
    private readonly o: { epochMs: number; idleCap: number; slotMs: number },
  ) {}

  /** Seconds of recording and of video so far. */
  get recordingTime(): number {
    return this.t;
  }
  get videoTime(): number {
    return this.v / 1000;
  }

  /** One event of the recording, in order. */
  async event(time: number, type: string, data: string): Promise<void> {
    const t = Math.max(time, this.t);
    const gap = t - this.t;
    const next = this.v + Math.min(gap, this.o.idleCap) * 1000;
    if (next >= this.slot + this.o.slotMs) {
      await this.flush();
      await this.clockThroughPause(gap, t);
      this.slot = Math.floor(next / this.o.slotMs) * this.o.slotMs;
    }
    this.t = t;
    this.v = next;
    if (type === 'o') this.pending.push(data);
    else if (type === 'r') {
      this.apply();
      this.term.resizeTo(data);
    }
  }

  /** The last slot, then the last screen held until the end of the recording. */
  async end(): Promise<void> {
    await this.flush();
    if (this.v > this.sink.lastFrameMs) await this.emit(this.v);
  }

  private apply(): void {
    if (this.pending.length > 0) this.term.write(this.pending.join(''));
    this.pending = [];
  }

  private async flush(): Promise<void> {
    this.apply();
    const painted = this.painter.paint(this.term.term);
    const clock = this.painter.status(clockText(this.o.epochMs, this.t, 0));
    if (painted || clock || this.frames === 0) await this.emit(this.slot);
  }

  /** A kept pause shows the clock ticking; a shortened one shows how much it skipped. */
  private async clockThroughPause(gap: number, until: number): Promise<void> {
    if (gap <= this.o.idleCap) {
      for (let s = Math.floor(this.t) + 1; s < until; s++) {
        const at = this.v + (s - this.t) * 1000;
        if (at > this.sink.lastFrameMs && this.painter.status(clockText(this.o.epochMs, s, 0))) await this.emit(at);
      }
    } else {
      const at = this.v + Math.min(500, (this.o.idleCap * 1000) / 2);
      if (at > this.sink.lastFrameMs && this.painter.status(clockText(this.o.epochMs, this.t, gap - this.o.idleCap))) await this.emit(at);
    }
  }

  private async emit(ms: number): Promise<void> {
    await this.sink.frame(ms, this.painter.frame);
    this.frames++;
  }
}
