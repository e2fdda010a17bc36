// Commands of a session without a pty (CommandTrackerOptions.keysOnly): the shell reads each line of input as the
// bytes it is sent, so each line is a command as sent; an unfinished last line runs when the input ends.

import type { CommandAssembler } from './command-assembler.js';

export class StdinLines {
  /** The unfinished line the shell holds. */
  private partial = '';

  constructor(private readonly cmds: CommandAssembler) {}

  input(text: string, at: number): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop()!;
    for (const line of lines) this.line(line, at);
  }

  /** Input ended: the shell runs what it holds. */
  finish(at: number): void {
    if (this.partial.trim()) this.line(this.partial, at);
    this.partial = '';
  }

  private line(line: string, at: number): void {
    const text = line.trim();
    if (!text && this.cmds.pending.length === 0) return;
    if (this.cmds.pending.length === 0) this.cmds.endExcerpt();
    this.cmds.line({ kind: 'command', text }, at);
  }
}
