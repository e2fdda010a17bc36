// Reading logical lines (rows joined where the terminal wrapped them) out of a headless xterm buffer.

import type { IBuffer } from '@xterm/headless';

/** The logical line that holds the cursor: whole (right-trimmed) and up to the cursor (exact columns). */
export function cursorLine(buf: IBuffer): { line: string; upToCursor: string } {
  const y = buf.baseY + buf.cursorY;
  let start = y;
  while (start > 0 && buf.getLine(start)?.isWrapped) start--;
  let before = '';
  for (let r = start; r < y; r++) before += buf.getLine(r)?.translateToString(false) ?? '';
  const upToCursor = before + (buf.getLine(y)?.translateToString(false, 0, buf.cursorX) ?? '');
  let line = before;
  for (let r = y; ; r++) {
    const l = buf.getLine(r);
    if (!l || (r > y && !l.isWrapped)) break;
    const next = buf.getLine(r + 1);
    line += l.translateToString(!(next && next.isWrapped));
  }
  return { line, upToCursor };
}

/** The logical line whose last row is `row`. */
export function lineEndingAt(buf: IBuffer, row: number): string {
  if (row < 0) return '';
  let start = row;
  while (start > 0 && buf.getLine(start)?.isWrapped) start--;
  let text = '';
  for (let r = start; r <= row; r++) text += buf.getLine(r)?.translateToString(r === row) ?? '';
  return text;
}

/** What the line being typed looks like now (for rule checks before Enter is let through). */
export interface LineView {
  alt: boolean;
  /** The line on screen minus its prompt ('' when nothing was typed on it yet). */
  screen: string;
  /** The logical line on screen up to the cursor, prompt included (to redraw it for the user). */
  upToCursor: string;
  /** The prompt captured at the first key ('' when idle). */
  prompt: string;
  /** The whole logical line at the cursor. */
  line: string;
  /** Earlier lines of a `\`-continued command not yet complete. */
  pending: string[];
}
