// Terminal output to plain text lines, cheaply (no terminal emulator): escape sequences dropped, carriage return and
// backspace overwrite, tabs expanded, the alternate screen (full-screen programs) skipped. For search: an emulator
// is exact but parses ~25 MB/s; this keeps up with bulk output and is what the index and the recording search share.

/** A line longer than this is emitted in pieces. */
export const MAX_TEXT_LINE = 1000;

const enum S {
  Ground,
  Esc,
  Csi,
  /** OSC, DCS, SOS, PM, APC: skipped up to BEL or ST. */
  Str,
  StrEsc,
}

export class TextLines {
  private state = S.Ground;
  private csi = '';
  private line = '';
  private col = 0;
  private alt = false;
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });

  /** @param onLine receives each finished line, right-trimmed, never empty. */
  constructor(private readonly onLine: (text: string) => void) {}

  /** True while a full-screen program has the terminal. */
  get altScreen(): boolean {
    return this.alt;
  }

  write(data: Uint8Array | string): void {
    const s = typeof data === 'string' ? data : this.decoder.decode(data, { stream: true });
    let i = 0;
    const n = s.length;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (this.state === S.Ground) {
        if (c >= 0x20 && c !== 0x7f) {
          // Runs of printable text are the common case: take them whole.
          let j = i + 1;
          while (j < n) {
            const d = s.charCodeAt(j);
            if (d < 0x20 || d === 0x7f || (d >= 0x80 && d < 0xa0)) break;
            j++;
          }
          this.put(s.slice(i, j));
          i = j;
          continue;
        }
        this.control(c);
      } else if (this.state === S.Esc) {
        if (c === 0x5b) {
          this.state = S.Csi;
          this.csi = '';
        } else if (c === 0x5d || c === 0x50 || c === 0x58 || c === 0x5e || c === 0x5f) this.state = S.Str;
        else if (c >= 0x20 && c <= 0x2f) {
          // ESC ( B and similar: one more byte follows.
        } else this.state = S.Ground;
      } else if (this.state === S.Csi) {
        if (c >= 0x40 && c <= 0x7e) {
          this.state = S.Ground;
          this.csiDispatch(this.csi, String.fromCharCode(c));
        } else if (c === 0x1b) this.state = S.Esc;
        else if (this.csi.length < 64) this.csi += s[i];
      } else if (this.state === S.Str) {
        if (c === 0x07 || c === 0x9c) this.state = S.Ground;
        else if (c === 0x1b) this.state = S.StrEsc;
      } else {
        this.state = c === 0x5c ? S.Ground : S.Str;
      }
      i++;
    }
  }

  /** Emits the unfinished last line. */
  flush(): void {
    this.emit();
  }

  private control(c: number): void {
    switch (c) {
      case 0x0a:
      case 0x0b:
      case 0x0c:
        this.emit();
        return;
      case 0x0d:
        this.col = 0;
        return;
      case 0x08:
        if (this.col > 0) this.col--;
        return;
      case 0x09:
        this.put(' '.repeat(8 - (this.col % 8)));
        return;
      case 0x1b:
        this.state = S.Esc;
        return;
      case 0x9b:
        this.state = S.Csi;
        this.csi = '';
        return;
      case 0x9d:
        this.state = S.Str;
    }
  }

  private csiDispatch(params: string, final: string): void {
    if ((final === 'h' || final === 'l') && params.startsWith('?')) {
      for (const p of params.slice(1).split(';')) {
        if (p === '1049' || p === '1047' || p === '47') {
          if (!this.alt && final === 'h') this.emit();
          this.alt = final === 'h';
        }
      }
      return;
    }
    const n = Math.max(1, parseInt(params, 10) || 1);
    switch (final) {
      case 'K':
        // Erase in line: 0 (default) to the end, 1 to the start, 2 all.
        if (params === '' || params === '0') this.line = this.line.slice(0, this.col);
        else if (params === '2') this.line = '';
        return;
      case 'C':
        this.col += n;
        return;
      case 'D':
        this.col = Math.max(0, this.col - n);
        return;
      case 'G':
        this.col = n - 1;
        return;
      case 'P':
        this.line = this.line.slice(0, this.col) + this.line.slice(this.col + n);
        return;
      case 'J':
      case 'H':
      case 'f':
      case 'A':
      case 'B':
      case 'd':
        // Vertical moves and screen clears end what was on this line.
        this.emit();
    }
  }

  private put(t: string): void {
    if (this.alt) return;
    if (this.col > this.line.length) this.line = this.line.padEnd(this.col);
    this.line = this.line.slice(0, this.col) + t + this.line.slice(this.col + t.length);
    this.col += t.length;
    if (this.line.length >= MAX_TEXT_LINE) {
      this.emit();
    }
  }

  private emit(): void {
    const t = this.line.trimEnd();
    this.line = '';
    this.col = 0;
    if (t && !this.alt) this.onLine(t);
  }
}
