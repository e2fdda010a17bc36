// Writes one session as an asciicast v2 file while it happens: decodes, coalesces, buffers, hashes and appends.

import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Recorder, RecordingHeader, RecordingSummary } from '../core/ports.js';
import { VigilError } from '../core/errors.js';
import { formatHeader, isValidRecordingHeader } from './asciicast-format.js';
import { OrderedFileSink } from './ordered-file-sink.js';
import { openRecordingFile, type RecordingFile } from './recording-file.js';
import { escapeJsonBytes, MAX_ESCAPE_EXPANSION, Utf8Chunker } from './utf8-json.js';

/** Output chunks are merged into one event while they arrive within this many ms of the event's first chunk... */
const COALESCE_MS = 5;
/** ...and while the merged event's encoded data is shorter than this. */
const COALESCE_MAX_BYTES = 64 * 1024;
/** A batch is handed to the file as soon as it reaches this size. */
const FLUSH_THRESHOLD = 1024 * 1024;
/** First capacity of a batch buffer; it grows by doubling, and the next batch starts near the last one's size. */
const MIN_BATCH = 16 * 1024;
/** Room kept for the `"]\n` that closes an open output event, and for an event's time prefix. */
const SUFFIX_BYTES = 3;
const PREFIX_BYTES = 48;

export interface AsciicastWriterOptions {
  path: string;
  header: RecordingHeader;
  /** Monotonic milliseconds; default `performance.now`. */
  now?: () => number;
  /** Longest time data stays in memory before it is handed to the file; default 250, at most 1000. */
  flushIntervalMs?: number;
  /** Opens the file; tests inject faults here. Default: create exclusively with mode 0600. */
  openFile?: (path: string) => Promise<RecordingFile>;
  /** Called after each write the file accepted, when {@link AsciicastWriter.pendingBytes} went down. */
  onWritten?: () => void;
}

/**
 * An asciicast v2 {@link Recorder}.
 *
 * Invariants:
 * - Events are appended in call order; times are non-decreasing, in seconds since `open`, at most 6 decimals.
 * - Lines are encoded straight into a batch buffer (no JS string for the data); at most one batch write is in
 *   flight, and batches reach the file in the order they were formed.
 * - SHA-256 and size cover exactly the bytes the file accepted, so the summary describes the file even after a failure.
 * - Data is handed to the file at most `flushIntervalMs` after it arrived (at once past 1 MiB).
 *
 * Backpressure: `output`/`input` never block. If the disk is slower than the session, buffered data grows;
 * the caller should watch {@link pendingBytes} and, above its own limit (say 8 MiB), pause the source and
 * resume once `await flush()` settles.
 */
export class AsciicastWriter implements Recorder {
  readonly path: string;
  private readonly now: () => number;
  private readonly t0: number;
  private readonly flushIntervalMs: number;
  private readonly outUtf8 = new Utf8Chunker();
  private readonly inUtf8 = new Utf8Chunker();
  private readonly sink: OrderedFileSink;

  /** The batch being filled (null when empty) and its used length. */
  private buf: Buffer | null = null;
  private used = 0;
  private nextCapacity = MIN_BATCH;
  /** An output event is open in the batch: its data is still being appended and its `"]\n` not yet written. */
  private outOpen = false;
  private outStartMs = 0;
  private outDataStart = 0;
  private timer: NodeJS.Timeout | null = null;

  private lastTime = 0;
  private closing: Promise<RecordingSummary> | null = null;
  private readonly errorListeners: Array<(err: Error) => void> = [];

  private constructor(opts: Required<Pick<AsciicastWriterOptions, 'path' | 'now' | 'flushIntervalMs'>> & Pick<AsciicastWriterOptions, 'onWritten'>, file: RecordingFile) {
    this.path = opts.path;
    this.now = opts.now;
    this.flushIntervalMs = opts.flushIntervalMs;
    this.sink = new OrderedFileSink(file, (err) => this.failed(err), opts.onWritten);
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
    const w = new AsciicastWriter({ path: opts.path, now: opts.now ?? (() => performance.now()), flushIntervalMs, onWritten: opts.onWritten }, file);
    try {
      // The header is made durable at once, so after a crash a torn header can only mean "nothing was recorded".
      const line = formatHeader(opts.header);
      w.reserve(Buffer.byteLength(line, 'utf8'));
      w.used += w.buf!.write(line, w.used, 'utf8');
      await w.flush();
      if (w.sink.failure) throw w.sink.failure;
      await file.sync();
    } catch (err) {
      await file.close().catch(() => undefined);
      throw VigilError.unavailable('cannot start the session recording', err);
    }
    return w;
  }

  /** Bytes accepted but not yet written to the file. */
  get pendingBytes(): number {
    return this.used + this.sink.pendingBytes;
  }

  output(data: Buffer): void {
    if (this.closing || this.sink.failure) return;
    this.appendOutput(this.outUtf8.take(data));
  }

  input(data: Buffer): void {
    if (this.closing || this.sink.failure) return;
    const bytes = this.inUtf8.take(data);
    if (bytes.length > 0) this.appendEvent('i', bytes);
  }

  resize(cols: number, rows: number): void {
    if (this.closing || this.sink.failure) return;
    if (!Number.isInteger(cols) || !Number.isInteger(rows) || cols <= 0 || rows <= 0) return;
    this.appendEvent('r', Buffer.from(`${cols}x${rows}`, 'latin1'));
  }

  onError(cb: (err: Error) => void): void {
    this.errorListeners.push(cb);
    const err = this.sink.failure;
    if (err) queueMicrotask(() => callListener(cb, err));
  }

  /** Hands everything buffered to the file and resolves once it is written (or writing failed). Never rejects. */
  async flush(): Promise<void> {
    this.flushBatch();
    await this.sink.drained();
  }

  close(): Promise<RecordingSummary> {
    this.closing ??= this.finish();
    return this.closing;
  }

  private async finish(): Promise<RecordingSummary> {
    this.clearTimer();
    if (!this.sink.failure) {
      // Bytes of an unfinished UTF-8 sequence at the end become U+FFFD rather than vanish.
      this.appendOutput(this.outUtf8.end());
      const inTail = this.inUtf8.end();
      if (inTail.length > 0) this.appendEvent('i', inTail);
      this.flushBatch();
    }
    return this.sink.finish(this.path);
  }

  /** Appends output to the open output event, or opens a new one when the coalescing window has passed. */
  private appendOutput(bytes: Buffer): void {
    if (bytes.length === 0) return;
    const ms = this.now() - this.t0;
    if (this.outOpen && (ms - this.outStartMs > COALESCE_MS || this.used - this.outDataStart >= COALESCE_MAX_BYTES)) {
      this.closeOutput();
    }
    this.reserve(bytes.length * MAX_ESCAPE_EXPANSION + PREFIX_BYTES);
    if (!this.outOpen) {
      this.writePrefix(ms, 'o');
      this.outOpen = true;
      this.outStartMs = ms;
      this.outDataStart = this.used;
    }
    this.used = escapeJsonBytes(bytes, this.buf!, this.used);
    this.afterAppend();
  }

  /** Appends a whole input or resize event; an open output event is closed first to keep call order. */
  private appendEvent(type: 'i' | 'r', bytes: Buffer): void {
    this.closeOutput();
    this.reserve(bytes.length * MAX_ESCAPE_EXPANSION + PREFIX_BYTES);
    this.writePrefix(this.now() - this.t0, type);
    this.used = escapeJsonBytes(bytes, this.buf!, this.used);
    this.buf!.write('"]\n', this.used, 'latin1');
    this.used += SUFFIX_BYTES;
    this.afterAppend();
  }

  private writePrefix(ms: number, type: 'o' | 'i' | 'r'): void {
    const t = Math.max(this.lastTime, Math.round(ms * 1000) / 1e6);
    this.lastTime = t;
    this.used += this.buf!.write('[' + t + ',"' + type + '","', this.used, 'latin1');
  }

  private closeOutput(): void {
    if (!this.outOpen) return;
    this.outOpen = false;
    this.buf!.write('"]\n', this.used, 'latin1');
    this.used += SUFFIX_BYTES;
  }

  private afterAppend(): void {
    if (this.used >= FLUSH_THRESHOLD) this.flushBatch();
    else this.schedule();
  }

  /**
   * Makes room for `n` more bytes plus the closing of an open output event. Past the flush threshold the
   * batch is handed over instead of grown, so a batch stays near 1 MiB.
   */
  private reserve(n: number): void {
    const need = n + SUFFIX_BYTES;
    if (this.buf && this.used + need <= this.buf.length) return;
    if (this.used > 0 && this.used + need > FLUSH_THRESHOLD) this.flushBatch();
    const old = this.buf;
    const cap = Math.max(this.used + need, old ? old.length * 2 : this.nextCapacity);
    const next = Buffer.allocUnsafe(cap);
    if (old && this.used > 0) old.copy(next, 0, 0, this.used);
    this.buf = next;
  }

  /** Closes the open output event and queues the batch for the write loop. */
  private flushBatch(): void {
    this.clearTimer();
    if (this.sink.failure || !this.buf || this.used === 0) return;
    this.closeOutput();
    const data = this.buf.subarray(0, this.used);
    // An interactive session after a burst goes back to small buffers; a bulk one keeps large ones.
    this.nextCapacity = Math.max(MIN_BATCH, Math.min(2 * FLUSH_THRESHOLD, 2 ** Math.ceil(Math.log2(this.used))));
    this.buf = null;
    this.used = 0;
    this.sink.push(data, this.lastTime);
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flushBatch();
    }, this.flushIntervalMs);
    // A recording alone must not keep the process alive; the session's sockets do.
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** After a write failure: drop what is buffered (it can no longer be written) and tell the listeners. */
  private failed(err: Error): void {
    this.clearTimer();
    this.buf = null;
    this.used = 0;
    this.outOpen = false;
    for (const cb of this.errorListeners) callListener(cb, err);
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
