// Keyframes for the server: a session tap that has the worker follow a live recording, and on-demand completion of any recording's index.

import type { Worker } from 'node:worker_threads';
import type { SessionTap } from '../../hub/live-session.js';
import { startWorker } from '../worker-launch.js';
import { castSize, isComplete, readIndex } from './keyframe-index.js';
import type { KeyframeWorkerReply, KeyframeWorkerRequest } from './keyframe-worker.js';

export interface KeyframeServiceOptions {
  /** How long after a session ends its recording may still grow (the recorder's last flush); default 1500 ms. */
  settleMs?: number;
  /** Told when the worker could not index a recording (it is retried on the next ensure). */
  onError?: (path: string, error: string) => void;
}

/**
 * Runs the keyframe worker (started on first use, never keeping the process alive) and talks to it.
 * If the worker dies, pending calls reject and the next call starts a new one; recordings it was
 * following are completed on demand by ensure().
 */
export class KeyframeService {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  private closed = false;

  constructor(private readonly o: KeyframeServiceOptions = {}) {}

  /** A tap for a live session recorded at `castPath`: the worker follows the file until the session ends. */
  track(castPath: string): SessionTap {
    this.post({ type: 'follow', path: castPath });
    return {
      output: () => undefined,
      resize: () => undefined,
      end: () => this.post({ type: 'ended', path: castPath, settleMs: this.o.settleMs ?? 1500 }),
    };
  }

  /** Resolves once the recording's keyframe index is complete (at once when it already is). */
  async ensure(castPath: string): Promise<void> {
    if (isComplete(readIndex(castPath), castSize(castPath))) return;
    const id = this.nextId++;
    await new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (!this.post({ type: 'build', id, path: castPath })) {
        this.pending.delete(id);
        reject(new Error('keyframe service is closed'));
      }
    });
  }

  /** Stops the worker; indexes it was writing are resumed later. */
  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
    this.rejectAll(new Error('keyframe service closed'));
  }

  private post(msg: KeyframeWorkerRequest): boolean {
    if (this.closed) return false;
    this.ensureWorker().postMessage(msg);
    return true;
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const w = startWorker(import.meta.url, 'keyframe-worker', null);
    w.unref();
    w.on('message', (msg: KeyframeWorkerReply) => {
      if (msg.type === 'failed') {
        this.o.onError?.(msg.path, msg.error);
        return;
      }
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.error) p?.reject(new Error(`cannot index the recording: ${msg.error}`));
      else p?.resolve();
    });
    w.on('error', (err) => this.o.onError?.('(worker)', err.message));
    w.on('exit', () => {
      if (this.worker === w) this.worker = null;
      this.rejectAll(new Error('keyframe worker stopped'));
    });
    this.worker = w;
    return w;
  }

  private rejectAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
