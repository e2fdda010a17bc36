// Output and resizes waiting for the terminal mirror, with a scan cursor that runs ahead of the
// read position. Positions are byte sequence numbers of the session's output.

/** Something queued, in order. */
export type MirrorEvent = { kind: 'data'; data: Buffer } | { kind: 'resize'; cols: number; rows: number };

type Entry = { start: number; data: Buffer } | { start: number; data: null; cols: number; rows: number };
/** Put in consumed slots so that the array does not keep parsed Buffers alive until compaction. */
const CONSUMED: Entry = { start: 0, data: Buffer.alloc(0) };

/** What the scan cursor is on: data from `off` on, or a resize. */
export type ScanItem = { start: number; data: Buffer; off: number } | { start: number; data: null; cols: number; rows: number };

export class MirrorQueue {
  private entries: Entry[] = [];
  private head = 0;
  private scanIdx = 0;
  private scanOff = 0;
  /** Bytes pushed so far. */
  fed = 0;
  /** Read position: bytes before it were taken or dropped. */
  readPos = 0;

  get backlog(): number {
    return this.fed - this.readPos;
  }

  pushData(data: Buffer): void {
    this.entries.push({ start: this.fed, data });
    this.fed += data.length;
  }

  pushResize(cols: number, rows: number): void {
    this.entries.push({ start: this.fed, data: null, cols, rows });
  }

  /** Removes the resize waiting at the read position, if any. */
  shiftResize(): { cols: number; rows: number } | null {
    const e = this.entries[this.head];
    if (!e || e.data !== null) return null;
    this.entries[this.head++] = CONSUMED;
    if (this.scanIdx < this.head) { this.scanIdx = this.head; this.scanOff = 0; }
    this.compact();
    return { cols: e.cols, rows: e.rows };
  }

  /** The item under the scan cursor, or null at the end. */
  scanItem(): ScanItem | null {
    const e = this.entries[this.scanIdx];
    if (!e) return null;
    return e.data === null ? e : { start: e.start, data: e.data, off: this.scanOff };
  }

  /** Moves the scan cursor to offset `off` of the current data item (past it at its end), or past a resize. */
  scanTo(off = 0): void {
    const e = this.entries[this.scanIdx];
    if (e.data === null || off >= e.data.length) {
      this.scanIdx++;
      this.scanOff = 0;
    } else {
      this.scanOff = off;
    }
  }

  /** Takes bytes [readPos, end), in pieces of at most `piece` bytes. */
  take(end: number, piece: number): Buffer[] {
    const parts: Buffer[] = [];
    while (this.readPos < end) {
      const e = this.entries[this.head] as { start: number; data: Buffer };
      const n = Math.min(e.data.length, end - this.readPos, piece);
      parts.push(e.data.subarray(0, n));
      this.readPos += n;
      if (n === e.data.length) {
        this.entries[this.head++] = CONSUMED;
      } else {
        e.data = e.data.subarray(n);
        e.start += n;
        if (this.scanIdx === this.head) this.scanOff -= n;
      }
    }
    if (this.scanIdx < this.head) { this.scanIdx = this.head; this.scanOff = 0; }
    this.compact();
    return parts;
  }

  /** Drops everything before the scan cursor (skipping); returns the new read position. */
  dropScanned(): number {
    while (this.head < this.scanIdx) this.entries[this.head++] = CONSUMED;
    const first = this.entries[this.head];
    if (first?.data && this.scanOff > 0) {
      first.data = first.data.subarray(this.scanOff);
      first.start += this.scanOff;
    }
    this.scanOff = 0;
    this.readPos = first ? first.start : this.fed;
    this.compact();
    return this.readPos;
  }

  /** Everything from the read position on. */
  events(): MirrorEvent[] {
    const out: MirrorEvent[] = [];
    for (let i = this.head; i < this.entries.length; i++) {
      const e = this.entries[i];
      out.push(e.data ? { kind: 'data', data: e.data } : { kind: 'resize', cols: e.cols, rows: e.rows });
    }
    return out;
  }

  clear(): void {
    this.entries = [];
    this.head = this.scanIdx = this.scanOff = 0;
  }

  /** Drops consumed slots once they dominate the array. */
  private compact(): void {
    if (this.head === this.entries.length || (this.head > 1024 && this.head * 2 > this.entries.length)) {
      this.entries = this.entries.slice(this.head);
      this.scanIdx -= this.head;
      this.head = 0;
    }
  }
}
