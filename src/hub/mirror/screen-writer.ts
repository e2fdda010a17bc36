// Writes a buffer's lines (scrollback and screen) as output that rebuilds them cell for cell.
//
// Used instead of @xterm/addon-serialize 0.14 for the cells, which in tests here dropped trailing
// erased lines (their background and "wrapped" mark), emitted CUF/CUB 0 (read as 1: stray "-"),
// put the line after a wrapped line that starts empty one row too high, and wrote cells a
// narrowing resize had hidden. Rules kept here:
// - Lines are written top to bottom from the home position of an empty buffer: CR LF between
//   lines (scrolling exactly as often as the source did, so scrollback has the same length),
//   or, for a line marked wrapped, an overflow from the line above (for the first line, from a
//   scratch line that is then scrolled away).
// - The pen (SGR) is reset before anything that may scroll: xterm fills a new line with the
//   current background.
// - An empty cell usually carries only a background (xterm erases that way): runs of them are
//   skipped, or erased with ECH when coloured. Overwriting half of a wide character leaves an
//   empty cell with full attributes; that is rebuilt the same way (a wide character, then a
//   character over its right half), or at the last column by a wide character that wraps.

import type { IBuffer, IBufferCell, IBufferLine } from '@xterm/headless';
import { sgrFor } from './sgr.js';

const RESET = '\x1b[0m';
const WIDE = '\u6f22'; // any double-width character

/** Text written when line `line` starts (cursor at column 0, SGR reset); must leave it that way. */
export interface LineHook {
  line: number;
  text: string;
}

function flags(c: IBufferCell): number {
  return (c.isBold() ? 1 : 0) | (c.isDim() ? 2 : 0) | (c.isItalic() ? 4 : 0) | (c.isUnderline() ? 8 : 0) |
    (c.isBlink() ? 16 : 0) | (c.isInverse() ? 32 : 0) | (c.isInvisible() ? 64 : 0) | (c.isStrikethrough() ? 128 : 0) |
    (c.isOverline() ? 256 : 0);
}

/** Attribute identity of a cell without building its SGR. */
function attrKey(c: IBufferCell): string {
  return `${c.getFgColorMode() | c.getFgColor()},${c.getBgColorMode() | c.getBgColor()},${flags(c)}`;
}

/** An empty cell as an erase leaves it: background only. */
function erasedLike(c: IBufferCell): boolean {
  return c.getFgColorMode() === 0 && flags(c) === 0;
}

class Writer {
  readonly out: string[] = [];
  /** Cursor column in the terminal being rebuilt (cols = pending wrap). */
  x = 0;
  /** A column holding a placeholder character that must be overwritten or erased. */
  junkAt = -1;
  private penKey = '';
  private readonly cell: IBufferCell;
  private readonly probe: IBufferCell;

  constructor(private readonly buffer: IBuffer, private readonly cols: number) {
    this.cell = buffer.getNullCell();
    this.probe = buffer.getNullCell();
    this.penKey = attrKey(this.cell);
  }

  pen(c: IBufferCell): void {
    const key = attrKey(c);
    if (key === this.penKey) return;
    this.penKey = key;
    this.out.push(sgrFor(c));
  }

  resetPen(): void {
    const key = attrKey(this.buffer.getNullCell());
    if (key !== this.penKey) this.out.push(RESET);
    this.penKey = key;
  }

  moveTo(col: number): void {
    if (col > this.x && this.x < this.cols) this.out.push(`\x1b[${col - this.x}C`);
    else if (col !== this.x) this.out.push(`\x1b[${col + 1}G`);
    this.x = col;
  }

  /** Writes the cells of one line; the cursor starts at column 0 of it. */
  line(line: IBufferLine): void {
    const { cols, cell, probe } = this;
    for (let c = 0; c < cols;) {
      line.getCell(c, cell);
      const width = cell.getWidth();
      if (width === 0) { c++; continue; } // right half of a wide character
      const chars = cell.getChars();
      if (chars) {
        this.moveTo(c);
        this.pen(cell);
        this.out.push(chars);
        this.x = c + width;
        if (this.junkAt >= c && this.junkAt < c + width) this.junkAt = -1;
        c += width;
        if (width === 2 && c === cols) this.brokenWideAtEdge(line);
      } else if (!erasedLike(cell)) {
        if (c < cols - 1) this.emptyWithAttrs(c, cell);
        c++; // at the last column: done by lineBreak (or lost on the very last line)
      } else {
        const key = attrKey(cell);
        let end = c + 1;
        while (end < cols && line.getCell(end, probe) && probe.getChars() === '' && probe.getWidth() === 1 &&
          erasedLike(probe) && attrKey(probe) === key) end++;
        if (!cell.isBgDefault() || (this.junkAt >= c && this.junkAt < end)) {
          this.moveTo(c);
          this.pen(cell);
          this.out.push(`\x1b[${end - c}X`);
          if (this.junkAt >= c && this.junkAt < end) this.junkAt = -1;
        }
        c = end;
      }
    }
  }

  /** Empty cell with foreground or flags at column c < cols-1: wide char at c, then a char at c+1. */
  private emptyWithAttrs(c: number, cell: IBufferCell): void {
    this.moveTo(c);
    this.pen(cell);
    this.out.push(WIDE, `\x1b[${c + 2}G`, 'x'); // 'x' over the right half empties the left one
    this.x = c + 2;
    this.junkAt = c + 1;
  }

  /**
   * A wide character in the last two columns whose right half is a narrow cell: with autowrap off,
   * xterm writes a narrow character over it, or empties it when skipping a wide one that no
   * longer fits. The same is done here.
   */
  private brokenWideAtEdge(line: IBufferLine): void {
    const { cols, probe } = this;
    line.getCell(cols - 1, probe);
    if (probe.getWidth() !== 1) return;
    const chars = probe.getChars();
    this.pen(probe);
    this.out.push('\x1b[?7l', chars || WIDE, '\x1b[?7h');
    this.x = chars ? cols : cols - 1;
  }

  /** Goes from the end of line `prev` to the start of `next`, marking it wrapped if it is. */
  lineBreak(prev: IBufferLine, next: IBufferLine): void {
    const { cols, probe } = this;
    prev.getCell(cols - 1, probe);
    if (probe.getWidth() === 1 && probe.getChars() === '' && !erasedLike(probe)) {
      // Last cell empty with full attributes: a wide character that does not fit leaves it so,
      // and wraps (scrolling like CR LF would). Then clean up the line it wrapped into.
      this.moveTo(cols - 1);
      this.pen(probe);
      this.out.push(WIDE);
      this.resetPen();
      this.out.push(next.isWrapped ? `\r\x1b[${cols}X` : '\x1b[2K\r');
    } else if (next.isWrapped) {
      // Reach the pending-wrap position, overflow with a space, erase it; a space written into
      // an empty last cell above is erased again afterwards.
      this.resetPen();
      let fixLast = '';
      if (this.x < cols) {
        this.moveTo(cols - 1);
        this.out.push(' ');
        fixLast = `\x1b[A\x1b[${cols}G${sgrFor(probe)}\x1b[X${RESET}\x1b[B\r`;
      }
      this.out.push(' \b\x1b[X', fixLast);
    } else {
      this.resetPen();
      this.out.push('\r\n');
    }
    this.x = 0;
    this.junkAt = -1;
  }
}

/** Output that rebuilds every line of `buffer` (width `cols`) in an empty buffer, cursor at home. */
export function writeLines(buffer: IBuffer, cols: number, hooks: readonly LineHook[] = []): string {
  const w = new Writer(buffer, cols);
  for (let y = 0; y < buffer.length; y++) {
    const line = buffer.getLine(y);
    if (!line) continue;
    const prev = y > 0 ? buffer.getLine(y - 1) : undefined;
    if (prev) w.lineBreak(prev, line);
    else if (line.isWrapped) {
      // The line it continued has gone (scrolled off): overflow a scratch line into row 1, then
      // scroll the scratch line away (SU drops it without adding scrollback) and go back up.
      w.out.push(`\x1b[${cols}G  \b\x1b[X\x1b[S\x1b[A`);
    }
    for (const h of hooks) if (h.line === y) w.out.push(h.text);
    w.line(line);
  }
  w.resetPen();
  return w.out.join('');
}
