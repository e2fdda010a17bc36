// Reads an asciicast file line by line from any byte offset, with the offset of each line: what seeking and keyframing stand on.

import type { CastSource } from '../cast-source.js';
import { isKnownEventType, parseEventLine, type AsciicastEvent } from '../asciicast-format.js';

/** Longest line accepted; the writer's events stay under ~400 KiB (64 KiB of data, escaped). */
const MAX_LINE = 64 * 1024 * 1024;

/** One whole line (without its newline) and where it starts and ends in the file. */
export interface CastLine {
  offset: number;
  /** Offset just past the line's newline: where the next line starts. */
  next: number;
  bytes: Buffer;
}

/**
 * Splits a file into lines from a start offset, reading `chunk` bytes at a time; only whole
 * (newline-terminated) lines are returned, so a file still being written can be read again later
 * from where the last whole line ended (tailing). `read` fills `buf` at `at` from file position `pos`.
 */
abstract class LineSplitter {
  protected buf: Buffer;
  private pos = 0;
  private len = 0;
  /** File offset of buf[0]. */
  private base: number;

  constructor(start: number, chunk: number) {
    this.buf = Buffer.allocUnsafe(chunk);
    this.base = start;
  }

  /** Offset of the first byte not yet returned as part of a line. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** The next whole line already buffered, or null when more must be read. */
  protected take(): CastLine | null {
    const nl = this.buf.indexOf(10, this.pos);
    if (nl < 0 || nl >= this.len) return null;
    const line: CastLine = { offset: this.base + this.pos, next: this.base + nl + 1, bytes: this.buf.subarray(this.pos, nl) };
    this.pos = nl + 1;
    return line;
  }

  /** Makes room for a read; returns where to read into the buffer, how much, and from which file position. */
  protected room(): { at: number; size: number; pos: number } {
    if (this.pos > 0) {
      this.buf.copy(this.buf, 0, this.pos, this.len);
      this.len -= this.pos;
      this.base += this.pos;
      this.pos = 0;
    }
    if (this.len === this.buf.length) {
      if (this.buf.length >= MAX_LINE) throw new Error(`recording line at byte ${this.base} is longer than ${MAX_LINE} bytes`);
      const bigger = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(bigger, 0, 0, this.len);
      this.buf = bigger;
    }
    return { at: this.len, size: this.buf.length - this.len, pos: this.base + this.len };
  }

  protected filled(n: number): void {
    this.len += n;
  }
}

/** Synchronous reader (worker threads, the CLI). Lines are views into the buffer, valid until the next call. */
export class SyncCastLines extends LineSplitter {
  constructor(private readonly src: Pick<CastSource, 'readSync'>, start: number, chunk = 1024 * 1024) {
    super(start, chunk);
  }

  /** The next whole line, or null at the end of what is on disk now. */
  next(): CastLine | null {
    for (;;) {
      const line = this.take();
      if (line) return line;
      const r = this.room();
      const n = this.src.readSync(this.buf, r.at, r.size, r.pos);
      if (n === 0) return null;
      this.filled(n);
    }
  }
}

/** Asynchronous reader (the API's chunk endpoint). Lines are views into the buffer, valid until the next call. */
export class AsyncCastLines extends LineSplitter {
  constructor(private readonly src: Pick<CastSource, 'read'>, start: number, chunk = 64 * 1024) {
    super(start, chunk);
  }

  async next(): Promise<CastLine | null> {
    for (;;) {
      const line = this.take();
      if (line) return line;
      const r = this.room();
      const bytesRead = await this.src.read(this.buf, r.at, r.size, r.pos);
      if (bytesRead === 0) return null;
      this.filled(bytesRead);
    }
  }
}

/** The time of an event line without parsing its data (`[12.5,"o",...`); NaN when the line is not an event. */
export function lineTime(bytes: Buffer): number {
  if (bytes.length < 4 || bytes[0] !== 0x5b) return NaN;
  const comma = bytes.indexOf(0x2c, 1);
  if (comma < 0 || comma > 32) return NaN;
  const s = bytes.toString('latin1', 1, comma);
  return /^\s*\d+(\.\d+)?([eE][-+]?\d+)?\s*$/.test(s) ? Number(s) : NaN;
}

/** The event of a line, or null for the header, blank lines, unknown types and malformed lines. */
export function lineEvent(bytes: Buffer): AsciicastEvent | null {
  if (bytes.length === 0 || bytes[0] !== 0x5b) return null;
  const e = parseEventLine(bytes.toString('utf8'));
  if (!e || !isKnownEventType(e.type)) return null;
  return { time: e.time, type: e.type, data: e.data };
}
