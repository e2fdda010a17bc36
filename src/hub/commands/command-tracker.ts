// Reconstructs the command lines an operator runs in a pty shell from the terminal state (a headless xterm fed with
// the session's output), as executed: after line editing, Tab completion, history recall, `\` continuation.
//
// Invariants:
// - output(), input() and resize() only queue; the queue is drained off the relay path, one xterm write at a time
//   (flow control). Output is parsed at once only when something needs the screen (keys, a pending commit, an
//   excerpt); otherwise when it pauses, and a stream of it is cut to its tail unparsed: bulk output costs a few
//   indexOf calls here, not xterm's ~25 MB/s parse. When more than maxBacklog bytes wait while the screen is needed,
//   all but the tail is skipped too and the line being typed is forgotten. Skips keep the last alternate-screen switch.
// - Input is handled in order with output: a key is applied only once all output received before it is parsed, so
//   "the prompt" is what the line showed when the first key of the line arrived.
// - Enter does not commit at once: the echo of the keys before it may still be on its way. The line is read at the
//   first line feed that follows (the shell echoing Enter), before any later output can clear it; or after
//   commitTimeoutMs without one. Keys typed after an Enter wait until that line is committed.
// - Lines typed while the alternate screen is active (vi, less, top) are never commands.

import xtermHeadless from '@xterm/headless';
import type { Terminal } from '@xterm/headless';
import { KeyReader, LineKeys, type Key } from './key-line.js';
import { TrackerQueue } from './tracker-queue.js';
import { CommandAssembler } from './command-assembler.js';
import { StdinLines } from './stdin-lines.js';
import { decideLine, sameLine, showsKeys, stripPrompt } from './line-decision.js';
import { cursorLine, lineEndingAt, type LineView } from './screen-lines.js';
import { syncWriter } from '../mirror/xterm-internals.js';
import type { CommandTrackerOptions, Pending } from './tracker-options.js';

const { Terminal: HeadlessTerminal } = xtermHeadless;

/** Output up to this many characters is parsed at once (an echo, a prompt); more through xterm's flow-controlled write. */
const SYNC_WRITE_CHARS = 4096;

export type { TrackedCommand } from './command-assembler.js';
export type { LineView } from './screen-lines.js';
export type { CommandTrackerOptions } from './tracker-options.js';

export class CommandTracker {
  private readonly term: Terminal;
  private readonly writeSync: (data: string) => void;
  private readonly reader: KeyReader;
  private readonly keys = new LineKeys();
  private readonly inputDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
  private readonly q = new TrackerQueue();
  private inFlight = false;
  private scheduled = false;
  private disposed = false;
  private ended = false;
  private finished = false;
  /** Keys of an input chunk after an Enter, waiting for that Enter's line to commit. */
  private deferred: Key[] = [];
  private deferredAt = 0;
  private editing = false;
  private prompt = '';
  private commit: Pending | null = null;
  private commitTimer: NodeJS.Timeout | null = null;
  private readonly cmds: CommandAssembler;
  private lastArrival = 0;
  private lazyTimer: NodeJS.Timeout | null = null;
  /** An input entry had to wait for a commit: the line it starts was typed ahead. */
  private waited = false;
  private readonly idleWaiters = new Set<() => void>();
  /** keysOnly: the lines sent are the commands. */
  private readonly stdin: StdinLines;
  /** How many times output was dropped unparsed (bulk output, or the tracker fell behind). */
  get skips(): number {
    return this.q.skips;
  }

  constructor(private readonly o: CommandTrackerOptions) {
    this.cmds = new CommandAssembler(o);
    this.stdin = new StdinLines(this.cmds);
    this.term = new HeadlessTerminal({ cols: o.cols, rows: o.rows, scrollback: 100, allowProposedApi: true, logLevel: 'off' });
    this.writeSync = syncWriter(this.term);
    this.reader = new KeyReader(() => this.term.modes.bracketedPasteMode);
    this.term.onLineFeed(() => this.lineFeed());
  }

  output(data: Buffer): void {
    if (this.disposed || data.length === 0) return;
    this.q.push({ kind: 'o', data, at: this.now() });
    this.lastArrival = Date.now();
    if (this.urgent()) this.schedule();
    else this.defer();
  }

  /** Keys that reached the target (a denied Enter is never given here). */
  input(data: Buffer | string): void {
    if (this.disposed) return;
    const text = typeof data === 'string' ? data : this.inputDecoder.decode(data, { stream: true });
    if (text.length === 0) return;
    // Keys are read when handled, in order with output: whether ESC[200~ starts a paste depends on the screen then.
    this.q.push({ kind: 'i', text, at: this.now() });
    this.lastArrival = Date.now();
    this.schedule();
  }

  resize(cols: number, rows: number): void {
    if (this.disposed || !(cols > 0 && rows > 0)) return;
    this.q.push({ kind: 'r', cols, rows });
    this.schedule();
  }

  /** The session ended: what is queued is still parsed, then the last line and excerpt are committed. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.idle()) this.finish();
    else this.schedule();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.clearCommitTimer();
    if (this.lazyTimer) clearTimeout(this.lazyTimer);
    this.q.clear();
    this.term.dispose();
    for (const w of this.idleWaiters) w();
  }

  /** True while a full-screen program has the terminal. */
  get altScreen(): boolean {
    return this.term.buffer.active.type === 'alternate';
  }

  /**
   * Resolves once everything received so far is parsed and nothing has arrived for quietMs (the echo of the last
   * keys has settled), or after maxMs.
   */
  async settle(quietMs = 30, maxMs = 400): Promise<void> {
    const deadline = Date.now() + maxMs;
    // Someone needs the screen now: lazily held output is parsed at once.
    if (!this.idle()) this.schedule();
    for (;;) {
      if (this.disposed) return;
      const idle = this.idle();
      const quietFor = Date.now() - this.lastArrival;
      if (idle && quietFor >= quietMs) return;
      const left = deadline - Date.now();
      if (left <= 0) return;
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, Math.min(left, idle ? quietMs - quietFor : 50));
        const waiter = () => done();
        function done() {
          clearTimeout(t);
          resolve();
        }
        if (!idle) this.idleWaiters.add(waiter);
      });
      this.idleWaiters.clear();
    }
  }

  /** The line as it stands (call after settle()). */
  view(): LineView {
    const { line, upToCursor } = cursorLine(this.term.buffer.active);
    return {
      alt: this.altScreen,
      screen: this.editing ? stripPrompt(line, this.prompt).trim() : '',
      upToCursor,
      prompt: this.editing ? this.prompt : '',
      line,
      pending: [...this.cmds.pending],
    };
  }

  /** A held Enter was refused: forget the line (and a `\`-continued command in progress). */
  cancelLine(): void {
    this.editing = false;
    this.keys.reset();
    this.cmds.cancel();
  }

  private now(): number {
    return this.o.clock.now().getTime();
  }

  private idle(): boolean {
    return !this.inFlight && this.q.empty && this.deferred.length === 0;
  }

  /**
   * The screen is needed now when keys wait, a line awaits its commit, an excerpt is being collected or someone
   * waits in settle(). Otherwise output is parsed lazily (see defer).
   */
  private urgent(): boolean {
    return this.commit !== null || this.deferred.length > 0 || this.cmds.collecting || this.idleWaiters.size > 0 || this.ended || this.q.hasKeys();
  }

  /**
   * Nobody needs the screen yet: parse once output pauses (idleParseMs), and meanwhile keep only the tail of a
   * stream of output, unparsed, so that bulk output costs next to nothing here.
   */
  private defer(): void {
    if (this.q.queuedOut > (this.o.lazyBacklog ?? 256 * 1024)) {
      this.q.dropOutput(this.o.tailBytes ?? 64 * 1024);
    }
    if (this.lazyTimer) clearTimeout(this.lazyTimer);
    this.lazyTimer = setTimeout(() => {
      this.lazyTimer = null;
      this.schedule();
    }, this.o.idleParseMs ?? 50);
    this.lazyTimer.unref?.();
  }

  private schedule(): void {
    if (this.lazyTimer) {
      clearTimeout(this.lazyTimer);
      this.lazyTimer = null;
    }
    if (this.scheduled || this.inFlight || this.disposed) return;
    this.scheduled = true;
    setImmediate(() => this.pump());
  }

  private pump(): void {
    this.scheduled = false;
    while (!this.inFlight && !this.disposed) {
      if (this.q.queuedOut > (this.o.maxBacklog ?? 2 * 1024 * 1024)) {
        this.skip();
        continue;
      }
      if (this.deferred.length && !this.commit) {
        const keys = this.deferred;
        this.deferred = [];
        this.handleKeys(keys, this.deferredAt, true);
        continue;
      }
      // While a line awaits its commit, keys wait and output goes on.
      const next = this.q.next(this.commit !== null || this.deferred.length > 0);
      if (!next) break;
      if (next.keysWaited) this.waited = true;
      const e = next.entry;
      if (e.kind === 'o') {
        // A large batch is parsed asynchronously and pump() resumes from its callback; a small one at once.
        if (this.writeFrom(next.index)) return;
        continue;
      }
      this.q.take(next.index, 1);
      if (e.kind === 'r') this.term.resize(e.cols, e.rows);
      else if (this.o.keysOnly) this.stdin.input(e.text, e.at);
      else {
        const waited = this.waited;
        this.waited = false;
        this.handleKeys(this.reader.read(e.text), e.at, waited);
      }
    }
    if (this.inFlight || this.disposed) return;
    if (this.commit) this.armCommitTimer();
    else if (this.ended && this.q.empty) this.finish();
    for (const w of this.idleWaiters) w();
  }

  /** Writes consecutive output from queue index i (one batch). True when xterm parses it later (wait for pump()). */
  private writeFrom(i: number): boolean {
    // While keys wait for a commit, stop at each line feed, so that they are handled right after it.
    const byLine = this.commit !== null && (this.deferred.length > 0 || !this.q.isHead(i) || this.commit.typeahead);
    return this.writeTerm(this.q.text(this.q.takeOutput(i, this.o.batchBytes ?? 64 * 1024, byLine)));
  }

  private writeTerm(text: string): boolean {
    if (text.length <= SYNC_WRITE_CHARS) {
      this.writeSync(text);
      return false;
    }
    this.inFlight = true;
    this.term.write(text, () => {
      this.inFlight = false;
      if (!this.disposed) this.pump();
    });
    return true;
  }

  private handleKeys(keys: Key[], at: number, typeahead: boolean): void {
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k];
      if (this.altScreen) {
        // A full-screen program has the keys; whatever was being typed at the shell is gone with it.
        this.editing = false;
        this.keys.reset();
        continue;
      }
      if (key.kind === 'control' && key.code === 0x03) {
        this.cancelLine();
        continue;
      }
      if (!this.editing) this.startLine(typeahead);
      if (key.kind === 'enter') {
        this.commit = { at, prompt: this.prompt, keys: this.keys.text, certain: this.keys.certain, typeahead, lineAtEnter: cursorLine(this.term.buffer.active).line };
        this.editing = false;
        this.keys.reset();
        if (k + 1 < keys.length) {
          this.deferred = keys.slice(k + 1);
          this.deferredAt = at;
        }
        return;
      }
      this.keys.apply(key);
    }
  }

  /** keysOnly: input as the shell reads it, line by line; a blank line only matters inside a continued command (a here-document's body). */
  /** The first key of a line: remember the prompt; the previous command's output is complete (unless typed ahead). */
  private startLine(typeahead: boolean): void {
    if (!typeahead) this.cmds.endExcerpt();
    this.editing = true;
    this.keys.reset();
    this.prompt = cursorLine(this.term.buffer.active).upToCursor;
  }

  private lineFeed(): void {
    const buf = this.term.buffer.active;
    const row = buf.baseY + buf.cursorY - 1;
    const c = this.commit;
    if (c) {
      const line = lineEndingAt(this.term.buffer.active, row);
      // Typed ahead: the shell echoes the line only once the previous command is done; lines before are its output.
      if (!c.typeahead || !c.certain || !c.keys.trim() || showsKeys(line, c.keys) || sameLine(line, c.prompt)) {
        this.commitLine(line);
        return;
      }
    }
    if (this.cmds.collecting && buf.type === 'normal') this.cmds.output(lineEndingAt(buf, row).replace(/\s+$/, ''));
  }

  private armCommitTimer(): void {
    if (this.commitTimer) return;
    this.commitTimer = setTimeout(() => {
      this.commitTimer = null;
      // No line feed came (a program that does not echo Enter): read the line as it stands.
      if (this.commit && !this.disposed) {
        const c = this.commit;
        const line = cursorLine(this.term.buffer.active).line;
        // Type-ahead that never showed was not echoed.
        this.commitLine(c.typeahead && c.certain && c.keys.trim() && !showsKeys(line, c.keys) ? c.prompt : line);
        this.schedule();
      }
    }, this.o.commitTimeoutMs ?? 1500);
    this.commitTimer.unref?.();
  }

  private clearCommitTimer(): void {
    if (this.commitTimer) clearTimeout(this.commitTimer);
    this.commitTimer = null;
  }

  private commitLine(line: string): void {
    const p = this.commit;
    if (!p) return;
    this.commit = null;
    this.clearCommitTimer();
    if (p.typeahead) this.cmds.endExcerpt();
    this.cmds.line(decideLine({ line, prompt: p.prompt, keys: p.keys, certain: p.certain, lineAtEnter: p.typeahead ? '' : p.lineAtEnter }), p.at);
  }

  /** Session over: commit a line still waiting, a continued command, and the last excerpt (once). */
  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.commit) this.commitLine(cursorLine(this.term.buffer.active).line);
    // keysOnly: the shell runs an unfinished last line when its input ends.
    this.stdin.finish(this.now());
    this.cmds.finish(this.now());
  }

  /**
   * Fell too far behind: keep the last tailBytes of output (from a line start), the last alternate-screen switch
   * and the last size; forget the line being typed and the keys queued meanwhile.
   */
  private skip(): void {
    if (this.commit) this.commitLine(cursorLine(this.term.buffer.active).line);
    this.cmds.endExcerpt();
    this.deferred = [];
    this.cancelLine();
    this.reader.reset();
    const { text, size } = this.q.skip(this.o.tailBytes ?? 64 * 1024);
    if (size) this.term.resize(size.cols, size.rows);
    this.writeTerm(text);
  }
}
