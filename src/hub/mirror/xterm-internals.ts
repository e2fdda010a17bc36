// The few private parts of @xterm/headless 6 that the snapshot needs, typed narrowly in one place.
//
// xterm.js exposes no API for the cursor's saved state, scroll margins, charsets, tab stops, mouse
// encoding or the current SGR; @xterm/addon-serialize itself reads `_core._inputHandler`. These
// names are checked when a mirror starts (readInternals throws), and the mirror tests fail on an
// upgrade that renames them.

import xtermHeadless from '@xterm/headless';
import type { Terminal } from '@xterm/headless';

const { Terminal: HeadlessTerminal } = xtermHeadless;

/** xterm's AttributeData (fg/bg words with colour mode and flags). */
export interface AttrData {
  fg: number;
  bg: number;
  isInverse(): number;
  isBold(): number;
  isUnderline(): number;
  isBlink(): number;
  isInvisible(): number;
  isItalic(): number;
  isDim(): number;
  isStrikethrough(): number;
  isOverline(): number;
  getFgColorMode(): number;
  getBgColorMode(): number;
  getFgColor(): number;
  getBgColor(): number;
}

/** A character set mapping; `undefined` is US-ASCII. Compared by identity only. */
export type Charset = object | undefined;

export interface InternalBuffer {
  x: number;
  y: number;
  ybase: number;
  scrollTop: number;
  scrollBottom: number;
  savedX: number;
  savedY: number;
  savedCurAttrData: AttrData;
  savedCharset: Charset;
  tabs: Record<number, boolean | undefined>;
}

export interface TerminalInternals {
  normal: InternalBuffer;
  alt: InternalBuffer;
  curAttr: AttrData;
  isCursorHidden: boolean;
  cursorStyle: 'block' | 'underline' | 'bar' | undefined;
  cursorBlink: boolean | undefined;
  mouseEncoding: string;
  glevel: number;
  charset: Charset;
  charsets: Charset[];
}

interface Core {
  _inputHandler: { _curAttrData: AttrData; selectCharset(collectAndFlag: string): boolean };
  _bufferService: { buffers: { normal: InternalBuffer; alt: InternalBuffer } };
  coreService: {
    isCursorHidden: boolean;
    decPrivateModes: { cursorStyle?: 'block' | 'underline' | 'bar'; cursorBlink?: boolean };
  };
  coreMouseService: { activeEncoding: string };
  _charsetService: { glevel: number; charset: Charset; _charsets: Charset[] };
}

function core(term: Terminal): Core {
  // Private field of the public Terminal wrapper; validated below.
  const c = (term as unknown as { _core?: Core })._core;
  if (!c?._inputHandler?._curAttrData || !c._bufferService?.buffers?.alt || !c._charsetService || !c.coreService?.decPrivateModes || !c.coreMouseService) {
    throw new Error('@xterm/headless internals changed: the terminal mirror cannot snapshot');
  }
  return c;
}

/** Reads the state the serialize addon cannot see. */
export function readInternals(term: Terminal): TerminalInternals {
  const c = core(term);
  const { normal, alt } = c._bufferService.buffers;
  const modes = c.coreService.decPrivateModes;
  return {
    normal,
    alt,
    curAttr: c._inputHandler._curAttrData,
    isCursorHidden: c.coreService.isCursorHidden,
    cursorStyle: modes.cursorStyle,
    cursorBlink: modes.cursorBlink,
    mouseEncoding: c.coreMouseService.activeEncoding,
    glevel: c._charsetService.glevel,
    charset: c._charsetService.charset,
    charsets: [0, 1, 2, 3].map((g) => c._charsetService._charsets[g]),
  };
}

let designators: Map<Charset, string> | null = null;

/**
 * The final byte that designates a charset (`ESC ( 0` → DEC line drawing). xterm keeps charsets
 * as shared objects, so one scratch terminal maps each object back to its designator.
 */
export function charsetDesignator(charset: Charset): string {
  if (!designators) {
    const scratch = new HeadlessTerminal({ cols: 2, rows: 1, allowProposedApi: true });
    const c = core(scratch);
    designators = new Map();
    // Reverse order so that aliases (C/5, E/6, H/7) map to the first name xterm lists.
    for (const flag of [...'0AB4C5RQKYE6ZH7='].reverse()) {
      c._inputHandler.selectCharset('(' + flag);
      designators.set(c._charsetService._charsets[0], flag);
    }
    scratch.dispose();
  }
  return designators.get(charset) ?? 'B';
}

/**
 * xterm's synchronous write, which parses at once instead of after a timer tick. For a caller that has no write of
 * its own in flight (the command tracker's small chunks: a keystroke's echo would otherwise cost a timer and a
 * callback per key per session on the relay thread).
 */
export function syncWriter(term: Terminal): (data: string) => void {
  const c = (term as unknown as { _core?: { writeSync?: (data: string) => void } })._core;
  const writeSync = c?.writeSync;
  if (typeof writeSync !== 'function') throw new Error('@xterm/headless internals changed: no synchronous write');
  return (data) => writeSync.call(c, data);
}
