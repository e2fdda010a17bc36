// What the user's keys would make of a line: a tokenizer for terminal input (escape sequences, bracketed paste) and
// a small emacs-mode line editor. The screen is the authority on what ran; this is the second witness, for text
// pasted faster than it is echoed, for input that is never echoed, and for rule checks before Enter reaches the target.

/** One key or pasted block. */
export type Key =
  | { kind: 'text'; text: string }
  | { kind: 'enter' }
  | { kind: 'control'; code: number }
  | { kind: 'sequence'; seq: string }
  | { kind: 'paste'; text: string };

const PASTE_START = '\x1b[200~';
const PASTE_END = '\x1b[201~';
/** A pasted block larger than this is cut (the rest is still forwarded and recorded; only the witness forgets it). */
const MAX_PASTE = 256 * 1024;

/** Splits decoded input into keys; keeps an unfinished escape sequence or paste for the next chunk. */
export class KeyReader {
  private carry = '';
  private paste: string | null = null;

  /** @param bracketedPaste whether the terminal has bracketed paste on (then ESC[200~...ESC[201~ is one block). */
  constructor(private readonly bracketedPaste: () => boolean = () => true) {}

  read(chunk: string): Key[] {
    let s = this.carry + chunk;
    this.carry = '';
    const keys: Key[] = [];
    let i = 0;
    while (i < s.length) {
      if (this.paste !== null) {
        const end = s.indexOf(PASTE_END, i);
        if (end < 0) {
          // Keep a possible partial end marker for the next chunk.
          const keep = partialSuffix(s, PASTE_END);
          this.appendPaste(s.slice(i, s.length - keep));
          this.carry = s.slice(s.length - keep);
          return keys;
        }
        this.appendPaste(s.slice(i, end));
        keys.push({ kind: 'paste', text: this.paste });
        this.paste = null;
        i = end + PASTE_END.length;
        continue;
      }
      const c = s.charCodeAt(i);
      if (c === 0x1b) {
        const n = escapeLength(s, i);
        if (n === 0) {
          this.carry = s.slice(i);
          return keys;
        }
        const seq = s.slice(i, i + n);
        i += n;
        if (seq === PASTE_START && this.bracketedPaste()) this.paste = '';
        else if (seq !== PASTE_END) keys.push({ kind: 'sequence', seq });
        continue;
      }
      if (c === 0x0d || c === 0x0a) {
        keys.push({ kind: 'enter' });
        i++;
        continue;
      }
      if (c < 0x20 || c === 0x7f) {
        keys.push({ kind: 'control', code: c });
        i++;
        continue;
      }
      let j = i + 1;
      while (j < s.length) {
        const d = s.charCodeAt(j);
        if (d < 0x20 || d === 0x7f) break;
        j++;
      }
      keys.push({ kind: 'text', text: s.slice(i, j) });
      i = j;
    }
    s = '';
    return keys;
  }

  /** Forgets a half-read sequence or paste (Ctrl-C, a skipped stretch of the session). */
  reset(): void {
    this.carry = '';
    this.paste = null;
  }

  private appendPaste(t: string): void {
    if (this.paste !== null && this.paste.length < MAX_PASTE) this.paste += t.slice(0, MAX_PASTE - this.paste.length);
  }
}

/** Length of the escape sequence at s[i] (ESC [ ... final, ESC O x, ESC x), or 0 when it is not complete yet. */
function escapeLength(s: string, i: number): number {
  if (i + 1 >= s.length) return 0;
  const n = s[i + 1];
  if (n === '[') {
    for (let j = i + 2; j < s.length && j < i + 64; j++) {
      const c = s.charCodeAt(j);
      if (c >= 0x40 && c <= 0x7e) return j - i + 1;
    }
    return s.length - i >= 64 ? 2 : 0;
  }
  if (n === 'O') return i + 2 < s.length ? 3 : 0;
  return 2;
}

/** How many characters at the end of s start `marker` (0 when none). */
function partialSuffix(s: string, marker: string): number {
  for (let k = Math.min(marker.length - 1, s.length); k > 0; k--) if (s.endsWith(marker.slice(0, k))) return k;
  return 0;
}

/** Longest line the witness keeps. */
const MAX_LINE = 64 * 1024;

/**
 * An emacs-mode readline line, as far as keys alone can tell. `certain` turns false on keys whose effect depends on
 * the shell (Tab completion, history, kill-ring yank, word motions...): then only the screen knows.
 */
export class LineKeys {
  text = '';
  cursor = 0;
  certain = true;

  reset(): void {
    this.text = '';
    this.cursor = 0;
    this.certain = true;
  }

  apply(key: Key): void {
    switch (key.kind) {
      case 'text':
        this.insert(key.text);
        return;
      case 'paste':
        this.insert(key.text.replace(/\r\n?/g, '\n'));
        return;
      case 'enter':
        return;
      case 'control':
        this.control(key.code);
        return;
      case 'sequence':
        this.sequence(key.seq);
    }
  }

  private insert(t: string): void {
    if (this.text.length + t.length > MAX_LINE) {
      this.certain = false;
      t = t.slice(0, Math.max(0, MAX_LINE - this.text.length));
    }
    this.text = this.text.slice(0, this.cursor) + t + this.text.slice(this.cursor);
    this.cursor += t.length;
  }

  private control(code: number): void {
    const t = this.text;
    switch (code) {
      case 0x7f:
      case 0x08: // Backspace
        if (this.cursor > 0) {
          this.text = t.slice(0, this.cursor - 1) + t.slice(this.cursor);
          this.cursor--;
        }
        return;
      case 0x01: // Ctrl-A
        this.cursor = 0;
        return;
      case 0x05: // Ctrl-E
        this.cursor = t.length;
        return;
      case 0x02: // Ctrl-B
        this.cursor = Math.max(0, this.cursor - 1);
        return;
      case 0x06: // Ctrl-F
        this.cursor = Math.min(t.length, this.cursor + 1);
        return;
      case 0x15: // Ctrl-U: kill to the start of the line
        this.text = t.slice(this.cursor);
        this.cursor = 0;
        return;
      case 0x0b: // Ctrl-K: kill to the end
        this.text = t.slice(0, this.cursor);
        return;
      case 0x17: {
        // Ctrl-W: unix-word-rubout, words delimited by whitespace.
        let k = this.cursor;
        while (k > 0 && /\s/.test(t[k - 1])) k--;
        while (k > 0 && !/\s/.test(t[k - 1])) k--;
        this.text = t.slice(0, k) + t.slice(this.cursor);
        this.cursor = k;
        return;
      }
      case 0x04: // Ctrl-D deletes the character under the cursor (on an empty line it is EOF: nothing typed)
        if (this.cursor < t.length) this.text = t.slice(0, this.cursor) + t.slice(this.cursor + 1);
        return;
      case 0x0c: // Ctrl-L redraws; the line is unchanged
        return;
      default:
        // Tab, Ctrl-R/S/P/N/T/Y and the rest: the shell decides.
        this.certain = false;
    }
  }

  private sequence(seq: string): void {
    const t = this.text;
    switch (seq) {
      case '\x1b[D':
      case '\x1bOD':
        this.cursor = Math.max(0, this.cursor - 1);
        return;
      case '\x1b[C':
      case '\x1bOC':
        this.cursor = Math.min(t.length, this.cursor + 1);
        return;
      case '\x1b[H':
      case '\x1bOH':
      case '\x1b[1~':
      case '\x1b[7~':
        this.cursor = 0;
        return;
      case '\x1b[F':
      case '\x1bOF':
      case '\x1b[4~':
      case '\x1b[8~':
        this.cursor = t.length;
        return;
      case '\x1b[3~':
        if (this.cursor < t.length) this.text = t.slice(0, this.cursor) + t.slice(this.cursor + 1);
        return;
      default:
        this.certain = false;
    }
  }
}
