// A session's recorder whose encoding, hashing and writing run on the RecorderPool's worker thread.

import { stat } from 'node:fs/promises';
import type { Recorder, RecordingSummary } from '../core/ports.js';
import { repairRecording } from './asciicast-repair.js';
import { sha256File } from './integrity.js';
import { INPUT, OUTPUT, RESIZE, type EventKind, type Progress, type RecorderRequest } from './recorder-protocol.js';

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** A caller waiting for the worker's reply. */
export interface Waiting<T> {
  resolve: (v: T) => void;
  reject: (err: Error) => void;
}

/** What a pooled recorder needs from its pool (the RecorderPool). */
export interface RecorderLink {
  /** Stages one event (data, or cols and rows for a resize); the caller may reuse `data` at once. */
  append(id: number, kind: EventKind, ms: number, data: Buffer | null, cols?: number, rows?: number): void;
  /** Posts a request after the staged events; resolves with the reply's value, rejects if the worker dies. */
  ask<T>(table: Map<number, Waiting<T>>, key: number, msg: RecorderRequest): Promise<T>;
  token(): number;
  /** The recorder's backlog changed by `delta`. */
  adjust(delta: number): void;
  /** Bytes handed over and not yet written, over all recordings, and whether that is over the pool's limit. */
  readonly backlog: number;
  readonly overBudget: boolean;
  /** The recorder is closed: it no longer counts. */
  forget(id: number): void;
}

/** A session's recorder on the RecorderPool's worker. */
export class PooledRecorder implements Recorder {
  private backlog = 0;
  private sent = 0;
  private failure: Error | null = null;
  private closing: Promise<RecordingSummary> | null = null;
  private ended = false;
  private readonly t0: number;
  private readonly errorListeners: Array<(err: Error) => void> = [];
  private readonly flushes = new Map<number, Waiting<void>>();
  private readonly closes = new Map<number, Waiting<RecordingSummary | null>>();
  /** Set when the worker died: the file is measured from disk at close. */
  private lost = false;

  constructor(
    private readonly pool: RecorderLink,
    private readonly id: number,
    readonly path: string,
    private readonly now: () => number,
  ) {
    this.t0 = now();
  }

  /**
   * Bytes of this recording not yet in the file; the pool's whole backlog instead while the pool is over its
   * limit, so that every source pauses. 0 after a failure (nothing more will be written) and after close.
   */
  get pendingBytes(): number {
    if (this.failure || this.ended) return 0;
    return this.pool.overBudget ? Math.max(this.backlog, this.pool.backlog) : this.backlog;
  }

  output(data: Buffer): void {
    if (this.closing || this.failure || data.length === 0) return;
    this.add(OUTPUT, data);
  }

  input(data: Buffer): void {
    if (this.closing || this.failure || data.length === 0) return;
    this.add(INPUT, data);
  }

  resize(cols: number, rows: number): void {
    if (this.closing || this.failure) return;
    if (!Number.isInteger(cols) || !Number.isInteger(rows) || cols <= 0 || rows <= 0 || cols > 0xffffffff || rows > 0xffffffff) return;
    this.pool.append(this.id, RESIZE, this.now() - this.t0, null, cols, rows);
    this.sent += 8;
    this.backlog += 8;
  }

  onError(cb: (err: Error) => void): void {
    this.errorListeners.push(cb);
    const err = this.failure;
    if (err) queueMicrotask(() => callListener(cb, err));
  }

  /** Resolves once everything recorded so far is in the file (or writing failed). Never rejects. */
  async flush(): Promise<void> {
    if (this.failure || this.ended || this.lost) return;
    const token = this.pool.token();
    await this.pool.ask(this.flushes, token, { type: 'flush', id: this.id, token }).catch(() => undefined);
  }

  close(): Promise<RecordingSummary> {
    this.closing ??= this.finish();
    return this.closing;
  }

  /** @internal */
  progress([, consumed, unwritten]: Progress): void {
    if (this.failure || this.ended) return;
    this.setBacklog(this.sent - consumed + unwritten);
  }

  /** @internal Writing failed in the worker: nothing more is sent; listeners hear it once. */
  fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.setBacklog(0);
    for (const cb of this.errorListeners) callListener(cb, err);
  }

  /** @internal */
  flushed(token: number): void {
    const w = this.flushes.get(token);
    this.flushes.delete(token);
    w?.resolve();
  }

  /** @internal */
  closed(summary: RecordingSummary | null): void {
    const w = this.closes.get(this.id);
    this.closes.delete(this.id);
    w?.resolve(summary);
  }

  /** @internal The worker died with this recording open. */
  orphaned(err: Error): void {
    this.lost = true;
    this.fail(new Error(`recording worker failed: ${err.message}`, { cause: err }));
    for (const w of this.flushes.values()) w.resolve();
    this.flushes.clear();
    for (const w of this.closes.values()) w.reject(err);
    this.closes.clear();
  }

  private add(kind: EventKind, data: Buffer): void {
    this.pool.append(this.id, kind, this.now() - this.t0, data);
    this.sent += data.length;
    this.backlog += data.length;
  }

  private setBacklog(n: number): void {
    this.pool.adjust(n - this.backlog);
    this.backlog = n;
  }

  private async finish(): Promise<RecordingSummary> {
    let summary: RecordingSummary | null = null;
    if (!this.lost) {
      summary = await this.pool.ask(this.closes, this.id, { type: 'close', id: this.id }).catch(() => null);
    }
    // The worker died before it could close the file: cut it to its last whole event and measure it.
    summary ??= await measureAfterLoss(this.path);
    this.ended = true;
    this.setBacklog(0);
    this.pool.forget(this.id);
    return summary;
  }
}

/** The summary of a recording whose writer was lost: cut to its last whole event (as after a crash) and measured. */
async function measureAfterLoss(path: string): Promise<RecordingSummary> {
  try {
    return (await repairRecording(path)) ?? { path, size: 0, duration: 0, sha256: EMPTY_SHA256 };
  } catch {
    // Not repairable as a recording (repair leaves such a file untouched): describe it as it is.
    const [sha256, st] = await Promise.all([sha256File(path), stat(path)]).catch(() => [EMPTY_SHA256, { size: 0 }] as const);
    return { path, size: st.size, duration: 0, sha256 };
  }
}

/** A listener that throws must not break the recorder; its error surfaces as an uncaught exception, like an emitter's. */
function callListener(cb: (err: Error) => void, err: Error): void {
  try {
    cb(err);
  } catch (thrown) {
    process.nextTick(() => {
      throw thrown;
    });
  }
}
