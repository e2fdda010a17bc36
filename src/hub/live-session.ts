// One session in progress: records what flows, counts bytes, feeds taps (live mirror, viewers) and obeys block/drop.

import type { Clock } from '../core/clock.js';
import type { Recorder } from '../core/ports.js';
import type { SessionRecord, SessionStatus } from '../core/types.js';

/** Implemented by the protocol adapter for each session: how the hub talks to the user. */
export interface SessionControl {
  /** Shows a line of text to the user without ending the session. */
  notify(message: string): void;
  /** Shows the message, then closes the user's and the target's side. */
  disconnect(message: string): void;
}

/** Receives what the session does, in order. Taps must not block: they queue or drop, never slow the relay. */
export interface SessionTap {
  output(data: Buffer): void;
  resize(cols: number, rows: number): void;
  end(): void;
}

/** How an input filter reaches both ends: bytes for the target, and bytes shown to the user as if the target sent them. */
export interface InputFilterIO {
  toTarget(data: Buffer): void;
  /** Shown to the user, recorded and seen by taps (live viewers) like target output. */
  toUser(data: Buffer): void;
}

/**
 * Decides what of a user input chunk reaches the target (the command rules: hub/commands/input-guard.ts). Returns a
 * promise only when it holds input; the adapter then holds later chunks until it resolves, so input stays in order.
 */
export type InputFilter = (data: Buffer, io: InputFilterIO) => void | Promise<void>;

/** How a session ended, as the adapter saw it. */
export interface SessionOutcome {
  status?: Exclude<SessionStatus, 'active'>;
  exitStatus: number | null;
  reason: string | null;
  errorMessage?: string | null;
  droppedBy?: string | null;
}

export interface LiveSessionDeps {
  record: SessionRecord;
  recorder: Recorder | null;
  clock: Clock;
  /** Called once when the session has ended, with the final outcome and recording summary. */
  onEnd: (s: LiveSession, outcome: SessionOutcome, recorder: Recorder | null) => Promise<SessionRecord>;
  /** Called when the recorder fails. */
  onRecordingError: (s: LiveSession, err: Error) => void;
}

export class LiveSession {
  readonly record: SessionRecord;
  bytesIn = 0;
  bytesOut = 0;
  /** User input dropped while interactivity was blocked. */
  bytesDiscarded = 0;
  cols: number;
  rows: number;
  private control: SessionControl | null = null;
  private blockedBy: string | null = null;
  private readonly taps = new Set<SessionTap>();
  private filter: InputFilter | null = null;
  private ending: Promise<SessionRecord> | null = null;
  /** Set when the hub decided the end (drop), so the adapter's later end() keeps that outcome. */
  private forcedOutcome: SessionOutcome | null = null;

  constructor(private readonly deps: LiveSessionDeps) {
    this.record = deps.record;
    this.cols = deps.record.cols ?? 80;
    this.rows = deps.record.rows ?? 24;
    deps.recorder?.onError((err) => deps.onRecordingError(this, err));
  }

  get id(): number {
    return this.record.id;
  }
  get blocked(): boolean {
    return this.blockedBy !== null;
  }
  get ended(): boolean {
    return this.ending !== null;
  }

  attach(control: SessionControl): void {
    this.control = control;
  }

  /** Target → user bytes. Recorded and fanned out; the caller forwards them to the user itself. */
  output(data: Buffer): void {
    this.bytesOut += data.length;
    this.deps.recorder?.output(data);
    for (const t of this.taps) t.output(data);
  }

  /**
   * Counts bytes of a stream that is not a terminal (a file transfer subsystem): relayed and counted, but not
   * written to the asciicast recording or the viewers, where binary protocol data would only be noise.
   * Returns false for input while interactivity is blocked, like input().
   */
  opaque(direction: 'in' | 'out', bytes: number): boolean {
    if (direction === 'out') {
      this.bytesOut += bytes;
      return true;
    }
    if (this.blockedBy !== null) {
      this.bytesDiscarded += bytes;
      return false;
    }
    this.bytesIn += bytes;
    return true;
  }

  /** User → target bytes. Returns false when interactivity is blocked: the caller must discard them. */
  input(data: Buffer): boolean {
    if (this.blockedBy !== null) {
      this.bytesDiscarded += data.length;
      return false;
    }
    this.bytesIn += data.length;
    this.deps.recorder?.input(data);
    return true;
  }

  resize(cols: number, rows: number): void {
    if (!(cols > 0 && rows > 0)) return;
    this.cols = cols;
    this.rows = rows;
    this.deps.recorder?.resize(cols, rows);
    for (const t of this.taps) t.resize(cols, rows);
  }

  /** Sets the filter user input passes through after it is recorded (null: input goes straight to the target). */
  setInputFilter(filter: InputFilter | null): void {
    this.filter = filter;
  }

  get inputFilter(): InputFilter | null {
    return this.filter;
  }

  addTap(tap: SessionTap): () => void {
    this.taps.add(tap);
    return () => this.taps.delete(tap);
  }

  /** Pending bytes the recorder still has to write (for backpressure). */
  get recorderBacklog(): number {
    const r = this.deps.recorder as (Recorder & { pendingBytes?: number }) | null;
    return r?.pendingBytes ?? 0;
  }

  /** Resolves once the recorder has written what it holds (immediately when it cannot tell). For backpressure. */
  async flushRecorder(): Promise<void> {
    const r = this.deps.recorder as (Recorder & { flush?: () => Promise<void> }) | null;
    await r?.flush?.();
  }

  setBlocked(by: string | null, message: string): void {
    this.blockedBy = by;
    this.control?.notify(message);
  }

  /** Ends the session from the hub's side (drop): the outcome is fixed here, then the adapter closes. */
  forceEnd(outcome: SessionOutcome, message: string): void {
    this.forcedOutcome ??= outcome;
    if (this.control) this.control.disconnect(message);
    else void this.end(outcome);
  }

  /** Ends the session once; later calls return the same result. */
  end(outcome: SessionOutcome): Promise<SessionRecord> {
    if (!this.ending) {
      const final = this.forcedOutcome ?? outcome;
      for (const t of this.taps) t.end();
      this.taps.clear();
      this.ending = this.deps.onEnd(this, final, this.deps.recorder);
    }
    return this.ending;
  }
}
