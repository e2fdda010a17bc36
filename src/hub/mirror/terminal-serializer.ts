// Turns a headless terminal into one string that rebuilds it in a fresh xterm.js of the same size.
//
// Cells come from screen-writer.ts; everything else a screen carries is added here, including
// what @xterm/addon-serialize loses (FACTS.md, "Terminal state"). The string is
//   normal buffer lines (its tab stops and saved cursor, DECSC, set on the way) · its margins
//   [· alternate screen without saving the cursor (1047) · its lines (tab stops, saved cursor) ·
//      margins]
//   · charsets G0–G3 and the one in use · origin mode · cursor position (pending wrap included) ·
//     current SGR · DEC/ANSI modes · mouse protocol and encoding · cursor visibility and style ·
//     window title.
// Order matters: margins and origin mode move the cursor, so the cursor comes after them; the
// alternate screen is entered with SGR reset so that xterm's erase colour does not leak into it;
// insert and no-wrap modes come last so that nothing written here is affected by them.

import type { IBuffer, IBufferCell, IBufferLine, Terminal } from '@xterm/headless';
import { charsetDesignator, readInternals, type InternalBuffer, type TerminalInternals } from './xterm-internals.js';
import { writeLines, type LineHook } from './screen-writer.js';
import { sgrFor } from './sgr.js';

const cup = (row: number, col: number): string => `\x1b[${row + 1};${col + 1}H`;

/** Returns a function that serialises `term`, given the last window title it set. */
export function createSerializer(term: Terminal): (title: string) => string {
  return (title) => serializeTerminal(term, title);
}

function serializeTerminal(term: Terminal, title: string): string {
  const st = readInternals(term);
  const altActive = term.buffer.active.type === 'alternate';
  const active = altActive ? st.alt : st.normal;
  // xterm's active charset can differ from the shifted-in one: DECRC (also 1049l) restores the
  // saved charset directly. Only a DECRC rebuilds that, from a saved cursor holding it: the active
  // buffer's (at the end), or the normal buffer's before the alternate screen is entered.
  const divergent = st.charset !== st.charsets[st.glevel];
  const plan: CharsetPlan = !divergent ? 'last' : active.savedCharset === st.charset ? 'restore'
    : altActive && st.normal.savedCharset === st.charset ? 'restore-normal' : 'last';
  let out = writeLines(term.buffer.normal, term.cols, [tabStops(term, st.normal), savedCursor(term, st.normal, true)]) +
    margins(term, st.normal);
  // xterm keeps the alternate buffer's DECSC slot while that buffer is cleared and unused, so it
  // can be set from the normal buffer: needed when the alternate screen is not active, or when a
  // DECRC in the normal buffer must come last (see above).
  const altSlotFirst = altActive ? plan === 'restore-normal' : !isDefaultSlot(st.alt);
  if (altSlotFirst) {
    const row = Math.min(st.alt.savedY, term.rows - 1);
    out += `\x1b[?1047h${cup(row, 0)}${savedCursor(term, st.alt, true).text}\x1b[?1047l`;
  }
  if (altActive) {
    if (plan === 'restore-normal') out += designations(st) + '\x1b8';
    // The normal buffer keeps its cursor underneath (xterm reflows around it on resize); 1047,
    // not 1049: its saved cursor was set while writing its lines.
    out += viaAlternate(term, st.normal.y, st.normal.x, false) + '\x1b[0m';
    const hooks = [tabStops(term, st.alt), ...(altSlotFirst ? [] : [savedCursor(term, st.alt, true)])];
    out += '\x1b[?1047h\x1b[H' + writeLines(term.buffer.alternate, term.cols, hooks) + margins(term, st.alt);
  }
  return out + cursorState(term, st, active, plan) + modeState(term, st, title);
}

type CharsetPlan = 'last' | 'restore' | 'restore-normal';

/** G0–G3 designations and the shift that selects the one in use. */
function designations(st: TerminalInternals): string {
  let s = '';
  st.charsets.forEach((cs, g) => {
    if (cs !== undefined) s += '\x1b' + '()*+'[g] + charsetDesignator(cs);
  });
  return s + ['', '\x0e', '\x1bn', '\x1bo'][st.glevel];
}

/**
 * DECSC state (position, SGR, charset), set while its line is being written: the line is then on
 * screen even if it is scrollback now, and still blank, so a saved column past the last cell
 * (saved in "pending wrap") can be reached by writing there, then erased again.
 */
function savedCursor(term: Terminal, buf: InternalBuffer, withCharset: boolean): LineHook {
  const { cols } = term;
  const pending = buf.savedX >= cols;
  const designate = withCharset && buf.savedCharset !== undefined ? '\x1b(' + charsetDesignator(buf.savedCharset) : '';
  const text = (pending ? `\x1b[${cols}G ` : `\x1b[${buf.savedX + 1}G`) + sgrFor(buf.savedCurAttrData) + designate +
    '\x1b7' + (designate ? '\x1b(B' : '') + '\x1b[0m' + (pending ? `\x1b[${cols}G\x1b[X` : '') + '\r';
  return { line: buf.savedY, text };
}

function isDefaultSlot(buf: InternalBuffer): boolean {
  const a = buf.savedCurAttrData;
  return buf.savedX === 0 && buf.savedY === 0 && a.fg === 0 && a.bg === 0 && buf.savedCharset === undefined;
}

/**
 * Tab stops, set on the first line while it is still blank, when they differ from xterm's
 * every-8 default. xterm also keeps a stop at x === cols (set in "pending wrap"); a widening
 * resize makes it a real one, so it is set the same way.
 */
function tabStops(term: Terminal, buf: InternalBuffer): LineHook {
  const { cols } = term;
  const stops = Object.keys(buf.tabs).map(Number).filter((c) => buf.tabs[c] && c <= cols).sort((a, b) => a - b);
  const width = term.options.tabStopWidth ?? 8;
  if (stops.length === Math.ceil(cols / width) && stops.every((c, i) => c === i * width)) return { line: 0, text: '' };
  const set = stops.map((c) => (c < cols ? `\x1b[${c + 1}G\x1bH` : `\x1b[${cols}G \x1bH\x1b[${cols}G\x1b[X`));
  return { line: 0, text: '\x1b[3g' + set.join('') + '\r' };
}

/** Scroll margins (DECSTBM). */
function margins(term: Terminal, buf: InternalBuffer): string {
  return buf.scrollTop !== 0 || buf.scrollBottom !== term.rows - 1 ? `\x1b[${buf.scrollTop + 1};${buf.scrollBottom + 1}r` : '';
}

/**
 * Charsets, origin mode, cursor position (also the "pending wrap" column past the last cell), SGR.
 * The cursor cell may be rewritten, with US-ASCII in use, so charsets normally come after it.
 */
function cursorState(term: Terminal, st: TerminalInternals, buf: InternalBuffer, plan: CharsetPlan): string {
  const origin = term.modes.originMode;
  let s = plan === 'restore' ? designations(st) + '\x1b8' : '';
  const outside = buf.y < buf.scrollTop || buf.y > buf.scrollBottom;
  if (term.buffer.active.type === 'normal' && (buf.x >= term.cols || (origin && outside))) {
    s += viaAlternate(term, buf.y, buf.x, origin);
  } else {
    s += (origin ? '\x1b[?6h' : '') +
      placeCursor(term, term.buffer.active, buf.y - (origin ? buf.scrollTop : 0), buf.ybase + buf.y, buf.x);
  }
  return s + (plan === 'last' ? designations(st) : '') + sgrFor(st.curAttr);
}

/**
 * Places the normal buffer's cursor from the alternate buffer: leaving it hands the position over
 * as is. That reaches a pending wrap (x === cols, on the alternate buffer's blank line) without
 * touching the normal buffer's cells, and, in origin mode, a row outside the normal buffer's
 * margins (left so when the alternate buffer had other margins). Must run with the normal
 * buffer active; the alternate buffer is cleared again on the way out.
 */
function viaAlternate(term: Terminal, y: number, x: number, origin: boolean): string {
  const pending = x >= term.cols ? `\x1b[${term.cols}G \x1b[1K` : '';
  return `\x1b[?1047h${origin ? '\x1b[?6h' : ''}${cup(y, Math.min(x, term.cols - 1))}${pending}\x1b[?1047l`;
}

/** SGR shared by every cell of a line that holds only erased cells, or null. */
function emptyLineFill(line: IBufferLine, cols: number, cell: IBufferCell): string | null {
  let fill: string | null = null;
  for (let x = 0; x < cols; x++) {
    line.getCell(x, cell);
    if (cell.getChars() !== '' || cell.getWidth() !== 1) return null;
    const attrs = sgrFor(cell);
    if (fill !== null && attrs !== fill) return null;
    fill = attrs;
  }
  return fill;
}

/**
 * Moves the cursor to screen row `row`, column `x` (alternate screen; the normal buffer's cursor
 * goes via the alternate buffer). xterm leaves x === cols after writing the last column ("pending
 * wrap"): only writing that cell again gets there. If that cell is empty, a whole-line erase (the
 * usual way it got emptied with the cursor still past it) is repeated; on a line with other
 * content it becomes a space (known gap).
 */
function placeCursor(term: Terminal, buffer: IBuffer, row: number, absRow: number, x: number): string {
  const line = buffer.getLine(absRow);
  if (x < term.cols || !line) return cup(row, Math.min(x, term.cols - 1));
  let col = term.cols - 1;
  let cell = line.getCell(col);
  if (cell && cell.getWidth() === 0 && col > 0) cell = line.getCell(--col);
  const chars = cell?.getChars() ?? '';
  const blank = !chars && emptyLineFill(line, term.cols, buffer.getNullCell()) !== null;
  return cup(row, col) + (cell ? sgrFor(cell) : '') + (chars || ' ') + (blank ? '\x1b[1K' : '');
}

const MOUSE_PROTOCOL: Record<string, string> = { x10: '9', vt200: '1000', drag: '1002', any: '1003' };
const MOUSE_ENCODING: Record<string, string> = { SGR: '1006', SGR_PIXELS: '1016' };
const CURSOR_STYLE: Record<string, number> = { block: 1, underline: 3, bar: 5 };

function modeState(term: Terminal, st: TerminalInternals, title: string): string {
  const m = term.modes;
  const set: string[] = [];
  if (m.applicationCursorKeysMode) set.push('1');
  if (m.applicationKeypadMode) set.push('66');
  if (m.bracketedPasteMode) set.push('2004');
  if (m.reverseWraparoundMode) set.push('45');
  if (m.sendFocusMode) set.push('1004');
  if (m.synchronizedOutputMode) set.push('2026');
  if (m.mouseTrackingMode !== 'none') set.push(MOUSE_PROTOCOL[m.mouseTrackingMode]);
  if (MOUSE_ENCODING[st.mouseEncoding]) set.push(MOUSE_ENCODING[st.mouseEncoding]);
  if (term.options.cursorBlink) set.push('12');
  let s = set.length ? `\x1b[?${set.join(';')}h` : '';
  if (!m.wraparoundMode) s += '\x1b[?7l';
  if (st.isCursorHidden) s += '\x1b[?25l';
  if (m.insertMode) s += '\x1b[4h';
  if (term.options.convertEol) s += '\x1b[20h';
  if (st.cursorStyle) s += `\x1b[${CURSOR_STYLE[st.cursorStyle] + (st.cursorBlink ? 0 : 1)} q`;
  if (title) s += `\x1b]2;${title}\x07`;
  return s;
}
