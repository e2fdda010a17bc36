// Writes a buffer's lines (scrollback and screen) as output that rebuilds them cell for cell.
//
// Used instead of @xterm/addon-serialize 0.14 for the cells, which in tests here dropped trailing
// erased lines (their background and "wrapped" mark), emitted CUF/CUB 0 (read as 1: stray "-"),
// put the line after a wrapped line that starts empty one row too high, and wrote cells a
// narrowing resize had hidden. Rules kept here:
// - Lines are written top to bottom from the home position of an empty buffer: CR LF between
//   lines (scrolling exactly as often as the source did, so scrollback has the same length),
//   or, for a line marked wrapped, an overflow from the line above.
// - Only the pen (SGR) is relied on, so it is reset before anything that may scroll: xterm fills
//   a new line with the current background.
// - Empty cells carry only a background (xterm erases that way); runs of them are skipped, or
//   erased with ECH when coloured.

import type { IBuffer, IBufferCell } from '@xterm/headless';
import { sgrFor } from './sgr.js';

const RESET = '\x1b[0m';

/** Attribute identity of a cell without building its SGR. */
function attrKey(c: IBufferCell): string {
  const flags = (c.isBold() ? 1 : 0) | (c.isDim() ? 2 : 0) | (c.isItalic() ? 4 : 0) | (c.isUnderline() ? 8 : 0) |
    (c.isBlink() ? 16 : 0) | (c.isInverse() ? 32 : 0) | (c.isInvisible() ? 64 : 0) | (c.isStrikethrough() ? 128 : 0) |
    (c.isOverline() ? 256 : 0);
  return `${c.getFgColorMode() | c.getFgColor()},${c.getBgColorMode() | c.getBgColor()},${flags}`;
}

/** Text written when line `line` starts (cursor at column 0, SGR reset); must leave it that way. */
export interface LineHook {
  line: number;
  text: string;
}

/** Output that rebuilds every line of `buffer` (width `cols`) in an empty buffer, cursor at home. */
export function writeLines(buffer: IBuffer, cols: number, hook?: LineHook): string {
  const out: string[] = [];
  const cell = buffer.getNullCell();
  const probe = buffer.getNullCell();
  let pen = RESET;
  let penKey = attrKey(cell);
  const setPen = (c: IBufferCell): void => {
    const key = attrKey(c);
    if (key === penKey) return;
    penKey = key;
    pen = sgrFor(c);
    out.push(pen);
  };
  const resetPen = (): void => {
    if (pen !== RESET) out.push(RESET);
    pen = RESET;
    penKey = attrKey(buffer.getNullCell());
  };
  let x = 0;
  for (let y = 0; y < buffer.length; y++) {
    const line = buffer.getLine(y);
    if (!line) continue;
    if (y > 0) {
      resetPen();
      const prev = buffer.getLine(y - 1);
      if (line.isWrapped && prev) {
        // Reach the pending-wrap position, overflow with a space, erase it; a space written into
        // an empty last cell above is erased again afterwards.
        let fixLast = '';
        if (x < cols) {
          prev.getCell(cols - 1, probe);
          out.push(x === cols - 1 ? '' : `\x1b[${cols - 1 - x}C`, ' ');
          fixLast = `\x1b[A\x1b[${cols}G${sgrFor(probe)}\x1b[X${RESET}\x1b[B\r`;
        }
        out.push(' \b\x1b[X', fixLast);
      } else {
        out.push('\r\n');
      }
      x = 0;
    }
    if (hook?.line === y) out.push(hook.text);
    for (let c = 0; c < cols;) {
      line.getCell(c, cell);
      const width = cell.getWidth();
      if (width === 0) { c++; continue; } // right half of a wide character
      const chars = cell.getChars();
      if (chars) {
        if (c > x) out.push(`\x1b[${c - x}C`);
        setPen(cell);
        out.push(chars);
        x = c + width;
        c += width;
        continue;
      }
      const key = attrKey(cell);
      let end = c + 1;
      while (end < cols && line.getCell(end, probe) && probe.getChars() === '' && probe.getWidth() === 1 && attrKey(probe) === key) end++;
      if (!cell.isBgDefault()) {
        if (c > x) out.push(`\x1b[${c - x}C`);
        x = c;
        setPen(cell);
        out.push(`\x1b[${end - c}X`);
      }
      c = end;
    }
  }
  resetPen();
  return out.join('');
}
