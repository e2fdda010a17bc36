// The target menu shown to a user who logs in without `[account@device]`: render, read a line, pick an entry.

import type { Readable, Writable } from 'node:stream';

/** One entry of the menu: a credential the user holds a grant for. */
export interface MenuEntry {
  credentialId: number;
  /** `account@device`. */
  label: string;
}

/** The menu text, with CRLF line ends (the user's terminal is in raw mode under a pty). */
export function renderMenu(username: string, entries: readonly MenuEntry[]): string {
  const lines = [`Vigil: hello ${username}. Choose a target:`, ''];
  const width = String(entries.length).length;
  entries.forEach((e, i) => lines.push(`  ${String(i + 1).padStart(width)}) ${e.label}`));
  lines.push('', `Enter a number (1-${entries.length}), or q to quit: `);
  return lines.join('\r\n');
}

export type MenuChoice = { kind: 'entry'; entry: MenuEntry } | { kind: 'quit' } | { kind: 'invalid'; message: string };

/** Interprets what the user typed: a number of the list, or q/quit/exit. */
export function parseChoice(input: string, entries: readonly MenuEntry[]): MenuChoice {
  const s = input.trim();
  if (/^(q|quit|exit)$/i.test(s)) return { kind: 'quit' };
  if (!/^\d{1,6}$/.test(s)) return { kind: 'invalid', message: `Please enter a number between 1 and ${entries.length}.` };
  const n = Number(s);
  const entry = entries[n - 1];
  if (n < 1 || !entry) return { kind: 'invalid', message: `There is no target ${n}; enter a number between 1 and ${entries.length}.` };
  return { kind: 'entry', entry };
}

/** Longest line the menu reads; a longer one is cut (nobody types a 200-digit choice). */
const MAX_LINE = 200;

/**
 * Reads one line typed by the user. With `echo` (a pty: the client's terminal is raw) the typed characters are
 * echoed back and backspace is handled; Ctrl-C and Ctrl-D cancel (resolve null), as does the end of input.
 * Bytes after the line ending are given back to the stream with unshift(), so type-ahead reaches the target.
 */
export function readLine(input: Readable, output: Writable, opts: { echo: boolean }): Promise<string | null> {
  return new Promise((resolve) => {
    let line = '';
    const finish = (value: string | null, rest?: Buffer) => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('close', onEnd);
      input.pause();
      if (rest && rest.length > 0) input.unshift(rest);
      resolve(value);
    };
    const onEnd = () => finish(null);
    const onData = (chunk: Buffer) => {
      for (let i = 0; i < chunk.length; i++) {
        const c = chunk[i];
        if (c === 0x0d || c === 0x0a) {
          if (opts.echo) output.write('\r\n');
          // A CRLF pair ends one line: skip the LF after a CR.
          const next = c === 0x0d && chunk[i + 1] === 0x0a ? i + 2 : i + 1;
          finish(line, chunk.subarray(next));
          return;
        }
        if (c === 0x03 || c === 0x04) {
          if (opts.echo) output.write('\r\n');
          finish(null);
          return;
        }
        if (c === 0x7f || c === 0x08) {
          if (line.length > 0) {
            line = line.slice(0, -1);
            if (opts.echo) output.write('\b \b');
          }
          continue;
        }
        if (c >= 0x20 && c < 0x7f && line.length < MAX_LINE) {
          line += String.fromCharCode(c);
          if (opts.echo) output.write(String.fromCharCode(c));
        }
      }
    };
    input.on('data', onData);
    input.once('end', onEnd);
    input.once('close', onEnd);
    input.resume();
  });
}
