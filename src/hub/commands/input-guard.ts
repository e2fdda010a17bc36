// Real-time enforcement of deny/interrupt rules: the user's Enter is held until the line it would run is checked.
//
// Order of events for an input chunk holding Enter (\r or \n), with enforcing rules in scope:
//  1. Every line the keys alone make of the chunk (a paste of many lines included) is checked first; a match
//     refuses the whole chunk, nothing of it reaches the target.
//  2. Otherwise the keys before each Enter go to the target; the echo is let settle and the line as the screen shows
//     it is checked (history, Tab completion, key bindings). Later lines of a pasted chunk, typed whole in it, are
//     told exactly by their keys and were checked in step 1: they go on without waiting.
//  3. Deny: the Enter is never sent. The user sees `Command denied by rule "<name>"` and the line again, then the
//     target gets Ctrl-E Ctrl-U (end of line, kill it; Ctrl-C when a `\`-continued command is open).
//     Interrupt: the session is dropped with the rule named. Allowed: the Enter goes on.
// Chunks without Enter pass straight through (no promise): typing is never slowed.
//
// A shell without a terminal (`plain`) is another matter: it has no line editor, no echo and no screen, reads each
// line as the bytes it is sent (a control character is part of the command, only a line feed ends it), and runs an
// unfinished last line when the input ends. So, while enforcing rules are in scope, an unfinished line is held here
// until its line feed comes, and each line is checked whole (with the earlier lines of a command continued by `\`,
// an open quote or a here-document) before any byte of it is sent; a refused line is dropped and the next one goes on.
// Held bytes are never sent when the input ends there (no end-of-input signal reaches the filter): a script whose last
// line lacks its line feed loses that line while such rules apply. A line longer than MAX_HELD is checked as it stands
// and sent, and the rest of it is then checked with it.

import { matchCommand, type CompiledRule, type RuleMatch, type SessionScope } from '../../core/command-rules.js';
import type { InputFilter, InputFilterIO } from '../live-session.js';
import type { CommandTracker, LineView } from './command-tracker.js';
import { KeyReader, LineKeys } from './key-line.js';
import { decideLine, isIncomplete } from './line-decision.js';

/** A decision on a line, for the command log. */
export interface GuardVerdict {
  match: RuleMatch;
  /** The command as logged: the reconstructed line, or a placeholder when it was not echoed. */
  command: string;
}

export interface InputGuardOptions {
  tracker: CommandTracker;
  /** A shell without a terminal (see above); the tracker is keysOnly. */
  plain?: boolean;
  scope: SessionScope;
  /** The current rules (cached by the caller). */
  rules(): Promise<readonly CompiledRule[]>;
  onDenied(v: GuardVerdict): void;
  /** Must end the session (hub.drop). */
  onInterrupt(v: GuardVerdict): Promise<void>;
  settleQuietMs?: number;
  settleMaxMs?: number;
}

export const HIDDEN_INPUT = '(input not echoed)';

export function deniedMessage(rule: string): string {
  return `Command denied by rule "${rule}"`;
}
export function interruptedMessage(rule: string): string {
  return `Session interrupted by rule "${rule}"`;
}

const ENTER = /[\r\n]/;
const LF = 0x0a;
/** Longest unfinished line held (plain); past it the line is checked as it stands and sent. */
const MAX_HELD = 64 * 1024;

export class InputGuard {
  private readonly reader = new KeyReader();
  private readonly keys = new LineKeys();
  private closed = false;
  /** plain: bytes of an unfinished line not sent yet. */
  private held: Buffer = Buffer.alloc(0);
  /** plain: the unfinished line the shell holds (sent before a rule applied, or past MAX_HELD). */
  private shellLine = '';
  /** plain: earlier lines of a continued command the shell holds. */
  private continued: string[] = [];

  constructor(private readonly o: InputGuardOptions) {}

  /** The InputFilter of this session. */
  readonly filter: InputFilter = (data, io) => {
    if (this.closed) return;
    if (this.o.plain) return this.plainInput(data, io);
    if (!ENTER.test(data.toString('latin1'))) {
      this.pass(data, io);
      return;
    }
    return this.withEnter(data, io);
  };

  private pass(data: Buffer | string, io: InputFilterIO): void {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    this.feedKeys(buf.toString('utf8'));
    this.o.tracker.input(buf);
    io.toTarget(buf);
  }

  private feedKeys(text: string): void {
    for (const k of this.reader.read(text)) {
      if (k.kind === 'control' && k.code === 0x03) this.keys.reset();
      else this.keys.apply(k);
    }
  }

  private async withEnter(data: Buffer, io: InputFilterIO): Promise<void> {
    const rules = (await this.o.rules()).filter((r) => r.rule.action !== 'allow_log');
    if (rules.length === 0 || this.o.tracker.altScreen) {
      this.passAll(data, io);
      return;
    }
    const text = data.toString('utf8');
    // 1. The lines the keys make, all of them, before anything is sent.
    const lines = this.keyLines(text);
    const early = matchCommand(rules, lines, this.o.scope, { enforcingOnly: true });
    if (early) {
      await this.o.tracker.settle(this.o.settleQuietMs ?? 30, this.o.settleMaxMs ?? 400);
      return this.refuse(early, this.o.tracker.view(), this.keys.text, this.keys.certain, io, lines.join('\n').trim());
    }
    // 2. Enter by Enter, with the screen's version of the line unless keys alone tell it: a later line of a chunk,
    // typed whole in it without Tab, history or other keys the shell interprets (step 1 checked those already).
    let fresh = false;
    const pieces = text.split(/(?<=[\r\n])/);
    for (let p = 0; p < pieces.length; p++) {
      const piece = pieces[p];
      if (!ENTER.test(piece)) {
        this.pass(piece, io);
        continue;
      }
      const before = piece.slice(0, -1);
      if (before) this.pass(before, io);
      const keysText = this.keys.text;
      const certain = this.keys.certain;
      if (!(fresh && certain)) {
        await this.o.tracker.settle(this.o.settleQuietMs ?? 30, this.o.settleMaxMs ?? 400);
        const view = this.o.tracker.view();
        if (!view.alt) {
          const screen = view.screen;
          const texts = [screen, keysText, ...(view.pending.length ? [[...view.pending, screen].join('\n'), [...view.pending, keysText].join('\n')] : [])];
          const m = matchCommand(rules, texts, this.o.scope, { enforcingOnly: true });
          if (m) return this.refuse(m, view, keysText, certain, io);
        }
      }
      this.keys.reset();
      fresh = true;
      this.o.tracker.input(piece.slice(-1));
      io.toTarget(Buffer.from(piece.slice(-1)));
      if (this.closed) return;
    }
  }

  private passAll(data: Buffer, io: InputFilterIO): void {
    for (const piece of data.toString('utf8').split(/(?<=[\r\n])/)) {
      this.pass(piece, io);
      if (ENTER.test(piece)) this.keys.reset();
    }
  }

  /** The current line completed by the chunk's keys, and each further line the chunk types (Enter-terminated or not). */
  private keyLines(text: string): string[] {
    const reader = new KeyReader();
    const line = new LineKeys();
    line.text = this.keys.text;
    line.cursor = this.keys.cursor;
    const out: string[] = [];
    for (const k of reader.read(text)) {
      if (k.kind === 'enter') {
        out.push(line.text);
        line.reset();
      } else if (k.kind === 'control' && k.code === 0x03) line.reset();
      else line.apply(k);
    }
    // What follows the last Enter runs at a later Enter and is checked then; a pasted block with line breaks (which a
    // shell without bracketed paste runs at once) is checked now, line by line as well as whole.
    if (line.text.includes('\n')) out.push(line.text);
    return out.flatMap((l) => (l.includes('\n') ? [l, ...l.split('\n')] : [l]));
  }

  private async plainInput(data: Buffer, io: InputFilterIO): Promise<void> {
    const rules = (await this.o.rules()).filter((r) => r.rule.action !== 'allow_log');
    if (rules.length === 0 && this.held.length === 0) {
      this.plainSend(data, io);
      return;
    }
    const buf = this.held.length ? Buffer.concat([this.held, data]) : data;
    this.held = Buffer.alloc(0);
    let start = 0;
    for (let nl = buf.indexOf(LF, start); nl >= 0 && !this.closed; nl = buf.indexOf(LF, start)) {
      const line = buf.subarray(start, nl + 1);
      start = nl + 1;
      await this.plainLine(line, true, rules, io);
    }
    if (this.closed) return;
    const tail = buf.subarray(start);
    if (tail.length > MAX_HELD) await this.plainLine(tail, false, rules, io);
    else this.held = Buffer.from(tail);
  }

  /** plain: checks a line (`complete`: with its line feed) as the shell will read it, then sends or drops it. */
  private async plainLine(bytes: Buffer, complete: boolean, rules: readonly CompiledRule[], io: InputFilterIO): Promise<void> {
    const line = this.shellLine + bytes.toString('utf8').replace(/\n$/, '');
    const command = [...this.continued, line].join('\n');
    const m = matchCommand(rules, [command, line], this.o.scope, { enforcingOnly: true });
    if (m) {
      // Nothing of it reached the shell: what it holds (shellLine, continued) stays as it was.
      const verdict: GuardVerdict = { match: m, command: command.trim() };
      if (m.rule.action === 'interrupt') {
        this.closed = true;
        io.toUser(Buffer.from(`${interruptedMessage(m.rule.name)}\n`));
        await this.o.onInterrupt(verdict);
        return;
      }
      io.toUser(Buffer.from(`${deniedMessage(m.rule.name)}\n`));
      this.o.onDenied(verdict);
      return;
    }
    this.plainSend(bytes, io);
  }

  /** plain: bytes the shell receives; keeps what it holds of an unfinished line and of a continued command. */
  private plainSend(bytes: Buffer, io: InputFilterIO): void {
    const lines = (this.shellLine + bytes.toString('utf8')).split('\n');
    this.shellLine = lines.pop()!;
    for (const l of lines) {
      const parts = [...this.continued, l];
      this.continued = isIncomplete(parts.join('\n')) && parts.length < 50 ? parts : [];
    }
    this.o.tracker.input(bytes);
    io.toTarget(bytes);
  }

  /** @param typed what the keys of a refused chunk would have entered (step 1), logged unless the screen shows typing that was not echoed. */
  private async refuse(m: RuleMatch, view: LineView, keysText: string, certain: boolean, io: InputFilterIO, typed: string | null = null): Promise<void> {
    const d = decideLine({ line: view.line, prompt: view.prompt, keys: keysText, certain });
    const command = d.kind === 'hidden' ? HIDDEN_INPUT : typed || (d.kind === 'command' ? d.text : m.matched);
    const verdict: GuardVerdict = { match: m, command };
    const pendingContinuation = view.pending.length > 0;
    this.o.tracker.cancelLine();
    this.keys.reset();
    this.reader.reset();
    if (m.rule.action === 'interrupt') {
      this.closed = true;
      io.toUser(Buffer.from(`\r\n${interruptedMessage(m.rule.name)}\r\n`));
      await this.o.onInterrupt(verdict);
      return;
    }
    // The user's terminal gets the message and then the line as the shell still holds it, so that the shell's
    // relative redraw after the kill lands on the right columns.
    io.toUser(Buffer.from(`\r\n${deniedMessage(m.rule.name)}\r\n${view.upToCursor}`));
    io.toTarget(Buffer.from(pendingContinuation ? '\x03' : '\x05\x15'));
    this.o.onDenied(verdict);
  }
}
