// Binary-framed messages for a worker thread, written in place into one buffer and handed over in batches.

/**
 * Records are written at the offset `reserve` returns (through `bytes` or `view`). `take` hands the batch over: a
 * well-filled buffer is itself transferred (a fresh one costs less than copying it out) and replaced; a few records
 * are copied out and the buffer kept.
 */
export class StagingBuffer {
  bytes!: Buffer;
  view!: DataView;
  /** Bytes staged. */
  used = 0;

  constructor(private readonly size: number) {
    this.renew(size);
  }

  /**
   * Room for a record of `need` bytes: when it does not fit, `flush` is called first (it should take() what is
   * staged); a record larger than the buffer gets a buffer of its own. Returns where to write it.
   */
  reserve(need: number, flush: () => void): number {
    if (this.used + need > this.bytes.length) {
      flush();
      if (this.used + need > this.bytes.length) this.renew(Math.max(need, this.size));
      this.used = 0;
    }
    const at = this.used;
    this.used += need;
    return at;
  }

  /** The staged batch as a transferable buffer and its length; null when nothing is staged. */
  take(): { buf: ArrayBuffer; length: number } | null {
    const length = this.used;
    if (length === 0) return null;
    this.used = 0;
    if (length >= this.size / 4) {
      const buf = this.bytes.buffer as ArrayBuffer;
      this.renew(this.size);
      return { buf, length };
    }
    return { buf: this.bytes.buffer.slice(0, length) as ArrayBuffer, length };
  }

  /** Forgets what is staged (it was meant for a worker that is gone). */
  clear(): void {
    this.used = 0;
  }

  private renew(size: number): void {
    this.bytes = Buffer.allocUnsafeSlow(size);
    this.view = new DataView(this.bytes.buffer, 0, size);
  }
}
