// One session's terminal mirror as the relay thread sees it when the mirror runs on the mirror worker.

import type { MirrorEvent } from './mirror-queue.js';
import type { SnapshotListener } from './terminal-mirror.js';

/** What a remote mirror needs from its pool. */
export interface MirrorLink {
  /** Appends one operation to the current batch; false when the worker is too far behind to take `data`. */
  send(id: number, kind: 'data', data: Buffer): boolean;
  send(id: number, kind: 'open' | 'resize' | 'reset', cols: number, rows: number): boolean;
  send(id: number, kind: 'snapshot', req: number): boolean;
  send(id: number, kind: 'close'): boolean;
  /** The mirror is gone: its replies are no longer wanted. */
  forget(id: number): void;
}

/** The snapshot reply of the worker, as the pool hands it over. */
export interface RemoteSnapshot {
  req: number;
  cols: number;
  rows: number;
  data: string;
  resynced: boolean;
  opsAt: number;
  after: MirrorEvent[];
}

interface LogEntry {
  /** Operations sent to the worker before this event. */
  sentBefore: number;
  /** Output position of the event. */
  start: number;
  ev: MirrorEvent;
}

/**
 * Invariants (the Live Stream contract: a snapshot, then every later byte once):
 * - Operations reach the worker in call order; a snapshot request is answered with the number of this mirror's
 *   operations the worker had applied (opsAt) and the events it had queued past the snapshot.
 * - While a request is outstanding, every event from the request on is kept here with the count of operations
 *   sent before it, so the reply is completed with the events the worker had not received yet: those with
 *   sentBefore ≥ opsAt, including output dropped for backpressure (a viewer gets every byte; only the screen is
 *   then approximate and marked resynced).
 * - Positions are this thread's: the snapshot's seq is where the first event after it starts, less the bytes
 *   the worker returned.
 */
export class RemoteMirror {
  private fed = 0;
  private sent = 0;
  private needReset = false;
  private readonly requests = new Map<number, SnapshotListener>();
  private nextReq = 1;
  private log: LogEntry[] = [];
  private disposed = false;

  constructor(
    private readonly link: MirrorLink,
    readonly id: number,
    private cols: number,
    private rows: number,
  ) {
    link.send(id, 'open', cols, rows);
  }

  /** Output bytes received so far (the seq of the next byte). */
  get seq(): number {
    return this.fed;
  }

  output(data: Buffer): void {
    if (this.disposed || data.length === 0) return;
    this.keep({ kind: 'data', data });
    this.fed += data.length;
    this.apply(() => this.link.send(this.id, 'data', data));
  }

  resize(cols: number, rows: number): void {
    if (this.disposed) return;
    this.cols = cols;
    this.rows = rows;
    this.keep({ kind: 'resize', cols, rows });
    this.apply(() => this.link.send(this.id, 'resize', cols, rows));
  }

  requestSnapshot(listener: SnapshotListener): void {
    if (this.disposed) return;
    const req = this.nextReq++;
    this.requests.set(req, listener);
    this.link.send(this.id, 'snapshot', req);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.requests.clear();
    this.log = [];
    this.link.send(this.id, 'close');
    this.link.forget(this.id);
  }

  /** @internal The pool's worker is new (the old one died): start over there, blank and marked resynced. */
  reopen(): void {
    if (this.disposed) return;
    this.sent = 0;
    this.needReset = false;
    this.log = [];
    this.link.send(this.id, 'open', this.cols, this.rows);
    this.link.send(this.id, 'reset', this.cols, this.rows);
    for (const req of this.requests.keys()) this.link.send(this.id, 'snapshot', req);
  }

  /** @internal The worker's answer to a request. */
  answered(r: RemoteSnapshot): void {
    const listener = this.requests.get(r.req);
    if (!listener) return;
    this.requests.delete(r.req);
    const mine = this.log.filter((e) => e.sentBefore >= r.opsAt);
    let returned = 0;
    for (const e of r.after) if (e.kind === 'data') returned += e.data.length;
    const seq = (mine[0]?.start ?? this.fed) - returned;
    if (this.requests.size === 0) this.log = [];
    listener({ cols: r.cols, rows: r.rows, data: r.data, resynced: r.resynced, seq }, [...r.after, ...mine.map((e) => e.ev)]);
  }

  private keep(ev: MirrorEvent): void {
    if (this.requests.size > 0) this.log.push({ sentBefore: this.sent, start: this.fed, ev });
  }

  /** Sends an operation, after a reset when output was dropped before; drops it when the worker is behind. */
  private apply(send: () => boolean): void {
    if (this.needReset) {
      if (!this.link.send(this.id, 'reset', this.cols, this.rows)) return;
      this.needReset = false;
    }
    if (send()) this.sent++;
    else this.needReset = true;
  }
}
