// The tracker's queue of what the session did, in arrival order: output, keys and resizes; output byte accounting,
// decoding, and dropping output unparsed (the text after a drop starts by resetting what the drop may have cut).

export type Entry =
  | { kind: 'o'; data: Buffer; at: number }
  | { kind: 'i'; text: string; at: number }
  | { kind: 'r'; cols: number; rows: number };

const CSI_PRIVATE = Buffer.from('\x1b[?');
const ALT_MODES = ['1049', '1047', '47'];

/** The last alternate-screen switch (`ESC[?1049h` and the like) in `buf`, or ''. Uses indexOf: cheap on bulk output. */
export function lastAltSwitch(buf: Buffer, previous = ''): string {
  let last = previous;
  for (let i = buf.indexOf(CSI_PRIVATE); i >= 0; i = buf.indexOf(CSI_PRIVATE, i + 3)) {
    const seq = buf.toString('latin1', i + 3, Math.min(buf.length, i + 9));
    const m = /^(\d+)([hl])/.exec(seq);
    if (m && ALT_MODES.includes(m[1])) last = `\x1b[?${m[1]}${m[2]}`;
  }
  return last;
}

/** CAN ends any escape sequence the terminal is in the middle of; then default colours. */
const RESET = '\x18\x1b[0m';

export class TrackerQueue {
  private q: Entry[] = [];
  private head = 0;
  private decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  /** Output was dropped unparsed since the last text taken; `alt` is the last alternate-screen switch it held. */
  private dropped: { alt: string } | null = null;
  /** Output bytes waiting. */
  queuedOut = 0;
  /** How many times output was dropped unparsed. */
  skips = 0;

  push(e: Entry): void {
    this.q.push(e);
    if (e.kind === 'o') this.queuedOut += e.data.length;
  }

  get empty(): boolean {
    return this.head >= this.q.length;
  }

  /**
   * The entry to handle next: the head; or, when keys must wait (a line awaits its commit), the first entry that is
   * not keys. `keysWaited` tells that keys were passed over.
   */
  next(keysWait: boolean): { index: number; entry: Entry; keysWaited: boolean } | null {
    let keysWaited = false;
    for (let i = this.head; i < this.q.length; i++) {
      const entry = this.q[i];
      if (!keysWait || entry.kind !== 'i') return { index: i, entry, keysWaited };
      keysWaited = true;
    }
    return null;
  }

  /** Drops queued output but the last `tailBytes` (cut after a line feed), unparsed. Other entries stay in place. */
  dropOutput(tailBytes: number): void {
    let alt = this.dropped?.alt ?? '';
    let excess = this.queuedOut - tailBytes;
    const kept: Entry[] = [];
    for (let i = this.head; i < this.q.length; i++) {
      const e = this.q[i];
      if (e.kind !== 'o' || excess <= 0) {
        kept.push(e);
        continue;
      }
      if (e.data.length <= excess) {
        alt = lastAltSwitch(e.data, alt);
        excess -= e.data.length;
        this.queuedOut -= e.data.length;
        continue;
      }
      const nl = e.data.indexOf(0x0a, excess);
      const cut = nl >= 0 ? nl + 1 : excess;
      alt = lastAltSwitch(e.data.subarray(0, cut), alt);
      this.queuedOut -= cut;
      excess = 0;
      kept.push({ ...e, data: e.data.subarray(cut) });
    }
    this.q = kept;
    this.head = 0;
    this.dropped = { alt };
  }

  /** Text for the terminal: output taken with takeOutput, after a reset when output was dropped before it. */
  text(data: Buffer): string {
    return this.resetIfDropped() + this.decoder.decode(data, { stream: true });
  }

  private resetIfDropped(): string {
    if (!this.dropped) return '';
    const { alt } = this.dropped;
    this.dropped = null;
    this.skips++;
    this.decoder = new TextDecoder('utf-8', { ignoreBOM: true });
    return RESET + alt;
  }

  /** True when keys are waiting. */
  hasKeys(): boolean {
    for (let i = this.head; i < this.q.length; i++) if (this.q[i].kind === 'i') return true;
    return false;
  }

  clear(): void {
    this.q = [];
    this.head = 0;
    this.queuedOut = 0;
  }

  isHead(i: number): boolean {
    return i === this.head;
  }

  /** Removes n entries from index i. */
  take(i: number, n: number): void {
    if (i !== this.head) {
      this.q.splice(i, n);
      return;
    }
    for (let k = 0; k < n; k++) this.q[this.head++] = undefined as unknown as Entry;
    if (this.head === this.q.length) {
      this.q = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.q.length) {
      this.q = this.q.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * Takes consecutive output from index i, up to about `limit` bytes; with `byLine`, only up to and including the
   * first line feed (the rest of that entry stays queued).
   */
  takeOutput(i: number, limit: number, byLine: boolean): Buffer {
    const parts: Buffer[] = [];
    let size = 0;
    let n = 0;
    while (i + n < this.q.length && size < limit) {
      const e = this.q[i + n];
      if (e.kind !== 'o') break;
      const nl = byLine ? e.data.indexOf(0x0a) : -1;
      if (nl >= 0 && nl + 1 < e.data.length) {
        parts.push(e.data.subarray(0, nl + 1));
        size += nl + 1;
        e.data = e.data.subarray(nl + 1);
        break;
      }
      parts.push(e.data);
      size += e.data.length;
      n++;
      if (nl >= 0) break;
    }
    this.take(i, n);
    this.queuedOut -= size;
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  /**
   * Empties the queue for a skip: the text to write is a reset, the last alternate-screen switch before the kept
   * tail, and the last `tailBytes` of output (from a line start); `size` is the last resize. Keys are dropped.
   */
  skip(tailBytes: number): { text: string; size: { cols: number; rows: number } | null } {
    const outs: Buffer[] = [];
    let size: { cols: number; rows: number } | null = null;
    for (let i = this.head; i < this.q.length; i++) {
      const e = this.q[i];
      if (e.kind === 'o') outs.push(e.data);
      else if (e.kind === 'r') size = { cols: e.cols, rows: e.rows };
    }
    this.clear();
    const all = Buffer.concat(outs);
    let from = Math.max(0, all.length - tailBytes);
    const nl = all.indexOf(0x0a, from);
    if (nl >= 0 && nl + 1 < all.length) from = nl + 1;
    this.dropped = { alt: lastAltSwitch(all.subarray(0, from), this.dropped?.alt ?? '') };
    return { text: this.text(all.subarray(from)), size };
  }
}
