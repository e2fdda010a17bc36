// Calls to a worker thread started on first use: each request carries a fresh id and settles with the reply of
// that id; when the worker stops, pending calls reject and the next call starts a new one.

import type { Worker } from 'node:worker_threads';

export interface WorkerCallsOptions {
  /** Starts the worker (startWorker in worker-launch.ts); it is unref'd: calls alone never keep the process alive. */
  start: () => Worker;
  /** Messages that answer no pending call (the worker's own reports). */
  onOther?: (msg: unknown) => void;
  /** The worker failed (its pending calls are rejected with the same error). */
  onError?: (err: Error) => void;
  /** Named in errors: "<name> is closed", "<name> worker stopped". */
  name: string;
}

export class WorkerCalls<Rep extends { id: number }> {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Rep) => void; reject: (err: Error) => void }>();
  private closed = false;

  constructor(private readonly o: WorkerCallsOptions) {}

  /** Posts `request(id)` and resolves with the reply carrying that id. */
  call(request: (id: number) => unknown): Promise<Rep> {
    if (this.closed) return Promise.reject(new Error(`${this.o.name} is closed`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ensureWorker().postMessage(request(id));
    });
  }

  /** Posts a message that gets no reply; false once closed. */
  post(msg: unknown): boolean {
    if (this.closed) return false;
    this.ensureWorker().postMessage(msg);
    return true;
  }

  /** Stops the worker; pending calls reject. */
  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
    this.rejectAll(new Error(`${this.o.name} closed`));
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const w = this.o.start();
    w.unref();
    w.on('message', (msg: Rep) => {
      const p = typeof msg?.id === 'number' ? this.pending.get(msg.id) : undefined;
      if (!p) return this.o.onOther?.(msg);
      this.pending.delete(msg.id);
      p.resolve(msg);
    });
    w.on('error', (err) => {
      this.o.onError?.(err);
      this.rejectAll(err);
    });
    w.on('exit', () => {
      if (this.worker === w) this.worker = null;
      this.rejectAll(new Error(`${this.o.name} worker stopped`));
    });
    this.worker = w;
    return w;
  }

  private rejectAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
