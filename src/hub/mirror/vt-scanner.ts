// Byte-level model of xterm.js's escape-sequence parser: tells where the output stream is in GROUND state.
//
// The transition table is a port of xterm.js's VT500_TRANSITION_TABLE (MIT, common/parser/
// EscapeSequenceParser.ts, itself after https://vt100.net/emu/dec_ansi_parser), fed with code
// points decoded the way TextDecoder does (WHATWG UTF-8: invalid bytes become U+FFFD). The mirror
// and the viewers feed xterm strings from TextDecoder, so "ground" here is exactly "xterm's parser
// in GROUND and no half-decoded character", the only positions where a snapshot may be cut.

const GROUND = 0, ESCAPE = 1, ESC_INTER = 2, CSI_ENTRY = 3, CSI_PARAM = 4, CSI_INTER = 5, CSI_IGNORE = 6;
const SOS_PM_APC = 7, OSC_STRING = 8, DCS_ENTRY = 9, DCS_PARAM = 10, DCS_IGNORE = 11, DCS_INTER = 12;
const DCS_PASS = 13;
// Actions that matter here; the others only change state.
const A_IGNORE = 0, A_ERROR = 1, A_PRINT = 2, A_EXECUTE = 3, A_OSC_START = 4, A_OSC_PUT = 5, A_OSC_END = 6;
const A_CSI_DISPATCH = 7, A_PARAM = 8, A_COLLECT = 9, A_ESC_DISPATCH = 10, A_CLEAR = 11;
const A_DCS_HOOK = 12, A_DCS_PUT = 13, A_DCS_UNHOOK = 14;
/** Class of every code point >= 0xA0 (xterm's NON_ASCII_PRINTABLE). */
const NON_ASCII = 0xa0;

const TABLE: Uint8Array = (() => {
  const t = new Uint8Array(14 * 256).fill((A_ERROR << 4) | GROUND);
  const r = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);
  const add = (codes: number[], s: number, a: number, n: number): void => {
    for (const c of codes) t[(s << 8) | c] = (a << 4) | n;
  };
  const PRINTABLES = r(0x20, 0x7f);
  const EXECUTABLES = [...r(0x00, 0x18), 0x19, ...r(0x1c, 0x20)];
  add(PRINTABLES, GROUND, A_PRINT, GROUND);
  for (let s = GROUND; s <= DCS_PASS; s++) {
    add([0x18, 0x1a, 0x99, 0x9a], s, A_EXECUTE, GROUND);
    add(r(0x80, 0x90), s, A_EXECUTE, GROUND);
    add(r(0x90, 0x98), s, A_EXECUTE, GROUND);
    add([0x9c], s, A_IGNORE, GROUND);
    add([0x1b], s, A_CLEAR, ESCAPE);
    add([0x9d], s, A_OSC_START, OSC_STRING);
    add([0x98, 0x9e, 0x9f], s, A_IGNORE, SOS_PM_APC);
    add([0x9b], s, A_CLEAR, CSI_ENTRY);
    add([0x90], s, A_CLEAR, DCS_ENTRY);
  }
  add(EXECUTABLES, GROUND, A_EXECUTE, GROUND);
  add(EXECUTABLES, ESCAPE, A_EXECUTE, ESCAPE);
  add([0x7f], ESCAPE, A_IGNORE, ESCAPE);
  add(EXECUTABLES, OSC_STRING, A_IGNORE, OSC_STRING);
  for (const s of [CSI_ENTRY, CSI_PARAM, CSI_IGNORE, CSI_INTER, ESC_INTER]) add(EXECUTABLES, s, A_EXECUTE, s);
  for (const s of [CSI_ENTRY, CSI_PARAM, CSI_INTER, ESC_INTER]) add([0x7f], s, A_IGNORE, s);
  add([0x5d], ESCAPE, A_OSC_START, OSC_STRING);
  add([...PRINTABLES, 0x7f], OSC_STRING, A_OSC_PUT, OSC_STRING);
  add([0x9c, 0x1b, 0x18, 0x1a, 0x07], OSC_STRING, A_OSC_END, GROUND);
  add(r(0x1c, 0x20), OSC_STRING, A_IGNORE, OSC_STRING);
  add([0x58, 0x5e, 0x5f], ESCAPE, A_IGNORE, SOS_PM_APC);
  add([...PRINTABLES, ...EXECUTABLES, 0x7f], SOS_PM_APC, A_IGNORE, SOS_PM_APC);
  add([0x9c], SOS_PM_APC, A_IGNORE, GROUND);
  add([0x5b], ESCAPE, A_CLEAR, CSI_ENTRY);
  add(r(0x40, 0x7f), CSI_ENTRY, A_CSI_DISPATCH, GROUND);
  add(r(0x30, 0x3c), CSI_ENTRY, A_PARAM, CSI_PARAM);
  add([0x3c, 0x3d, 0x3e, 0x3f], CSI_ENTRY, A_COLLECT, CSI_PARAM);
  add(r(0x30, 0x3c), CSI_PARAM, A_PARAM, CSI_PARAM);
  add(r(0x40, 0x7f), CSI_PARAM, A_CSI_DISPATCH, GROUND);
  add([0x3c, 0x3d, 0x3e, 0x3f], CSI_PARAM, A_IGNORE, CSI_IGNORE);
  add([...r(0x20, 0x40), 0x7f], CSI_IGNORE, A_IGNORE, CSI_IGNORE);
  add(r(0x40, 0x7f), CSI_IGNORE, A_IGNORE, GROUND);
  add(r(0x20, 0x30), CSI_ENTRY, A_COLLECT, CSI_INTER);
  add(r(0x20, 0x30), CSI_INTER, A_COLLECT, CSI_INTER);
  add(r(0x30, 0x40), CSI_INTER, A_IGNORE, CSI_IGNORE);
  add(r(0x40, 0x7f), CSI_INTER, A_CSI_DISPATCH, GROUND);
  add(r(0x20, 0x30), CSI_PARAM, A_COLLECT, CSI_INTER);
  add(r(0x20, 0x30), ESCAPE, A_COLLECT, ESC_INTER);
  add(r(0x20, 0x30), ESC_INTER, A_COLLECT, ESC_INTER);
  add(r(0x30, 0x7f), ESC_INTER, A_ESC_DISPATCH, GROUND);
  add([...r(0x30, 0x50), ...r(0x51, 0x58), 0x59, 0x5a, 0x5c, ...r(0x60, 0x7f)], ESCAPE, A_ESC_DISPATCH, GROUND);
  add([0x50], ESCAPE, A_CLEAR, DCS_ENTRY);
  add([...EXECUTABLES, 0x7f, ...r(0x1c, 0x20)], DCS_ENTRY, A_IGNORE, DCS_ENTRY);
  add(r(0x20, 0x30), DCS_ENTRY, A_COLLECT, DCS_INTER);
  add(r(0x30, 0x3c), DCS_ENTRY, A_PARAM, DCS_PARAM);
  add([0x3c, 0x3d, 0x3e, 0x3f], DCS_ENTRY, A_COLLECT, DCS_PARAM);
  add([...EXECUTABLES, ...r(0x20, 0x80), ...r(0x1c, 0x20)], DCS_IGNORE, A_IGNORE, DCS_IGNORE);
  add([...EXECUTABLES, 0x7f, ...r(0x1c, 0x20)], DCS_PARAM, A_IGNORE, DCS_PARAM);
  add(r(0x30, 0x3c), DCS_PARAM, A_PARAM, DCS_PARAM);
  add([0x3c, 0x3d, 0x3e, 0x3f], DCS_PARAM, A_IGNORE, DCS_IGNORE);
  add(r(0x20, 0x30), DCS_PARAM, A_COLLECT, DCS_INTER);
  add([...EXECUTABLES, 0x7f, ...r(0x1c, 0x20)], DCS_INTER, A_IGNORE, DCS_INTER);
  add(r(0x20, 0x30), DCS_INTER, A_COLLECT, DCS_INTER);
  add(r(0x30, 0x40), DCS_INTER, A_IGNORE, DCS_IGNORE);
  for (const s of [DCS_INTER, DCS_PARAM, DCS_ENTRY]) add(r(0x40, 0x7f), s, A_DCS_HOOK, DCS_PASS);
  add([...EXECUTABLES, ...PRINTABLES], DCS_PASS, A_DCS_PUT, DCS_PASS);
  add([0x7f], DCS_PASS, A_IGNORE, DCS_PASS);
  add([0x1b, 0x9c, 0x18, 0x1a], DCS_PASS, A_DCS_UNHOOK, GROUND);
  add([NON_ASCII], GROUND, A_PRINT, GROUND);
  add([NON_ASCII], OSC_STRING, A_OSC_PUT, OSC_STRING);
  add([NON_ASCII], CSI_IGNORE, A_IGNORE, CSI_IGNORE);
  add([NON_ASCII], DCS_IGNORE, A_IGNORE, DCS_IGNORE);
  add([NON_ASCII], DCS_PASS, A_DCS_PUT, DCS_PASS);
  return t;
})();

/** Position of `byte` in buf[from, to), or `to` when absent (native search). */
function indexIn(buf: Uint8Array, byte: number, from: number, to: number): number {
  const i = buf.indexOf(byte, from);
  return i < 0 || i > to ? to : i;
}

/** Tracks parser state across chunks; `scan` reports where the stream was at ground. */
export class VtScanner {
  private state = GROUND;
  /** UTF-8 continuation bytes still expected, and the bounds of the next one (WHATWG decoder). */
  private need = 0;
  private lo = 0x80;
  private hi = 0xbf;
  private cp = 0;

  get atGround(): boolean {
    return this.state === GROUND && this.need === 0;
  }

  /** Parser state, numbered as xterm's ParserState (0 is GROUND). */
  get parserState(): number {
    return this.state;
  }

  /** Consumes buf[from, to); returns the last ground position in (from, to], or -1 if none. */
  scan(buf: Uint8Array, from: number, to: number): number {
    let lastGround = -1;
    let i = from;
    let nextEsc = -1, nextC2 = -1;
    while (i < to) {
      const b = buf[i];
      // Fast path: in ground only ESC and C1 controls (UTF-8 C2 80..9F) change anything, so jump
      // (native search) to the character starting 3 bytes before the next of those; the byte loop
      // does the rest and reports where characters, and ground, end.
      if (this.state === GROUND && this.need === 0) {
        if (nextEsc < i) nextEsc = indexIn(buf, 0x1b, i, to);
        if (nextC2 < i) nextC2 = indexIn(buf, 0xc2, i, to);
        const stop = Math.min(nextEsc, nextC2);
        let j = stop - 3;
        while (j > i && (buf[j] & 0xc0) === 0x80) j--; // land on a character's first byte
        if (j > i) {
          i = j;
          continue;
        }
      }
      let cls: number;
      if (this.need === 0) {
        if (b < 0x80) cls = b;
        else if (b >= 0xc2 && b <= 0xdf) { this.need = 1; this.cp = b & 0x1f; i++; continue; }
        else if (b >= 0xe0 && b <= 0xef) {
          this.lo = b === 0xe0 ? 0xa0 : 0x80; this.hi = b === 0xed ? 0x9f : 0xbf;
          this.need = 2; this.cp = b & 0x0f; i++; continue;
        } else if (b >= 0xf0 && b <= 0xf4) {
          this.lo = b === 0xf0 ? 0x90 : 0x80; this.hi = b === 0xf4 ? 0x8f : 0xbf;
          this.need = 3; this.cp = b & 0x07; i++; continue;
        } else cls = NON_ASCII; // invalid byte: U+FFFD
        i++;
      } else if (b < this.lo || b > this.hi) {
        // Broken sequence: U+FFFD for what came so far; this byte is read again (i unchanged).
        // Not a ground position: a decoder that stopped before this byte still holds the bytes.
        this.need = 0; this.lo = 0x80; this.hi = 0xbf;
        this.step(NON_ASCII);
        continue;
      } else {
        this.lo = 0x80; this.hi = 0xbf;
        this.cp = (this.cp << 6) | (b & 0x3f);
        i++;
        if (--this.need > 0) continue;
        cls = this.cp < 0xa0 ? this.cp : NON_ASCII;
      }
      this.step(cls);
      if (this.state === GROUND && this.need === 0) lastGround = i;
    }
    return lastGround;
  }

  private step(cls: number): void {
    const t = TABLE[(this.state << 8) | cls];
    const action = t >> 4;
    // xterm: a string ended by ESC goes on to ESCAPE (ESC \ is the usual terminator).
    this.state = (action === A_OSC_END || action === A_DCS_UNHOOK) && cls === 0x1b ? ESCAPE : t & 15;
  }
}

