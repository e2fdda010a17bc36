// Turns a headless terminal into one string that rebuilds it in a fresh xterm.js of the same size.
//
// @xterm/addon-serialize writes the cells (scrollback, normal and alternate screens) and the mode
// bits xterm exposes; it loses the rest (FACTS.md, "Terminal state"). The string made here is
//   normal screen (addon) · reset SGR · normal buffer's tab stops, margins, saved cursor (DECSC)
//   [· switch to the alternate screen without saving · alternate screen (addon) · its tab stops,
//      margins, saved cursor]
//   · origin mode · cursor position (pending wrap included) · current SGR · charsets G0–G3 and
//     the one in use · DEC/ANSI modes · mouse protocol and encoding · cursor visibility and style ·
//     window title.
// Order matters: margins and origin mode move the cursor, so the cursor comes after them; the
// alternate screen is entered with SGR reset so that xterm's erase colour does not leak into it;
// insert and no-wrap modes come last so that nothing written here is affected by them.

import type { IBuffer, IBufferCell, Terminal } from '@xterm/headless';
import type { SerializeAddon } from '@xterm/addon-serialize';
import { charsetDesignator, readInternals, type InternalBuffer, type TerminalInternals } from './xterm-internals.js';

/** What the addon writes between the two screens (SerializeAddon.serialize, addon 0.14). */
const ALT_SCREEN_MARK = '\x1b[?1049h\x1b[H';
const CM_MASK = 0x3000000, CM_P16 = 0x1000000, CM_P256 = 0x2000000, CM_RGB = 0x3000000;

/** Cell or attribute data: the methods both xterm's IBufferCell and its AttributeData have. */
type Attrs = Pick<IBufferCell, 'isBold' | 'isDim' | 'isItalic' | 'isUnderline' | 'isBlink' | 'isInverse' |
  'isInvisible' | 'isStrikethrough' | 'isOverline' | 'getFgColorMode' | 'getBgColorMode' | 'getFgColor' | 'getBgColor'>;

/** SGR that sets exactly these attributes, starting from a reset. */
export function sgrFor(a: Attrs): string {
  const p: number[] = [0];
  if (a.isBold()) p.push(1);
  if (a.isDim()) p.push(2);
  if (a.isItalic()) p.push(3);
  if (a.isUnderline()) p.push(4);
  if (a.isBlink()) p.push(5);
  if (a.isInverse()) p.push(7);
  if (a.isInvisible()) p.push(8);
  if (a.isStrikethrough()) p.push(9);
  if (a.isOverline()) p.push(53);
  pushColor(p, a.getFgColorMode() & CM_MASK, a.getFgColor(), 30);
  pushColor(p, a.getBgColorMode() & CM_MASK, a.getBgColor(), 40);
  return `\x1b[${p.join(';')}m`;
}

function pushColor(p: number[], mode: number, color: number, base: 30 | 40): void {
  if (mode === CM_P16) p.push(color < 8 ? base + color : base + 60 + (color - 8));
  else if (mode === CM_P256) p.push(base + 8, 5, color);
  else if (mode === CM_RGB) p.push(base + 8, 2, (color >>> 16) & 0xff, (color >>> 8) & 0xff, color & 0xff);
}

const cup = (row: number, col: number): string => `\x1b[${row + 1};${col + 1}H`;

/** Serialises `term` (which has `addon` loaded); `title` is the last window title it was given. */
export function serializeTerminal(term: Terminal, addon: SerializeAddon, title: string): string {
  const st = readInternals(term);
  const altActive = term.buffer.active.type === 'alternate';
  const screens = addon.serialize({ excludeModes: true });
  const cut = altActive ? screens.lastIndexOf(ALT_SCREEN_MARK) : -1;
  if (altActive && cut < 0) throw new Error('@xterm/addon-serialize output changed: no alternate screen mark');
  let out = (altActive ? screens.slice(0, cut) : screens) + blankRows(term, term.buffer.normal) + '\x1b[0m' +
    bufferState(term, st.normal);
  if (altActive) {
    // 1047, not 1049: the normal buffer's saved cursor was set just above.
    out += '\x1b[?1047h\x1b[H' + screens.slice(cut + ALT_SCREEN_MARK.length) + blankRows(term, term.buffer.alternate) +
      '\x1b[0m' + bufferState(term, st.alt);
  }
  return out + cursorState(term, st, altActive ? st.alt : st.normal) + modeState(term, st, title);
}

/** Per-buffer state: tab stops, scroll margins, saved cursor. Leaves SGR reset. */
function bufferState(term: Terminal, buf: InternalBuffer): string {
  const { cols, rows } = term;
  let s = '';
  const stops = Object.keys(buf.tabs).map(Number).filter((c) => buf.tabs[c] && c < cols).sort((a, b) => a - b);
  const width = term.options.tabStopWidth ?? 8;
  if (stops.length !== Math.ceil(cols / width) || stops.some((c, i) => c !== i * width)) {
    s += '\x1b[3g' + stops.map((c) => cup(0, c) + '\x1bH').join('');
  }
  if (buf.scrollTop !== 0 || buf.scrollBottom !== rows - 1) s += `\x1b[${buf.scrollTop + 1};${buf.scrollBottom + 1}r`;
  // DECSC stores an absolute line; a line already in scrollback restores to row 0 either way.
  const y = Math.min(Math.max(buf.savedY - buf.ybase, 0), rows - 1);
  const designate = buf.savedCharset !== undefined ? '\x1b(' + charsetDesignator(buf.savedCharset) : '';
  s += cup(y, Math.min(buf.savedX, cols - 1)) + sgrFor(buf.savedCurAttrData) + designate + '\x1b7';
  return s + (designate ? '\x1b(B' : '') + '\x1b[0m';
}

/**
 * Charsets, origin mode, cursor position (also the "pending wrap" column past the last cell), SGR.
 * The cursor cell is rewritten while US-ASCII is in use, so charsets normally come after it. xterm
 * can also have an active charset that is not the shifted-in one (DECRC restores the saved charset
 * directly); that is rebuilt with DECRC too, before the cursor is placed.
 */
function cursorState(term: Terminal, st: TerminalInternals, buf: InternalBuffer): string {
  let charsets = '';
  st.charsets.forEach((cs, g) => {
    if (cs !== undefined) charsets += '\x1b' + '()*+'[g] + charsetDesignator(cs);
  });
  charsets += ['', '\x0e', '\x1bn', '\x1bo'][st.glevel];
  const viaRestore = st.charset !== st.charsets[st.glevel] && buf.savedCharset === st.charset;
  const origin = term.modes.originMode;
  let s = (viaRestore ? charsets + '\x1b8' : '') + (origin ? '\x1b[?6h' : '');
  const row = buf.y - (origin ? buf.scrollTop : 0);
  if (buf.x >= term.cols) {
    // xterm keeps x === cols after writing the last column; only writing that cell again gets there.
    const line = term.buffer.active.getLine(buf.ybase + buf.y);
    let col = term.cols - 1;
    let cell = line?.getCell(col);
    if (cell && cell.getWidth() === 0 && col > 0) cell = line?.getCell(--col);
    s += cup(row, col) + (cell ? sgrFor(cell) + (cell.getChars() || ' ') : ' ');
  } else {
    s += cup(row, buf.x);
  }
  return s + (viaRestore ? '' : charsets) + sgrFor(st.curAttr);
}

/**
 * The addon drops trailing rows that hold only erased cells when the buffer has no scrollback,
 * losing their background colour (a screen cleared in blue, as dialog does). Such rows are
 * repainted here; repainting one the addon kept changes nothing.
 */
function blankRows(term: Terminal, buffer: IBuffer): string {
  let s = '';
  const cell = buffer.getNullCell();
  for (let r = 0; r < term.rows; r++) {
    const line = buffer.getLine(buffer.baseY + r);
    if (!line || line.isWrapped) continue;
    line.getCell(0, cell);
    if (cell.getChars() !== '' || cell.isBgDefault()) continue;
    const fill = sgrFor(cell);
    let uniform = true;
    for (let x = 1; x < term.cols && uniform; x++) {
      line.getCell(x, cell);
      uniform = cell.getChars() === '' && cell.getWidth() === 1 && sgrFor(cell) === fill;
    }
    if (uniform) s += cup(r, 0) + fill + `\x1b[${term.cols}X`;
  }
  return s;
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
