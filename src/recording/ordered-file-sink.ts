// Appends batches to a recording file strictly in order, one write in flight, hashing and counting exactly what the file accepted.

import { createHash } from 'node:crypto';
import type { RecordingSummary } from '../core/ports.js';
import { roundSeconds } from './asciicast-format.js';
import type { RecordingFile } from './recording-file.js';

interface Batch {
  buf: Buffer;
  /** Time (s) of the last event in the batch. */
  lastTime: number;
}

/**
 * The write side of a recording. Invariants: at most one `writev` is in flight and batches are written in
 * push order; the hash and size cover exactly the bytes the file reported written (partial writes included);
 * after the first failure nothing more is written and `onFail` has been called once.
 */
export class OrderedFileSink {
  private readonly hash = createHash('sha256');
  private queue: Batch[] = [];
  private queuedBytes = 0;
  private writing = false;
  private idle: Promise<void> = Promise.resolve();
  private writtenBytes = 0;
  private writtenTime = 0;
  private error: Error | null = null;

  constructor(
    private readonly file: RecordingFile,
    private readonly onFail: (err: Error) => void,
    /** Called after each write the file accepted (bytes left the queue). */
    private readonly onWritten?: () => void,
  ) {}

  /** Bytes pushed and not yet written. */
  get pendingBytes(): number {
    return this.queuedBytes;
  }

  /** The first failure, if any. */
  get failure(): Error | null {
    return this.error;
  }

  /** Queues a batch; the sink keeps `buf` until it is written, so the caller must not reuse it. */
  push(buf: Buffer, lastTime: number): void {
    if (this.error || buf.length === 0) return;
    this.queue.push({ buf, lastTime });
    this.queuedBytes += buf.length;
    if (!this.writing) {
      this.writing = true;
      this.idle = this.writeLoop();
    }
  }

  /** Resolves when everything pushed so far is written, or writing failed. Never rejects. */
  drained(): Promise<void> {
    return this.idle;
  }

  /** Syncs (unless failed) and closes the file; the summary describes the bytes on disk. Never rejects. */
  async finish(path: string): Promise<RecordingSummary> {
    await this.idle;
    try {
      if (!this.error) await this.file.sync();
    } catch (err) {
      this.fail(err);
    }
    try {
      await this.file.close();
    } catch (err) {
      this.fail(err);
    }
    return { path, size: this.writtenBytes, duration: roundSeconds(this.writtenTime, 3), sha256: this.hash.digest('hex') };
  }

  /** Records the first failure, drops what is queued (it can no longer be written) and reports it once. */
  fail(err: unknown): void {
    if (this.error) return;
    this.error = err instanceof Error ? err : new Error(String(err));
    this.queue = [];
    this.queuedBytes = 0;
    this.onFail(this.error);
  }

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
          this.onWritten?.();
        }
        this.writtenTime = batches[batches.length - 1].lastTime;
      }
    } catch (err) {
      this.fail(err);
    } finally {
      this.writing = false;
    }
  }

  /** Hashes and counts the first `n` bytes of `bufs` (now in the file); returns what is left to write. */
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
}
