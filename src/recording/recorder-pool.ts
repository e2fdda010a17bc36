// The relay thread's side of recording: one worker thread encodes, hashes and writes the recordings of all sessions.

import type { Worker } from 'node:worker_threads';
import type { RecordingHeader } from '../core/ports.js';
import { VigilError } from '../core/errors.js';
import { isValidRecordingHeader } from './asciicast-format.js';
import { PooledRecorder, type RecorderLink, type Waiting } from './pooled-recorder.js';
import { EVENT_HEADER, type EventKind, type RecorderReply, type RecorderRequest, type WireError } from './recorder-protocol.js';
import { startWorker } from './worker-launch.js';
import { StagingBuffer } from './staging-buffer.js';

export { PooledRecorder } from './pooled-recorder.js';

/**
 * Events are copied into a staging buffer, posted as one batch when it holds this much, or POST_DELAY_MS after
 * its first event: a post costs tens of microseconds on this thread (~100 under load: with 500 typing sessions,
 * one every 10 ms was 3% of the relay's time), so bulk output goes in few large batches; the delay is small next
 * to the writer's flush interval (an event is in the file within delay + flushIntervalMs, under a second).
 */
const STAGE_BYTES = 256 * 1024;
const POST_DELAY_MS = 50;

export interface RecorderPoolOptions {
  /**
   * Bytes handed to the worker and not yet written, over all recordings, above which every recorder reports
   * the pool's backlog as its own, so that every relay pauses (see {@link PooledRecorder.pendingBytes}); default 64 MiB.
   */
  maxBacklog?: number;
  /** Starts the worker; tests start one that injects faults. Default: recorder-worker beside this file. */
  startWorker?: () => Worker;
}

export interface PooledRecorderOptions {
  path: string;
  header: RecordingHeader;
  /** Monotonic milliseconds, read on the calling thread when each event happens; default `performance.now`. */
  now?: () => number;
  /** See {@link AsciicastWriterOptions.flushIntervalMs}: default 250, at most 1000. */
  flushIntervalMs?: number;
}

/**
 * Recorders whose work runs on one shared worker thread: the relay's thread only timestamps each event and
 * copies its bytes into a staging buffer, posted in batches (no encoding, hashing or file I/O there). One
 * worker serves every session: 500 sessions cost 500 small objects here and 500 writers there, not 500 threads.
 *
 * Invariants:
 * - Events reach the worker in call order, each session's and across sessions; a flush or close is posted
 *   after the events before it, so its reply covers them.
 * - Each file is made by an {@link AsciicastWriter} in the worker, fed the event times read here: the bytes
 *   are those the writer makes on the relay's thread (an output event may end at a different timer flush),
 *   with the same guarantees (flushed within `flushIntervalMs`; SHA-256 and size of what the file accepted).
 * - Backlog: a recorder's {@link PooledRecorder.pendingBytes} counts its events not yet in the file (copied,
 *   posted, or encoded and waiting for the disk). Callers pause above their limit and resume after `flush()`.
 *   Over the pool's `maxBacklog`, every recorder reports the pool's backlog, so that all sources pause while
 *   the worker catches up. Nothing is dropped: memory is bounded by how much callers let through.
 * - If the worker dies, every open recorder fails (onError: the session's failure policy applies), and closing
 *   it repairs the file to its last whole event and measures it. The next open starts a new worker.
 */
export class RecorderPool implements RecorderLink {
  private worker: Worker | null = null;
  private readonly maxBacklog: number;
  private nextId = 1;
  private nextToken = 1;
  private readonly live = new Map<number, PooledRecorder>();
  private readonly opening = new Map<number, Waiting<void>>();
  /** Requests waiting for a reply keep the process alive; an idle worker does not. */
  private waits = 0;
  /** Owns its whole ArrayBuffer (never a slice of Node's pool), so that it can be transferred. */
  private readonly stage = new StagingBuffer(STAGE_BYTES);
  private postTimer: NodeJS.Timeout | null = null;
  private closed = false;
  /** Sum of the live recorders' backlogs. */
  private total = 0;

  constructor(private readonly o: RecorderPoolOptions = {}) {
    this.maxBacklog = o.maxBacklog ?? 64 * 1024 * 1024;
  }

  /** Bytes handed over and not yet written, over all recordings. */
  get backlog(): number {
    return this.total;
  }

  /**
   * Creates the directories (0700) and the file (0600) and writes the header, on the worker. Rejects like
   * {@link AsciicastWriter.open}: BadRequest for bad options, Unavailable when the file cannot be started.
   */
  async open(opts: PooledRecorderOptions): Promise<PooledRecorder> {
    if (this.closed) throw VigilError.unavailable('the recorder pool is closed');
    const flushIntervalMs = opts.flushIntervalMs ?? 250;
    if (!(flushIntervalMs > 0 && flushIntervalMs <= 1000)) throw VigilError.badRequest('flushIntervalMs must be in (0, 1000]');
    if (!isValidRecordingHeader(opts.header)) throw VigilError.badRequest('invalid recording header');
    const id = this.nextId++;
    try {
      await this.ask<void>(this.opening, id, { type: 'open', id, path: opts.path, header: opts.header, flushIntervalMs });
    } catch (err) {
      throw err instanceof VigilError ? err : VigilError.unavailable('cannot start the session recording', err);
    }
    const rec = new PooledRecorder(this, id, opts.path, opts.now ?? (() => performance.now()));
    this.live.set(id, rec);
    return rec;
  }

  /** Closes the recorders still open, then stops the worker. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.live.values()].map((r) => r.close()));
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }

  /** @internal Copies one event into the staging buffer (the caller may reuse `data` at once). */
  append(id: number, kind: EventKind, ms: number, data: Buffer | null, cols = 0, rows = 0): void {
    const len = data ? data.length : 8;
    const need = EVENT_HEADER + len;
    const at = this.stage.reserve(need, () => this.post());
    const v = this.stage.view;
    v.setUint32(at, id, true);
    v.setUint32(at + 4, kind, true);
    v.setFloat64(at + 8, ms, true);
    v.setUint32(at + 16, len, true);
    if (data) data.copy(this.stage.bytes, at + EVENT_HEADER);
    else {
      v.setUint32(at + EVENT_HEADER, cols, true);
      v.setUint32(at + EVENT_HEADER + 4, rows, true);
    }
    this.total += len;
    if (this.stage.used >= STAGE_BYTES) this.post();
    else if (!this.postTimer) {
      this.postTimer = setTimeout(() => this.post(), POST_DELAY_MS);
      // Like the writer's flush timer: a recording alone does not keep the process alive.
      this.postTimer.unref();
    }
  }

  /** @internal Posts a request after the staged events, and resolves with the reply's value. */
  ask<T>(table: Map<number, Waiting<T>>, key: number, msg: RecorderRequest): Promise<T> {
    // After close() no new worker is started: a request to a pool that lost its worker fails at once.
    if (this.closed && !this.worker) return Promise.reject(new Error('the recorder pool is closed'));
    const w = this.ensureWorker();
    this.post();
    return new Promise<T>((resolve, reject) => {
      if (this.waits++ === 0) w.ref();
      const done = (): void => {
        if (--this.waits === 0) this.worker?.unref();
      };
      table.set(key, { resolve: (v) => (done(), resolve(v)), reject: (e) => (done(), reject(e)) });
      w.postMessage(msg);
    });
  }

  /** @internal A new flush token. */
  token(): number {
    return this.nextToken++;
  }

  /** @internal The backlog of a recorder changed by `delta`. */
  adjust(delta: number): void {
    this.total += delta;
  }

  /** @internal True when the pool as a whole is over its backlog limit. */
  get overBudget(): boolean {
    return this.total > this.maxBacklog;
  }

  /** @internal A recorder closed (or its worker died): it no longer counts. */
  forget(id: number): void {
    this.live.delete(id);
  }

  private post(): void {
    if (this.postTimer) clearTimeout(this.postTimer);
    this.postTimer = null;
    if (!this.worker) {
      this.stage.clear();
      return;
    }
    const batch = this.stage.take();
    if (!batch) return;
    const msg: RecorderRequest = { type: 'events', buf: batch.buf, length: batch.length };
    this.worker.postMessage(msg, [batch.buf]);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const w = this.o.startWorker ? this.o.startWorker() : startWorker(import.meta.url, 'recorder-worker', null);
    w.unref();
    let crash: Error | null = null;
    w.on('message', (m: RecorderReply) => this.reply(m));
    w.on('error', (err) => (crash = err));
    w.on('exit', (code) => {
      if (this.worker === w) this.worker = null;
      this.workerGone(crash ?? new Error(`recording worker stopped (exit code ${code})`));
    });
    this.worker = w;
    return w;
  }

  private reply(m: RecorderReply): void {
    switch (m.type) {
      case 'opened':
        this.settle(this.opening, m.id)?.resolve();
        return;
      case 'open-failed':
        this.settle(this.opening, m.id)?.reject(fromWire(m.error));
        return;
      case 'progress':
        for (const row of m.rows) this.live.get(row[0])?.progress(row);
        return;
      case 'failed':
        this.live.get(m.id)?.fail(fromWire(m.error));
        return;
      case 'flushed':
        this.live.get(m.id)?.flushed(m.token);
        return;
      case 'closed':
        this.live.get(m.id)?.closed(m.summary);
    }
  }

  private settle<T>(table: Map<number, Waiting<T>>, key: number): Waiting<T> | undefined {
    const w = table.get(key);
    table.delete(key);
    return w;
  }

  private workerGone(err: Error): void {
    this.stage.clear();
    for (const w of this.opening.values()) w.reject(VigilError.unavailable('cannot start the session recording', err));
    this.opening.clear();
    for (const r of [...this.live.values()]) r.orphaned(err);
  }
}

function fromWire(e: WireError): Error {
  const cause = e.cause === undefined ? undefined : new Error(e.cause);
  const err = e.kind ? new VigilError(e.kind, e.message, { cause }) : new Error(e.message, cause ? { cause } : undefined);
  if (e.code) Object.assign(err, { code: e.code });
  return err;
}
