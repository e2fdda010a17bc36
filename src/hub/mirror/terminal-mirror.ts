// A headless xterm.js that follows one session's output off the relay path and snapshots on demand.
//
// Invariants (see FACTS.md, "Terminal state"):
// - output() and resize() only append to a queue and schedule a drain: the relay never waits.
// - The drain writes one batch at a time and waits for xterm's write callback (flow control), so
//   xterm's own buffer never holds more than one batch; after sliceMs of parsing it yields to I/O,
//   so the relay waits at most a few milliseconds for a turn of the event loop, and a mirror that
//   keeps falling behind pauses so as to parse at most maxShare of the time (it skips the rest).
// - A batch ends where the stream is in GROUND state (VtScanner) unless a resize forces the cut;
//   the unfinished sequence after it stays queued. So when no batch is in flight, xterm's state is
//   exactly "the bytes before the queue's read position", and a snapshot taken then is valid there.
// - When more than maxQueueBytes are waiting, everything but the last tailBytes is skipped: the
//   skipped bytes are searched for state-setting sequences (alternate screen, modes, margins,
//   charsets, title: SkipReplay; more than SKIP_FULL before the tail, DEC private modes only, at
//   memchr speed) which are replayed, then parsing resumes after the next line feed, assumed to be
//   in ground state. The screen is then approximate until the program redraws; `resyncs` counts
//   skips and snapshots carry `resynced`.

import xtermHeadless from '@xterm/headless';
import type { Terminal } from '@xterm/headless';
import type { SessionTap } from '../live-session.js';
import { createSerializer } from './terminal-serializer.js';
import { SkipReplay } from './skip-replay.js';
import { VtScanner } from './vt-scanner.js';
import { MirrorQueue, type MirrorEvent } from './mirror-queue.js';

export type { MirrorEvent } from './mirror-queue.js';

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
  /** Bytes handed to xterm per batch, i.e. per write callback (default 64 KiB, ~2 ms). */
  batchBytes?: number;
  /** Parsing time after which the mirror lets the event loop turn (default 4 ms). */
  sliceMs?: number;
  /** Share of the time a mirror that has fallen behind may spend parsing (default 0.25). */
  maxShare?: number;
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

/**
 * Called synchronously with a snapshot and everything the mirror had queued after it, so that the
 * caller can continue the stream from snapshot.seq without a gap. Must not throw.
 */
export type SnapshotListener = (snapshot: MirrorSnapshot, after: readonly MirrorEvent[]) => void;

/** Where to resume in a buffer without line feeds: the next ESC, else the next ASCII byte. */
function resumePoint(buf: Buffer, from: number): number {
  const esc = buf.indexOf(0x1b, from);
  if (esc >= 0) return esc;
  let i = from;
  while (i < buf.length && buf[i] >= 0x80) i++;
  return i;
}

/** xterm.js parsing speed assumed when budgeting (FACTS.md: 25–30 MB/s on one core). */
const PARSE_BYTES_PER_MS = 25 * 1024;
/** Bytes before the skip target searched for every state-setting sequence (~5 ms). */
const SKIP_FULL = 1024 * 1024;
/** Largest single write handed to xterm (under 1 ms of parsing: xterm yields between writes). */
const PIECE = 16 * 1024;
interface Request { target: number; listener: SnapshotListener; fail?: (err: Error) => void }

export class TerminalMirror implements SessionTap {
  private readonly term: Terminal;
  private readonly serialize: (title: string) => string;
  private readonly maxQueue: number;
  private readonly tail: number;
  private readonly batch: number;
  private title = '';
  private decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  private scanner = new VtScanner();
  private readonly q = new MirrorQueue();
  /** Stream positions: scanned so far, and the last one found in ground state. */
  private scanned = 0;
  private lastGround = 0;
  private inFlight = false;
  private turnStart = 0;
  private turnBytes = 0;
  private readonly sliceMs: number;
  private readonly maxShare: number;
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
    this.batch = options.batchBytes ?? 64 * 1024;
    this.sliceMs = options.sliceMs ?? 4;
    this.maxShare = Math.min(1, Math.max(0.01, options.maxShare ?? 0.25));
    this.term = new HeadlessTerminal({
      cols: options.cols, rows: options.rows, scrollback: options.scrollback ?? 200,
      allowProposedApi: true, logLevel: 'off',
    });
    this.serialize = createSerializer(this.term);
    this.term.onTitleChange((t) => { this.title = t; });
  }

  /** Output bytes received so far (the seq of the next byte). */
  get seq(): number {
    return this.q.fed;
  }

  /** Bytes waiting to be parsed. */
  get backlog(): number {
    return this.q.backlog;
  }

  output(data: Buffer): void {
    if (this.disposed || data.length === 0) return;
    this.q.pushData(data);
    this.schedule();
  }

  resize(cols: number, rows: number): void {
    if (this.disposed) return;
    this.q.pushResize(cols, rows);
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
    this.requests.push({ target: this.q.fed, listener, fail });
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
    this.q.clear();
    this.term.dispose();
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight) return;
    this.scheduled = true;
    setImmediate(() => this.pump());
  }

  /** After a full slice (`used` ms of work): wait so that work stays within maxShare of the time. */
  private scheduleAfterSlice(used: number): void {
    if (this.scheduled || this.inFlight) return;
    this.scheduled = true;
    setTimeout(() => this.pump(), used * (1 / this.maxShare - 1));
  }

  /** One drain step; runs again from the write callback until the queue holds nothing writable. */
  private pump(newTurn = true): void {
    this.scheduled = false;
    if (newTurn) {
      this.turnStart = performance.now();
      this.turnBytes = 0;
    }
    if (this.inFlight || this.disposed) return;
    if (!this.skip && this.q.backlog > this.maxQueue) this.beginSkip();
    if (this.skip && !this.continueSkip()) return;
    for (let r = this.q.shiftResize(); r; r = this.q.shiftResize()) this.term.resize(r.cols, r.rows);
    this.serve(false);
    const { end, ground } = this.scanAhead();
    if (end > this.q.readPos) {
      this.write(this.q.take(end, PIECE).map((b) => this.decoder.decode(b, { stream: true })), ground);
    } else {
      this.serve(true);
    }
  }

  /** Scans up to about one batch ahead; returns where the next write may end. */
  private scanAhead(): { end: number; ground: boolean } {
    const limit = this.q.readPos + this.batch;
    for (let item = this.q.scanItem(); item; item = this.q.scanItem()) {
      // Output before a resize must be parsed at the old size, even if it ends mid-sequence.
      if (item.data === null) return { end: item.start, ground: this.scanner.atGround };
      if (this.lastGround > this.q.readPos && this.scanned >= limit) break;
      const to = Math.min(item.data.length, item.off + Math.max(limit - this.scanned, 4096));
      const g = this.scanner.scan(item.data, item.off, to);
      if (g >= 0) this.lastGround = item.start + g;
      this.scanned = item.start + to;
      this.q.scanTo(to);
    }
    return { end: this.lastGround, ground: true };
  }

  /**
   * Hands one batch to xterm as several writes, so that xterm's own time slicing can yield to the
   * relay between pieces; only the last one has a callback (each costs a timer turn).
   */
  private write(parts: readonly string[], ground: boolean): void {
    this.inFlight = true;
    for (const p of parts) this.turnBytes += p.length;
    for (let i = 0; i < parts.length - 1; i++) this.term.write(parts[i]);
    this.term.write(parts[parts.length - 1] ?? '', () => {
      this.inFlight = false;
      this.xtermAtGround = ground;
      if (this.disposed) return;
      // Go on in this turn of the event loop (inside xterm's write loop, no timer) until the
      // slice is used up; then let I/O run first, and for longer if parsing is over its share.
      // Parse time is estimated from bytes: wall time here would include waiting for xterm's timer.
      const used = this.turnBytes / PARSE_BYTES_PER_MS;
      if (used < this.sliceMs) this.pump(false);
      else this.scheduleAfterSlice(used);
    });
  }

  /** Answers requests: those whose target has been parsed, or all when nothing more is writable. */
  private serve(idle: boolean): void {
    if (this.requests.length === 0 || !this.xtermAtGround || this.inFlight) return;
    const seq = this.q.readPos;
    const ready = this.requests.filter((r) => idle || seq >= r.target);
    if (ready.length === 0) return;
    this.requests = this.requests.filter((r) => !ready.includes(r));
    const snap: MirrorSnapshot = {
      cols: this.term.cols, rows: this.term.rows, seq, resynced: this.resyncs > 0, data: this.serialize(this.title),
    };
    const after = this.q.events();
    for (const r of ready) r.listener(snap, after);
  }

  private beginSkip(): void {
    this.resyncs++;
    this.skip = { target: this.q.fed - this.tail, replay: new SkipReplay(), size: null };
  }

  /**
   * Discards queued output up to the skip target and on to the end of that line (an LF: a
   * character boundary, and most likely outside any sequence), capturing state-setting sequences
   * on the way. Returns true when parsing may resume (nothing is in flight then).
   */
  private continueSkip(): boolean {
    const skip = this.skip as NonNullable<TerminalMirror['skip']>;
    // Only the last SKIP_FULL bytes before the target are searched for everything; before that,
    // for DEC private modes only (native substring search), so that skipping outruns any relay.
    const fullFrom = skip.target - SKIP_FULL;
    let resumeAt = -1;
    for (let item = this.q.scanItem(); item && resumeAt < 0; item = this.q.scanItem()) {
      if (item.data === null) {
        skip.size = { cols: item.cols, rows: item.rows };
        this.q.scanTo();
        continue;
      }
      const { start, data, off } = item;
      let end = Math.min(data.length, Math.max(off, skip.target - start));
      if (end < data.length) {
        // No line feed in what is queued: resume at an ESC (a sequence starts there) or an ASCII byte.
        const lf = data.indexOf(0x0a, end);
        const at = lf >= 0 ? lf + 1 : start + data.length === this.q.fed ? resumePoint(data, end) : -1;
        if (at >= 0) { end = at; resumeAt = start + at; }
        else end = data.length;
      }
      const mid = Math.min(end, Math.max(off, fullFrom - start));
      if (mid > off) skip.replay.scanModes(data, off, mid, start);
      if (end > mid) skip.replay.scan(data, mid, end, start);
      this.q.scanTo(end);
      if (resumeAt < 0 && performance.now() - this.turnStart > this.sliceMs) break;
    }
    // Drop what was searched; xterm never sees it.
    this.scanned = this.lastGround = this.q.dropScanned();
    if (resumeAt < 0) {
      // Out of time, not of data.
      if (this.q.scanItem()) this.scheduleAfterSlice(performance.now() - this.turnStart);
      return false;
    }
    this.skip = null;
    this.scanner = new VtScanner();
    this.decoder = new TextDecoder('utf-8', { ignoreBOM: true });
    if (skip.size) this.term.resize(skip.size.cols, skip.size.rows);
    // CAN aborts whatever sequence xterm might be in; then the captured state, in stream order.
    this.write(['\x18' + skip.replay.replay()], true);
    return false;
  }
}
