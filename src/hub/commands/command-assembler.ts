// From committed lines to commands: joins `\`-continued lines into one command, and collects what each command
// displayed until the next prompt (the output excerpt).

import type { LineDecision } from './line-decision.js';
import { isIncomplete } from './line-decision.js';

/** A command line, as the shell received it. */
export interface TrackedCommand {
  text: string;
  /** Wall clock of the Enter key. */
  at: Date;
  /** Seconds since the session started. */
  offset: number;
}

export interface CommandAssemblerOptions {
  startedAt: Date;
  onCommand(c: TrackedCommand): void;
  /** The output a command displayed up to the next prompt, at most maxExcerpt characters (not called when empty). */
  onExcerpt?(c: TrackedCommand, text: string): void;
  /** A line was entered without echo (a password prompt): only the time is told. */
  onHidden?(at: Date): void;
  maxExcerpt?: number;
  /** At most this many continued lines make one command (default 50). */
  maxParts?: number;
}

export class CommandAssembler {
  private parts: string[] = [];
  private excerpt: { cmd: TrackedCommand; lines: string[]; size: number } | null = null;

  constructor(private readonly o: CommandAssemblerOptions) {}

  /** True while the output of the last command is being collected. */
  get collecting(): boolean {
    return this.excerpt !== null;
  }

  /** Earlier lines of a continued command not yet complete. */
  get pending(): readonly string[] {
    return this.parts;
  }

  /** A line entered at `at` (epoch ms), as decided from the screen and the keys. */
  line(d: LineDecision, at: number): void {
    if (d.kind === 'hidden') {
      this.parts = [];
      this.o.onHidden?.(new Date(at));
      return;
    }
    if (d.kind === 'none') {
      if (this.parts.length === 0) return;
      // An empty line ends a continued command the heuristics thought incomplete.
      this.emit(this.parts.join('\n'), at);
      this.parts = [];
      return;
    }
    const parts = [...this.parts, d.text];
    if (parts.length < (this.o.maxParts ?? 50) && isIncomplete(parts.join('\n'))) {
      this.parts = parts;
      return;
    }
    this.parts = [];
    this.emit(parts.join('\n'), at);
  }

  /** A line the last command displayed. */
  output(text: string): void {
    const ex = this.excerpt;
    if (!ex) return;
    ex.lines.push(text);
    ex.size += text.length + 1;
    if (ex.size >= (this.o.maxExcerpt ?? 2048)) this.endExcerpt();
  }

  /** The next prompt came (or the session ended): the last command's output is complete. */
  endExcerpt(): void {
    const ex = this.excerpt;
    if (!ex) return;
    this.excerpt = null;
    const max = this.o.maxExcerpt ?? 2048;
    let text = ex.lines.join('\n').replace(/\s+$/, '');
    if (text.length > max) text = text.slice(0, max) + '…';
    if (text) this.o.onExcerpt?.(ex.cmd, text);
  }

  /** Forgets a continued command in progress (Ctrl-C, a refused line). */
  cancel(): void {
    this.parts = [];
  }

  /** Session over: a continued command still open is a command; the last excerpt is complete. */
  finish(at: number): void {
    if (this.parts.length) {
      this.emit(this.parts.join('\n'), at);
      this.parts = [];
    }
    this.endExcerpt();
  }

  private emit(text: string, at: number): void {
    const cmd: TrackedCommand = { text, at: new Date(at), offset: Math.max(0, (at - this.o.startedAt.getTime()) / 1000) };
    this.o.onCommand(cmd);
    this.excerpt = { cmd, lines: [], size: 0 };
  }
}
