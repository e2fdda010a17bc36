// What survives when the mirror skips output it cannot parse in time: the state-setting sequences.
//
// Skipping happens under bulk output, so finding them must cost far less than parsing: native
// searches jump from ESC to ESC, and each sequence is looked at only as far as its final byte;
// far behind, only DEC private modes are looked for (scanModes, a native substring search).
// Screen contents are lost, but what changes how later output is interpreted or shown is kept,
// last value wins, and replayed before the tail:
//   RIS (forgets everything before it) · alternate screen on/off (47/1047/1049, applied first so
//   that what follows lands in the right buffer) · every other DEC private and ANSI mode · scroll
//   margins · the last SGR · charset designations and shifts (SO/SI, LS2/LS3) · keypad mode ·
//   cursor style · window title.
// Dropped: cursor movement, erasing, saved cursor (meaningless without the contents), C1-coded
// controls, and sequences split across two chunks. The snapshot says the mirror resynced; the
// program's next full redraw repairs the screen.

const ALT_SCREEN = new Set(['47', '1047', '1049']);
const MAX_SEQUENCE = 64;
const MAX_STRING = 4096;

export class SkipReplay {
  private reset = false;
  private resetAt = -1;
  private altScreen: string | null = null;
  private readonly modes = new Map<string, string>();
  private margins: string | null = null;
  private lastSgr: { buf: Buffer; from: number; to: number } | null = null;
  private readonly charsets = new Map<string, string>();
  /** Last shift and where it was (stream position), to order SO/SI against ESC n/o. */
  private shift: { at: number; seq: string } | null = null;
  private keypad: string | null = null;
  private cursorStyle: string | null = null;
  private title: string | null = null;

  /** Captures from buf[from, to); `base` is the stream position of buf[0]. */
  scan(buf: Buffer, from: number, to: number, base: number): void {
    for (let i = from; ;) {
      const esc = buf.indexOf(0x1b, i);
      if (esc < 0 || esc + 1 >= to) break;
      i = this.sequence(buf, esc, to, base);
    }
    for (const [byte, seq] of [[0x0e, '\x0e'], [0x0f, '\x0f']] as const) {
      const at = buf.lastIndexOf(byte, to - 1);
      if (at >= from) this.setShift(base + at, seq);
    }
  }

  /** Cheaper: DEC private modes only (alternate screen, cursor, keys, mouse, paste). */
  scanModes(buf: Buffer, from: number, to: number, base: number): void {
    for (let i = from; ;) {
      const at = buf.indexOf('\x1b[?', i, 'latin1');
      if (at < 0 || at + 2 >= to) break;
      i = this.sequence(buf, at, to, base);
    }
  }

  /** Looks at the sequence starting with ESC at `esc`; returns where to search on. */
  private sequence(buf: Buffer, esc: number, to: number, base: number): number {
    const kind = buf[esc + 1];
    if (kind === 0x5b) { // CSI: parameters 0x30–0x3f, intermediates 0x20–0x2f, final 0x40–0x7e
      let j = esc + 2;
      const limit = Math.min(to, esc + MAX_SEQUENCE);
      while (j < limit && buf[j] >= 0x20 && buf[j] <= 0x3f) j++;
      if (j >= limit || buf[j] < 0x40 || buf[j] > 0x7e) return j;
      const final = buf[j];
      if (final === 0x6d) this.lastSgr = { buf, from: esc, to: j + 1 }; // frequent: decoded only at replay
      else if (final === 0x68 || final === 0x6c || final === 0x72 || final === 0x71) this.csi(buf.toString('latin1', esc + 2, j + 1));
      return j + 1;
    }
    if (kind === 0x5d || kind === 0x50) { // OSC or DCS: up to BEL or ESC (of ESC \)
      const limit = Math.min(to, esc + MAX_STRING);
      let end = esc + 2;
      while (end < limit && buf[end] !== 0x07 && buf[end] !== 0x1b) end++;
      if (kind === 0x5d && end < limit) this.osc(buf.toString('utf8', esc + 2, end));
      return end;
    }
    const s = String.fromCharCode(kind);
    if (s === 'c') {
      this.clear();
      this.reset = true;
      this.resetAt = base + esc;
    } else if ('()*+-./'.includes(s) && esc + 2 < to) {
      this.setOnce(this.charsets, s, `\x1b${s}${String.fromCharCode(buf[esc + 2])}`);
    } else if ('no|}~'.includes(s)) {
      this.setShift(base + esc, `\x1b${s}`);
    } else if (s === '=' || s === '>') {
      this.keypad = `\x1b${s}`;
    }
    return esc + 2;
  }

  private csi(b: string): void {
    const final = b[b.length - 1];
    if (final === 'h' || final === 'l') {
      const priv = b[0] === '?';
      for (const p of (priv ? b.slice(1) : b).slice(0, -1).split(';')) {
        if (!/^\d+$/.test(p)) continue;
        if (priv && ALT_SCREEN.has(p)) this.altScreen = `\x1b[?${p}${final}`;
        else this.setOnce(this.modes, (priv ? '?' : '') + p, final);
      }
    } else if (final === 'r' && /^[\d;]*r$/.test(b)) {
      this.margins = `\x1b[${b}`;
    } else if (final === 'q' && / q$/.test(b)) {
      this.cursorStyle = `\x1b[${b}`;
    }
  }

  private osc(payload: string): void {
    const m = /^([02]);(.*)$/s.exec(payload);
    if (m) this.title = m[2];
  }

  private setShift(at: number, seq: string): void {
    if (at > this.resetAt && (!this.shift || at >= this.shift.at)) this.shift = { at, seq };
  }

  /** Keeps insertion order of the latest change, so replay order follows the stream. */
  private setOnce(map: Map<string, string>, key: string, value: string): void {
    map.delete(key);
    map.set(key, value);
  }

  private clear(): void {
    this.altScreen = this.margins = this.keypad = this.cursorStyle = this.title = null;
    this.shift = this.lastSgr = null;
    this.modes.clear();
    this.charsets.clear();
  }

  /** The sequences to write before the kept tail; '' when nothing was captured. */
  replay(): string {
    let s = this.reset ? '\x1bc' : '';
    if (this.altScreen) s += this.altScreen;
    for (const [mode, hl] of this.modes) s += `\x1b[${mode}${hl}`;
    if (this.margins) s += this.margins;
    if (this.lastSgr) s += '\x1b[0m' + this.lastSgr.buf.toString('latin1', this.lastSgr.from, this.lastSgr.to);
    for (const seq of this.charsets.values()) s += seq;
    for (const v of [this.shift?.seq, this.keypad, this.cursorStyle]) if (v) s += v;
    if (this.title !== null) s += `\x1b]2;${this.title}\x07`;
    return s;
  }
}
