// A headless xterm.js that follows one session's output off the relay path and snapshots on demand.
//
// Invariants (see FACTS.md, "Terminal state"):
// - output() and resize() only append to a queue and schedule a drain: the relay never waits.
// - The drain writes one batch at a time and waits for xterm's write callback (flow control), so
//   xterm's own buffer never holds more than one batch.
// - A batch ends where the stream is in GROUND state (VtScanner) unless a resize forces the cut;
//   the unfinished sequence after it stays queued. So when no batch is in flight, xterm's state is
//   exactly "the first `written` bytes", and a snapshot taken then is valid at seq `written`.
// - When more than maxQueueBytes are waiting, everything but the last tailBytes is skipped: the
//   skipped bytes are scanned for state-setting sequences (alternate screen, modes, margins, SGR,
//   charsets, title: SkipReplay) which are replayed, then parsing resumes at the first ground
//   position of the tail. The screen is then approximate until the program redraws; `resyncs`
//   counts such skips and snapshots carry `resynced`.

import xtermHeadless from '@xterm/headless';
import type { Terminal } from '@xterm/headless';
import type { SessionTap } from '../live-session.js';
import { createSerializer } from './terminal-serializer.js';
import { SkipReplay } from './skip-replay.js';
import { VtScanner } from './vt-scanner.js';

const { Terminal: HeadlessTerminal } = xtermHeadless;

export interface TerminalMirrorOptions {
  cols: number;
  rows: number;
  /** Scrollback lines kept and sent in snapshots (default 200). */
  scrollback?: number;
  /** Queued bytes beyond which the mirror skips to the tail (default 8 MiB). */
  maxQueueBytes?: number;
  /** Bytes kept and parsed when skipping (default 256 KiB). */
  tailBytes?: number;
  /** Bytes handed to xterm per write (default 128 KiB, ~5 ms of parsing). */
  batchBytes?: number;
}

/** A screen that a fresh xterm.js of size cols×rows rebuilds by writing `data`. */
export interface MirrorSnapshot {
  cols: number;
  rows: number;
  data: string;
  /** Output bytes reflected: the snapshot is the state after byte seq-1 of the session's output. */
  seq: number;
  /** True once the mirror has had to skip output: the screen may differ until the next redraw. */
  resynced: boolean;
}

/** Something queued after a snapshot, in order. */
export type MirrorEvent = { kind: 'data'; data: Buffer } | { kind: 'resize'; cols: number; rows: number };

/**
 * Called synchronously with a snapshot and everything the mirror had queued after it, so that the
 * caller can continue the stream from snapshot.seq without a gap. Must not throw.
 */
export type SnapshotListener = (snapshot: MirrorSnapshot, after: readonly MirrorEvent[]) => void;

type Entry = { start: number; data: Buffer } | { start: number; data: null; cols: number; rows: number };
/** Put in consumed slots so that the queue array does not keep parsed Buffers alive. */
const CONSUMED: Entry = { start: 0, data: Buffer.alloc(0) };
interface Request { target: number; listener: SnapshotListener; fail?: (err: Error) => void }

export class TerminalMirror implements SessionTap {
  private readonly term: Terminal;
  private readonly serialize: (title: string) => string;
  private readonly maxQueue: number;
  private readonly tail: number;
  private readonly batch: number;
  private title = '';
  private decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  private readonly scanner = new VtScanner();
  private entries: Entry[] = [];
  private head = 0;
  /** Bytes received, bytes handed to xterm, bytes scanned, last ground position scanned. */
  private fed = 0;
  private written = 0;
  private scanned = 0;
  private lastGround = 0;
  private scanIdx = 0;
  private scanOff = 0;
  private inFlight = false;
  private scheduled = false;
  private xtermAtGround = true;
  private skip: { target: number; replay: SkipReplay; size: { cols: number; rows: number } | null } | null = null;
  private requests: Request[] = [];
  private disposed = false;
  /** How many times output was skipped because the mirror fell too far behind. */
  resyncs = 0;

  constructor(options: TerminalMirrorOptions) {
    this.maxQueue = options.maxQueueBytes ?? 8 * 1024 * 1024;
    this.tail = Math.min(options.tailBytes ?? 256 * 1024, this.maxQueue);
    this.batch = options.batchBytes ?? 128 * 1024;
    this.term = new HeadlessTerminal({
      cols: options.cols, rows: options.rows, scrollback: options.scrollback ?? 200,
      allowProposedApi: true, logLevel: 'off',
    });
    this.serialize = createSerializer(this.term);
    this.term.onTitleChange((t) => { this.title = t; });
  }

  /** Output bytes received so far (the seq of the next byte). */
  get seq(): number {
    return this.fed;
  }

  /** Bytes waiting to be parsed. */
  get backlog(): number {
    return this.fed - this.written;
  }

  output(data: Buffer): void {
    if (this.disposed || data.length === 0) return;
    this.entries.push({ start: this.fed, data });
    this.fed += data.length;
    this.schedule();
  }

  resize(cols: number, rows: number): void {
    if (this.disposed) return;
    this.entries.push({ start: this.fed, data: null, cols, rows });
    this.schedule();
  }

  /** The session ended; queued output is still parsed so that late snapshots show the last screen. */
  end(): void {}

  /** Snapshot at the first ground position at or after everything queued now (or just before an unfinished sequence). */
  snapshot(): Promise<MirrorSnapshot> {
    return new Promise((resolve, reject) => this.request((s) => resolve(s), reject));
  }

  /** Like snapshot(), but also hands over what was queued after it (see SnapshotListener). */
  requestSnapshot(listener: SnapshotListener): void {
    this.request(listener);
  }

  private request(listener: SnapshotListener, fail?: (err: Error) => void): void {
    if (this.disposed) {
      fail?.(new Error('terminal mirror disposed'));
      return;
    }
    this.requests.push({ target: this.fed, listener, fail });
    if (!this.scheduled && !this.inFlight) {
      this.scheduled = true;
      queueMicrotask(() => this.pump());
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const r of this.requests) r.fail?.(new Error('terminal mirror disposed'));
    this.requests = [];
    this.entries = [];
    this.term.dispose();
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight) return;
    this.scheduled = true;
    setImmediate(() => this.pump());
  }

  /** One drain step; runs again from the write callback until the queue holds nothing writable. */
  private pump(): void {
    this.scheduled = false;
    if (this.inFlight || this.disposed) return;
    if (!this.skip && this.fed - this.written > this.maxQueue) this.beginSkip();
    if (this.skip && !this.continueSkip()) return;
    while (this.head < this.entries.length && this.entries[this.head].data === null) {
      const e = this.entries[this.head] as { cols: number; rows: number };
      this.entries[this.head++] = CONSUMED;
      this.term.resize(e.cols, e.rows);
    }
    if (this.scanIdx < this.head) { this.scanIdx = this.head; this.scanOff = 0; }
    this.compact();
    this.serve(false);
    const { end, ground } = this.scanAhead();
    if (end > this.written) {
      this.write(this.take(end), ground);
    } else {
      this.serve(true);
    }
  }

  /** Scans up to about one batch ahead; returns where the next write may end. */
  private scanAhead(): { end: number; ground: boolean } {
    const limit = this.written + this.batch;
    while (this.scanIdx < this.entries.length) {
      const e = this.entries[this.scanIdx];
      // Output before a resize must be parsed at the old size, even if it ends mid-sequence.
      if (e.data === null) return { end: e.start, ground: this.scanner.atGround };
      if (this.lastGround > this.written && this.scanned >= limit) break;
      const to = Math.min(e.data.length, this.scanOff + Math.max(limit - this.scanned, 4096));
      const g = this.scanner.scan(e.data, this.scanOff, to);
      if (g >= 0) this.lastGround = e.start + g;
      this.scanned = e.start + to;
      this.scanOff = to;
      if (to === e.data.length) { this.scanIdx++; this.scanOff = 0; }
    }
    return { end: this.lastGround, ground: true };
  }

  /** Removes bytes [written, end) from the queue and decodes them. */
  private take(end: number): string {
    const parts: string[] = [];
    while (this.written < end) {
      const e = this.entries[this.head] as { start: number; data: Buffer };
      const n = Math.min(e.data.length, end - this.written);
      parts.push(this.decoder.decode(e.data.subarray(0, n), { stream: true }));
      this.written += n;
      if (n === e.data.length) {
        this.entries[this.head++] = CONSUMED;
      } else {
        e.data = e.data.subarray(n);
        e.start += n;
        if (this.scanIdx === this.head) this.scanOff -= n;
      }
    }
    if (this.scanIdx < this.head) { this.scanIdx = this.head; this.scanOff = 0; }
    return parts.join('');
  }

  private write(text: string, ground: boolean): void {
    this.inFlight = true;
    this.term.write(text, () => {
      this.inFlight = false;
      this.xtermAtGround = ground;
      if (!this.disposed) this.pump();
    });
  }

  /** Answers requests: those whose target has been parsed, or all when nothing more is writable. */
  private serve(idle: boolean): void {
    if (this.requests.length === 0 || !this.xtermAtGround || this.inFlight) return;
    const ready = this.requests.filter((r) => idle || this.written >= r.target);
    if (ready.length === 0) return;
    this.requests = this.requests.filter((r) => !ready.includes(r));
    const snap: MirrorSnapshot = {
      cols: this.term.cols, rows: this.term.rows, seq: this.written, resynced: this.resyncs > 0,
      data: this.serialize(this.title),
    };
    const after: MirrorEvent[] = [];
    for (let i = this.head; i < this.entries.length; i++) {
      const e = this.entries[i];
      after.push(e.data ? { kind: 'data', data: e.data } : { kind: 'resize', cols: e.cols, rows: e.rows });
    }
    for (const r of ready) r.listener(snap, after);
  }

  private beginSkip(): void {
    this.resyncs++;
    this.skip = { target: this.fed - this.tail, replay: new SkipReplay(), size: null };
    this.scanner.sink = this.skip.replay.add;
  }

  /**
   * Discards queued output up to the skip target and on to the next ground position, capturing
   * state-setting sequences. Returns true when parsing may resume (nothing is in flight then).
   */
  private continueSkip(): boolean {
    const skip = this.skip as NonNullable<TerminalMirror['skip']>;
    let resumeAt = -1;
    while (this.scanIdx < this.entries.length && resumeAt < 0) {
      const e = this.entries[this.scanIdx];
      if (e.data === null) {
        skip.size = { cols: e.cols, rows: e.rows };
        this.scanIdx++;
        continue;
      }
      const pastTarget = e.start + this.scanOff >= skip.target;
      const to = pastTarget ? e.data.length : Math.min(e.data.length, skip.target - e.start);
      const g = this.scanner.scan(e.data, this.scanOff, to, pastTarget);
      if (pastTarget && g >= 0) { this.scanOff = g; resumeAt = e.start + g; break; }
      this.scanOff = to;
      if (to === e.data.length) { this.scanIdx++; this.scanOff = 0; }
    }
    // Drop what was scanned; xterm never sees it.
    const at = resumeAt >= 0 ? resumeAt : this.scanIdx < this.entries.length ? this.entries[this.scanIdx].start + this.scanOff : this.fed;
    while (this.head < this.scanIdx) this.entries[this.head++] = CONSUMED;
    const first = this.entries[this.head];
    if (first?.data && this.scanOff > 0) { first.data = first.data.subarray(this.scanOff); first.start += this.scanOff; }
    this.scanOff = 0;
    this.written = this.scanned = this.lastGround = at;
    this.compact();
    if (resumeAt < 0) return false;
    this.scanner.sink = null;
    this.skip = null;
    this.decoder = new TextDecoder('utf-8', { ignoreBOM: true });
    if (skip.size) this.term.resize(skip.size.cols, skip.size.rows);
    // CAN aborts whatever sequence xterm might be in; then the captured state, in stream order.
    const replay = skip.replay.replay();
    if (replay || !this.xtermAtGround) {
      this.write('\x18' + replay, true);
      return false;
    }
    return true;
  }

  /** Drops consumed entries from the array once they dominate it. */
  private compact(): void {
    if (this.head === this.entries.length) {
      this.entries = [];
      this.scanIdx -= this.head;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.scanIdx -= this.head;
      this.head = 0;
    }
  }
}
