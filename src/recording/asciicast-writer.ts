// Writes one session as an asciicast v2 file while it happens: decodes, coalesces, buffers, hashes and appends.

import { createHash, type Hash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { Recorder, RecordingHeader, RecordingSummary } from '../core/ports.js';
import { VigilError } from '../core/errors.js';
import { formatHeader, isValidRecordingHeader, roundSeconds } from './asciicast-format.js';
import { openRecordingFile, type RecordingFile } from './recording-file.js';

/** Output chunks are merged into one event while they arrive within this many ms of the event's first chunk. */
const COALESCE_MS = 5;
/** ...and while the merged event holds fewer UTF-16 units than this. */
const COALESCE_MAX_CHARS = 64 * 1024;
/** Buffered lines are handed to the file as soon as they exceed this (UTF-16 units, ~bytes for terminal text). */
const FLUSH_THRESHOLD_CHARS = 1024 * 1024;

export interface AsciicastWriterOptions {
  path: string;
  header: RecordingHeader;
  /** Monotonic milliseconds; default `performance.now`. */
  now?: () => number;
  /** Longest time data stays in memory before it is handed to the file; default 250, at most 1000. */
  flushIntervalMs?: number;
  /** Opens the file; tests inject faults here. Default: create exclusively with mode 0600. */
  openFile?: (path: string) => Promise<RecordingFile>;
}

interface Batch {
  buf: Buffer;
  /** Time (s) of the last event in the batch. */
  lastTime: number;
}

/**
 * An asciicast v2 {@link Recorder}.
 *
 * Invariants:
 * - Events are appended in call order; times are non-decreasing, in seconds since `open`, at most 6 decimals.
 * - At most one write is in flight; batches reach the file in the order they were formed.
 * - SHA-256 and size cover exactly the bytes the file accepted, so the summary describes the file even after a failure.
 * - Data is handed to the file at most `flushIntervalMs` after it arrived (sooner past ~1 MiB buffered).
 *
 * Backpressure: `output`/`input` never block. If the disk is slower than the session, buffered data grows;
 * the caller should watch {@link pendingBytes} and, above its own limit (say 8 MiB), pause the source and
 * resume once `await flush()` settles.
 */
export class AsciicastWriter implements Recorder {
  readonly path: string;
  private readonly file: RecordingFile;
  private readonly now: () => number;
  private readonly t0: number;
  private readonly flushIntervalMs: number;
  private readonly outDecoder = new StringDecoder('utf8');
  private readonly inDecoder = new StringDecoder('utf8');
  private readonly hash: Hash = createHash('sha256');

  /** Output being coalesced into one event, and the time (ms since t0) of its first chunk. */
  private outText = '';
  private outStartMs = 0;
  /** Formatted lines not yet encoded, and their total length. */
  private lines: string[] = [];
  private lineChars = 0;
  /** Encoded batches waiting for the file, and their bytes (including one in flight). */
  private queue: Batch[] = [];
  private queuedBytes = 0;
  private writing = false;
  private idle: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;

  private lastTime = 0;
  private writtenTime = 0;
  private writtenBytes = 0;
  private closing: Promise<RecordingSummary> | null = null;
  private error: Error | null = null;
  private readonly errorListeners: Array<(err: Error) => void> = [];

  private constructor(opts: Required<Pick<AsciicastWriterOptions, 'path' | 'now' | 'flushIntervalMs'>>, file: RecordingFile) {
    this.path = opts.path;
    this.now = opts.now;
    this.flushIntervalMs = opts.flushIntervalMs;
    this.file = file;
    this.t0 = this.now();
  }

  /** Creates the directories (0700) and the file (0600), and writes and syncs the header. Rejects if any of that fails. */
  static async open(opts: AsciicastWriterOptions): Promise<AsciicastWriter> {
    const flushIntervalMs = opts.flushIntervalMs ?? 250;
    if (!(flushIntervalMs > 0 && flushIntervalMs <= 1000)) {
      throw VigilError.badRequest('flushIntervalMs must be in (0, 1000]');
    }
    if (!isValidRecordingHeader(opts.header)) throw VigilError.badRequest('invalid recording header');
    let file: RecordingFile;
    try {
      await mkdir(dirname(opts.path), { recursive: true, mode: 0o700 });
      file = await (opts.openFile ?? openRecordingFile)(opts.path);
    } catch (err) {
      throw VigilError.unavailable('cannot create the session recording', err);
    }
    const w = new AsciicastWriter({ path: opts.path, now: opts.now ?? (() => performance.now()), flushIntervalMs }, file);
    try {
      // The header is made durable at once, so after a crash a torn header can only mean "nothing was recorded".
      w.lines.push(formatHeader(opts.header));
      await w.flush();
      if (w.error) throw w.error;
      await file.sync();
    } catch (err) {
      await file.close().catch(() => undefined);
      throw VigilError.unavailable('cannot start the session recording', err);
    }
    return w;
  }

  /** Bytes accepted but not yet written to the file (approximate for text not yet encoded). */
  get pendingBytes(): number {
    return this.outText.length + this.lineChars + this.queuedBytes;
  }

  output(data: Buffer): void {
    if (this.closing || this.error) return;
    const s = this.outDecoder.write(data);
    if (s.length === 0) return;
    const ms = this.now() - this.t0;
    if (this.outText.length > 0 && ms - this.outStartMs > COALESCE_MS) this.emitOutput();
    if (this.outText.length === 0) this.outStartMs = ms;
    this.outText += s;
    if (this.outText.length >= COALESCE_MAX_CHARS) this.emitOutput();
    this.schedule();
  }

  input(data: Buffer): void {
    if (this.closing || this.error) return;
    const s = this.inDecoder.write(data);
    if (s.length === 0) return;
    this.emitOutput();
    this.emit(this.now() - this.t0, 'i', s);
    this.schedule();
  }

  resize(cols: number, rows: number): void {
    if (this.closing || this.error) return;
    if (!Number.isInteger(cols) || !Number.isInteger(rows) || cols <= 0 || rows <= 0) return;
    this.emitOutput();
    this.emit(this.now() - this.t0, 'r', `${cols}x${rows}`);
    this.schedule();
  }

  onError(cb: (err: Error) => void): void {
    this.errorListeners.push(cb);
    const err = this.error;
    if (err) queueMicrotask(() => callListener(cb, err));
  }

  /** Hands everything buffered to the file and resolves once it is written (or writing failed). Never rejects. */
  async flush(): Promise<void> {
    this.emitOutput();
    this.encodeLines();
    await this.idle;
  }

  close(): Promise<RecordingSummary> {
    this.closing ??= this.finish();
    return this.closing;
  }

  private async finish(): Promise<RecordingSummary> {
    this.clearTimer();
    if (!this.error) {
      // Bytes of an unfinished UTF-8 sequence at the end become U+FFFD rather than vanish.
      const outTail = this.outDecoder.end();
      if (outTail.length > 0) {
        if (this.outText.length === 0) this.outStartMs = this.now() - this.t0;
        this.outText += outTail;
      }
      this.emitOutput();
      const inTail = this.inDecoder.end();
      if (inTail.length > 0) this.emit(this.now() - this.t0, 'i', inTail);
      await this.flush();
    }
    if (!this.error) {
      try {
        await this.file.sync();
      } catch (err) {
        this.fail(err);
      }
    }
    try {
      await this.file.close();
    } catch (err) {
      this.fail(err);
    }
    return {
      path: this.path,
      size: this.writtenBytes,
      duration: roundSeconds(this.writtenTime, 3),
      sha256: this.hash.digest('hex'),
    };
  }

  private emitOutput(): void {
    if (this.outText.length === 0) return;
    const text = this.outText;
    this.outText = '';
    this.emit(this.outStartMs, 'o', text);
  }

  private emit(ms: number, type: 'o' | 'i' | 'r', data: string): void {
    const t = Math.max(this.lastTime, Math.round(ms * 1000) / 1e6);
    this.lastTime = t;
    const line = '[' + t + ',"' + type + '",' + JSON.stringify(data) + ']\n';
    this.lines.push(line);
    this.lineChars += line.length;
    if (this.lineChars >= FLUSH_THRESHOLD_CHARS) this.encodeLines();
  }

  /** Turns buffered lines into one batch and makes sure the write loop runs. */
  private encodeLines(): void {
    if (this.lines.length === 0 || this.error) return;
    const text = this.lines.length === 1 ? this.lines[0] : this.lines.join('');
    this.lines = [];
    this.lineChars = 0;
    const buf = Buffer.from(text, 'utf8');
    this.queue.push({ buf, lastTime: this.lastTime });
    this.queuedBytes += buf.length;
    if (!this.writing) {
      this.writing = true;
      this.idle = this.writeLoop();
    }
  }

  /** The only place that writes: drains the queue one writev at a time, so writes never overlap or reorder. */
  private async writeLoop(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.error) {
        const batches = this.queue;
        this.queue = [];
        let rest = batches.map((b) => b.buf);
        while (rest.length > 0) {
          const n = await this.file.writev(rest);
          if (!(n > 0)) throw new Error('recording write made no progress');
          rest = this.account(rest, n);
        }
        this.writtenTime = batches[batches.length - 1].lastTime;
      }
    } catch (err) {
      this.fail(err);
    } finally {
      this.writing = false;
    }
  }

  /** Hashes and counts the first `n` bytes of `bufs` (now on disk); returns what is left to write. */
  private account(bufs: Buffer[], n: number): Buffer[] {
    this.writtenBytes += n;
    this.queuedBytes -= n;
    let i = 0;
    while (i < bufs.length && n >= bufs[i].length) {
      this.hash.update(bufs[i]);
      n -= bufs[i].length;
      i++;
    }
    if (i === bufs.length) return [];
    const rest = bufs.slice(i);
    if (n > 0) {
      this.hash.update(rest[0].subarray(0, n));
      rest[0] = rest[0].subarray(n);
    }
    return rest;
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.emitOutput();
      this.encodeLines();
    }, this.flushIntervalMs);
    // A recording alone must not keep the process alive; the session's sockets do.
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Records the first failure, drops everything buffered (it can no longer be written) and tells the listeners. */
  private fail(err: unknown): void {
    if (this.error) return;
    const e = err instanceof Error ? err : new Error(String(err));
    this.error = e;
    this.clearTimer();
    this.outText = '';
    this.lines = [];
    this.lineChars = 0;
    this.queue = [];
    this.queuedBytes = 0;
    for (const cb of this.errorListeners) callListener(cb, e);
  }
}

/** A listener that throws must not break the writer; its error surfaces as an uncaught exception, like an emitter's. */
function callListener(cb: (err: Error) => void, err: Error): void {
  try {
    cb(err);
  } catch (thrown) {
    process.nextTick(() => {
      throw thrown;
    });
  }
}
