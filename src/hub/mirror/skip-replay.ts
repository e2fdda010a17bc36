// What survives when the mirror skips output it cannot parse in time: the state-setting sequences.
//
// Skipped bytes are still scanned (cheaply, VtScanner with a sink); every complete control
// function comes here. Screen *contents* are lost, but whatever changes how later output is
// interpreted or shown is kept, last value wins, and replayed before the tail:
//   RIS (forgets everything before it) · alternate screen on/off (47/1047/1049, applied first so
//   that what follows lands in the right buffer) · every other DEC private and ANSI mode · scroll
//   margins · SGR since the last reset · charset designations and shifts · keypad mode · cursor
//   style · window title.
// Cursor movement, erasing and saved-cursor operations are dropped: they only make sense with
// the contents. The viewer is told the mirror resynced; the next full redraw repairs the screen.

const ALT_SCREEN = new Set(['47', '1047', '1049']);
const MAX_SGR = 32;

export class SkipReplay {
  private reset = false;
  private altScreen: string | null = null;
  private readonly modes = new Map<string, string>();
  private margins: string | null = null;
  private sgr: string[] = [];
  private readonly charsets = new Map<string, string>();
  private shift: string | null = null;
  private keypad: string | null = null;
  private cursorStyle: string | null = null;
  private title: string | null = null;

  /** Sink for VtScanner: one complete sequence, raw bytes (a C1 introducer is one byte). */
  readonly add = (seq: Uint8Array): void => {
    const first = seq[0];
    if (first === 0x0e || first === 0x0f) { this.shift = String.fromCharCode(first); return; }
    const s = Buffer.from(seq).toString('latin1');
    let body: string;
    if (first === 0x9b) body = '[' + s.slice(1);
    else if (first === 0x9d) body = ']' + s.slice(1);
    else if (first === 0x1b) body = s.slice(1);
    else return;
    if (body[0] === '[') this.csi(body.slice(1));
    else if (body[0] === ']') this.osc(seq.subarray(first === 0x1b ? 2 : 1));
    else this.esc(body);
  };

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
    } else if (final === 'm' && /^[\d;:]*m$/.test(b)) {
      if (b === 'm' || /^0*(;|m)/.test(b)) this.sgr = [];
      this.sgr.push(`\x1b[${b}`);
      if (this.sgr.length > MAX_SGR) this.sgr.shift();
    }
  }

  private osc(payload: Uint8Array): void {
    // Strip the terminator: BEL, ESC (of ESC \), ST as C1 (0x9c, UTF-8 C2 9C), CAN/SUB abort.
    let end = payload.length;
    const last = payload[end - 1];
    if (last === 0x18 || last === 0x1a) return;
    if (last === 0x07 || last === 0x1b || last === 0x9c) end--;
    if (last === 0x9c && payload[end - 1] === 0xc2) end--;
    const text = Buffer.from(payload.subarray(0, end)).toString('utf8');
    const m = /^([02]);(.*)$/s.exec(text);
    if (m) this.title = m[2];
  }

  private esc(b: string): void {
    if (b === 'c') {
      this.clear();
      this.reset = true;
    } else if (b.length === 2 && '()*+-./'.includes(b[0])) {
      this.setOnce(this.charsets, b[0], `\x1b${b}`);
    } else if (b === 'n' || b === 'o' || b === '|' || b === '}' || b === '~') {
      this.shift = `\x1b${b}`;
    } else if (b === '=' || b === '>') {
      this.keypad = `\x1b${b}`;
    }
  }

  /** Keeps insertion order of the latest change, so replay order follows the stream. */
  private setOnce(map: Map<string, string>, key: string, value: string): void {
    map.delete(key);
    map.set(key, value);
  }

  private clear(): void {
    this.altScreen = this.margins = this.shift = this.keypad = this.cursorStyle = this.title = null;
    this.modes.clear();
    this.charsets.clear();
    this.sgr = [];
  }

  /** The sequences to write before the kept tail; '' when nothing was captured. */
  replay(): string {
    let s = this.reset ? '\x1bc' : '';
    if (this.altScreen) s += this.altScreen;
    for (const [mode, hl] of this.modes) s += `\x1b[${mode}${hl}`;
    if (this.margins) s += this.margins;
    s += this.sgr.join('');
    for (const seq of this.charsets.values()) s += seq;
    for (const v of [this.shift, this.keypad, this.cursorStyle]) if (v) s += v;
    if (this.title !== null) s += `\x1b]2;${this.title}\x07`;
    return s;
  }
}
