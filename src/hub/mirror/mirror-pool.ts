// The relay thread's side of the live terminal mirrors: one worker thread parses the output of every session.

import type { Worker } from 'node:worker_threads';
import { StagingBuffer } from '../../recording/staging-buffer.js';
import { startWorker } from '../../recording/worker-launch.js';
import { OP_HEADER, OpKind, type MirrorReply, type MirrorRequest, type MirrorWorkerData } from './mirror-protocol.js';
import { RemoteMirror, type MirrorLink } from './remote-mirror.js';

/**
 * Operations are posted when this many bytes are staged, or POST_DELAY_MS after the first one, or at once with a
 * snapshot request. A post costs the relay ~100 µs under load (500 typing sessions: one every 5 ms was 2% of its
 * time); a mirror a few tens of milliseconds behind is never seen, since viewers get their bytes from the relay.
 */
const STAGE_BYTES = 256 * 1024;
const POST_DELAY_MS = 50;

export interface MirrorPoolOptions {
  /** Output posted and not yet taken by the worker beyond which output is dropped for the mirrors (default 64 MiB). */
  maxBacklog?: number;
  /** Nice value of the worker thread (default 5: below the relay, above keyframes and search). */
  nice?: number;
  /**
   * Share of the time one mirror may spend parsing once it has fallen behind (default 0.1, i.e. 2.5 MB/s of
   * output, far above any interactive session); beyond it, bulk output is skipped to its tail (terminal-mirror.ts).
   * Parsing bulk output nobody may ever watch competes for the same cores as the relay.
   */
  maxShare?: number;
  /** Starts the worker; tests start one in a way of their choosing. Default: mirror-worker beside this file. */
  startWorker?: (data: MirrorWorkerData) => Worker;
  /** Told when the worker dies; the mirrors start over on a new one (blank screens, marked resynced). */
  onWorkerError?: (err: Error) => void;
}

/**
 * Live terminal mirrors kept on one worker thread for all sessions: the relay's thread only copies each
 * chunk into a staging buffer, posted in batches (a post costs tens of microseconds here; parsing costs
 * ~40 ms per MB). Snapshot requests travel in the same ordered stream and come back as messages.
 *
 * Invariants:
 * - Operations reach the worker in call order, each mirror's and across mirrors.
 * - Memory: output posted and not yet taken by the worker is bounded by `maxBacklog`; beyond it, output is
 *   dropped for the mirrors (never for the relay or the viewers) and each affected mirror starts over blank
 *   (resynced) when the worker catches up. The worker's own queues are bounded by the mirrors' skipping.
 */
export class MirrorPool implements MirrorLink {
  private worker: Worker | null = null;
  private readonly mirrors = new Map<number, RemoteMirror>();
  private nextId = 1;
  private readonly stage = new StagingBuffer(STAGE_BYTES);
  private postTimer: NodeJS.Timeout | null = null;
  /** Output bytes posted (or staged) and not yet reported taken by the worker. */
  private backlog = 0;
  private readonly maxBacklog: number;
  private closed = false;

  constructor(private readonly o: MirrorPoolOptions = {}) {
    this.maxBacklog = o.maxBacklog ?? 64 * 1024 * 1024;
  }

  /** A mirror of a cols×rows terminal on the worker. */
  create(cols: number, rows: number): RemoteMirror {
    const m = new RemoteMirror(this, this.nextId++, cols, rows);
    this.mirrors.set(m.id, m);
    return m;
  }

  /** Stops the worker; mirrors still open get no more answers. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.postTimer) clearTimeout(this.postTimer);
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }

  send(id: number, kind: 'open' | 'data' | 'resize' | 'reset' | 'snapshot' | 'close', a?: Buffer | number, b = 0): boolean {
    if (this.closed) return false;
    const data = typeof a === 'object' ? a : null;
    if (data && this.backlog > this.maxBacklog) return false;
    const len = data ? data.length : 0;
    const need = OP_HEADER + len;
    const at = this.stage.reserve(need, () => this.post());
    const v = this.stage.view;
    v.setUint32(at, id, true);
    v.setUint32(at + 4, KINDS[kind], true);
    v.setUint32(at + 8, data ? len : typeof a === 'number' ? a : 0, true);
    v.setUint32(at + 12, b, true);
    if (data) data.copy(this.stage.bytes, at + OP_HEADER);
    this.backlog += len;
    if (kind === 'snapshot' || this.stage.used >= STAGE_BYTES) this.post();
    else if (!this.postTimer) {
      this.postTimer = setTimeout(() => this.post(), POST_DELAY_MS);
      this.postTimer.unref();
    }
    return true;
  }

  forget(id: number): void {
    this.mirrors.delete(id);
  }

  private post(): void {
    if (this.postTimer) clearTimeout(this.postTimer);
    this.postTimer = null;
    if (this.stage.used === 0 || this.closed) return;
    const w = this.ensureWorker();
    const batch = this.stage.take()!;
    const msg: MirrorRequest = { type: 'ops', buf: batch.buf, length: batch.length };
    w.postMessage(msg, [batch.buf]);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const data: MirrorWorkerData = { nice: this.o.nice ?? 5, maxShare: this.o.maxShare ?? 0.1 };
    const w = this.o.startWorker ? this.o.startWorker(data) : startWorker(import.meta.url, 'mirror-worker', data);
    // Mirrors alone do not keep the process alive.
    w.unref();
    let crash: Error | null = null;
    w.on('message', (m: MirrorReply) => this.reply(m));
    w.on('error', (err) => (crash = err));
    w.on('exit', (code) => {
      if (this.worker !== w) return;
      this.worker = null;
      if (this.closed) return;
      this.o.onWorkerError?.(crash ?? new Error(`mirror worker stopped (exit code ${code})`));
      // What was staged was meant for the dead worker; the mirrors start over on the next one.
      this.stage.clear();
      this.backlog = 0;
      for (const m of this.mirrors.values()) m.reopen();
    });
    this.worker = w;
    return w;
  }

  private reply(m: MirrorReply): void {
    if (m.type === 'consumed') {
      this.backlog = Math.max(0, this.backlog - m.bytes);
      return;
    }
    const after = m.after.map((e) =>
      e instanceof Uint8Array
        ? { kind: 'data' as const, data: Buffer.from(e.buffer, e.byteOffset, e.byteLength) }
        : { kind: 'resize' as const, cols: e[0], rows: e[1] },
    );
    const { cols, rows, data, resynced } = m.snap;
    this.mirrors.get(m.id)?.answered({ req: m.req, cols, rows, data, resynced, opsAt: m.opsAt, after });
  }
}

const KINDS = { open: OpKind.Open, data: OpKind.Data, resize: OpKind.Resize, reset: OpKind.Reset, snapshot: OpKind.Snapshot, close: OpKind.Close } as const;
