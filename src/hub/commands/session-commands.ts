// One live session's command log: the tracker (pty shells), the input guard (rules), the search indexer, and the
// ordered writes of commands and their output excerpts to the store.

import type { Clock } from '../../core/clock.js';
import { matchCommand, type CompiledRule, type RuleMatch, type SessionScope } from '../../core/command-rules.js';
import type { CommandOutcome, CommandRepo, CommandSource, SearchIndex } from '../../core/session-logs.js';
import type { SessionRecord } from '../../core/types.js';
import type { InputFilter, SessionTap } from '../live-session.js';
import { CommandTracker, type TrackedCommand } from './command-tracker.js';
import { deniedMessage, HIDDEN_INPUT, InputGuard, interruptedMessage, type GuardVerdict } from './input-guard.js';
import type { RecordingIndexer } from './search-follower.js';
import { TextLines } from './text-lines.js';

/** What the command log needs of a live session (LiveSession provides it). */
export interface MonitoredSession {
  readonly record: SessionRecord;
  readonly cols: number;
  readonly rows: number;
  addTap(tap: SessionTap): () => void;
  /** Holds user input until the filter lets it through (absent: commands cannot be reconstructed nor enforced). */
  setInputFilter?(filter: InputFilter | null): void;
}

export interface SessionCommandsOptions {
  session: MonitoredSession;
  commands: Pick<CommandRepo, 'add' | 'setOutput'>;
  /** Where commands are indexed for search. */
  index: Pick<SearchIndex, 'addLines'>;
  /** Indexes what the session displays, from its recording (absent: output is not indexed). */
  recordings?: RecordingIndexer;
  rules(): Promise<readonly CompiledRule[]>;
  /** Ends the session (hub.drop), naming why. */
  drop(sessionId: number, reason: string): Promise<void>;
  clock: Clock;
  onError(what: string, err: unknown): void;
  maxExcerpt?: number;
}

/** What rule scopes are compared with; the credential as ACCOUNT@DEVICE whether the record holds the account alone or both. */
export function scopeOf(r: Pick<SessionRecord, 'device' | 'credential' | 'user'>): SessionScope {
  return { device: r.device, credential: r.credential.includes('@') ? r.credential : `${r.credential}@${r.device}`, user: r.user };
}

export class SessionCommands implements SessionTap {
  private readonly record: SessionRecord;
  private readonly scope: SessionScope;
  /** `stdin` for a shell without a terminal: its lines may be commands or data a program read (see CommandSource). */
  private readonly lineSource: CommandSource;
  private readonly tracker: CommandTracker | null = null;
  private readonly execOutput: TextLines | null = null;
  private execExcerpt: string[] = [];
  private execExcerptSize = 0;
  private execCommandId: Promise<number | null> = Promise.resolve(null);
  private execRefusal: Promise<string | null> = Promise.resolve(null);
  /** Store writes, one after another: a command's excerpt is written after the command. */
  private chain: Promise<unknown> = Promise.resolve();
  private readonly ids = new Map<TrackedCommand, Promise<number | null>>();
  private finished: Promise<void> | null = null;

  constructor(private readonly o: SessionCommandsOptions) {
    const s = o.session;
    this.record = s.record;
    this.scope = scopeOf(s.record);
    const pty = s.record.cols !== null;
    this.lineSource = pty ? 'shell' : 'stdin';
    if (s.record.type === 'sftp') return;
    if (s.record.recordingPath) o.recordings?.follow(s.record.id, s.record.recordingPath);
    if (s.record.type === 'exec') {
      const exec = this.logExec(s.record.command ?? '');
      this.execCommandId = exec.then((r) => r.id);
      this.execRefusal = exec.then((r) => r.refusal);
      this.execOutput = new TextLines((line) => this.execLine(line));
    }
    if ((s.record.type === 'shell' || (s.record.type === 'exec' && pty)) && s.setInputFilter) {
      this.tracker = new CommandTracker({
        cols: s.cols,
        rows: s.rows,
        startedAt: s.record.startedAt,
        clock: o.clock,
        keysOnly: !pty,
        maxExcerpt: o.maxExcerpt,
        onCommand: (c) => this.logCommand(c),
        onExcerpt: (c, text) => this.logExcerpt(c, text),
        onHidden: (at) => this.logHidden(at),
      });
      const guard = new InputGuard({
        tracker: this.tracker,
        plain: !pty,
        scope: this.scope,
        rules: o.rules,
        onDenied: (v) => void this.logVerdict(v, 'denied'),
        onInterrupt: async (v) => {
          await this.logVerdict(v, 'interrupted');
          await o.drop(this.record.id, `command rule "${v.match.rule.name}"`);
        },
      });
      s.setInputFilter(guard.filter);
    }
  }

  output(data: Buffer): void {
    this.tracker?.output(data);
    if (this.execOutput && this.execExcerptSize < (this.o.maxExcerpt ?? 2048)) this.execOutput.write(data);
  }

  resize(cols: number, rows: number): void {
    this.tracker?.resize(cols, rows);
  }

  end(): void {
    this.finished ??= this.finish();
  }

  /** Resolves when everything of the session is parsed and stored. */
  async done(): Promise<void> {
    this.end();
    await this.finished;
  }

  private async finish(): Promise<void> {
    const t = this.tracker;
    if (t) {
      await t.settle(0, 10_000);
      t.end();
      await t.settle(0, 10_000);
      t.dispose();
    }
    if (this.execOutput) {
      this.execOutput.flush();
      const text = this.execExcerpt.join('\n').slice(0, this.o.maxExcerpt ?? 2048);
      const id = await this.execCommandId;
      if (id !== null && text) this.write('saving an exec output excerpt', () => this.o.commands.setOutput(id, text));
    }
    if (this.record.type !== 'sftp' && this.record.recordingPath) this.o.recordings?.ended(this.record.id);
    // Excerpt writes are queued once their command's id is known: wait until nothing more was queued.
    for (let c = this.chain; ; c = this.chain) {
      await c;
      await Promise.resolve();
      if (c === this.chain) break;
    }
  }

  private offset(at: Date): number {
    return Math.max(0, at.getTime() - this.record.startedAt.getTime()) / 1000;
  }

  private write<T>(what: string, job: () => Promise<T>): Promise<T | null> {
    const p = this.chain.then(job).catch((err: unknown) => {
      this.o.onError(what, err);
      return null;
    });
    this.chain = p;
    return p;
  }

  private add(command: string, at: Date, source: CommandSource, outcome: CommandOutcome, m: RuleMatch | null): Promise<number | null> {
    return this.write('saving a command', () => this.insert(command, at, source, outcome, m));
  }

  private async insert(command: string, at: Date, source: CommandSource, outcome: CommandOutcome, m: RuleMatch | null): Promise<number> {
    const offset = this.offset(at);
    if (command !== HIDDEN_INPUT) await this.o.index.addLines([{ sessionId: this.record.id, offset, kind: 'command', text: command }]);
    return this.o.commands.add({
        sessionId: this.record.id,
        at,
        offset,
        command,
        source,
        outcome,
        ruleName: m?.rule.name ?? null,
        criticality: m?.rule.criticality ?? null,
        action: m?.rule.action ?? null,
      });
  }

  /** A command that ran; a rule it matches gives its criticality; an interrupt rule the guard could not see in time still ends the session. */
  private logCommand(c: TrackedCommand): void {
    let late: RuleMatch | null = null;
    const id = this.write('saving a command', async () => {
      const m = matchCommand(await this.o.rules(), [c.text], this.scope);
      if (m?.rule.action === 'interrupt') late = m;
      return this.insert(c.text, c.at, this.lineSource, 'executed', m);
    });
    this.ids.set(c, id);
    void id.then(() => late && this.o.drop(this.record.id, `command rule "${late.rule.name}"`)).catch((err: unknown) => this.o.onError('dropping a session', err));
  }

  private logExcerpt(c: TrackedCommand, text: string): void {
    const id = this.ids.get(c);
    this.ids.delete(c);
    if (!id) return;
    void id.then((stored) => {
      if (stored !== null) void this.write('saving an output excerpt', () => this.o.commands.setOutput(stored, text));
    });
  }

  /** Typed at a prompt that did not echo it (a password): when, never what. */
  private logHidden(at: Date): void {
    void this.add(HIDDEN_INPUT, at, this.lineSource, 'executed', null);
  }

  private logVerdict(v: GuardVerdict, outcome: 'denied' | 'interrupted'): Promise<number | null> {
    return this.add(v.command, this.o.clock.now(), this.lineSource, outcome, v.match);
  }

  /** Why the session must not reach the target (an exec command a deny or interrupt rule matched), or null. */
  refusal(): Promise<string | null> {
    return this.execRefusal;
  }

  /** An exec request is its command: a deny rule refuses it (see refusal()), an interrupt rule drops the session. */
  private async logExec(command: string): Promise<{ id: number | null; refusal: string | null }> {
    let refusal: RuleMatch | null = null;
    const id = await this.write('saving an exec command', async () => {
      const m = matchCommand(await this.o.rules(), [command], this.scope);
      if (m && m.rule.action !== 'allow_log') refusal = m;
      return this.insert(command, this.record.startedAt, 'exec', m && refusal ? (m.rule.action === 'deny' ? 'denied' : 'interrupted') : 'executed', m);
    });
    const r = refusal as RuleMatch | null;
    if (r?.rule.action === 'interrupt') await this.o.drop(this.record.id, `command rule "${r.rule.name}"`).catch((err: unknown) => this.o.onError('dropping a session', err));
    return { id, refusal: r ? (r.rule.action === 'deny' ? deniedMessage(r.rule.name) : interruptedMessage(r.rule.name)) : null };
  }

  private execLine(line: string): void {
    this.execExcerpt.push(line);
    this.execExcerptSize += line.length + 1;
  }
}
