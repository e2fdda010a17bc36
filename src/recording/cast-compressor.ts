// Compression of closed recordings for the server: requests go to one worker thread (started on first use, never
// keeping the process alive), one at a time, so compressing a long recording never holds the relay's thread.

import type { Worker } from 'node:worker_threads';
import type { CompressResult } from './cast-compress.js';
import type { SealResult } from './cast-seal.js';
import { castStat } from './cast-source.js';
import type { CompressReply, CompressRequest } from './compress-worker.js';
import { startWorker } from './worker-launch.js';

/** Satisfies hub/compress-job.ts's RecordingCompressor. */
export class CastCompressor {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: CompressResult | SealResult) => void; reject: (err: Error) => void }>();
  private closed = false;

  /** Compresses `castPath` if it matches `expected` (see compressCast); rejects when the worker failed or stopped. */
  compress(castPath: string, expected: { sha256: string; size: number | null }): Promise<CompressResult> {
    return this.call({ type: 'compress', id: 0, castPath, sha256: expected.sha256, size: expected.size }) as Promise<CompressResult>;
  }

  /** Seals the settled prefix of a recording still being written (see sealCast). */
  seal(castPath: string): Promise<SealResult> {
    return this.call({ type: 'seal', id: 0, castPath }) as Promise<SealResult>;
  }

  private call(req: CompressRequest): Promise<CompressResult | SealResult> {
    if (this.closed) return Promise.reject(new Error('compressor is closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ensureWorker().postMessage({ ...req, id } satisfies CompressRequest);
    });
  }

  storedBytes(castPath: string): number | null {
    return castStat(castPath)?.storedBytes ?? null;
  }

  /** Stops the worker; a recording it was compressing keeps its plain file (compressCast removes it last). */
  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
    this.rejectAll(new Error('compressor closed'));
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const w = startWorker(import.meta.url, 'compress-worker', null);
    w.unref();
    w.on('message', (msg: CompressReply) => {
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if ('error' in msg) p?.reject(new Error(msg.error));
      else p?.resolve(msg.result);
    });
    w.on('error', (err) => this.rejectAll(err));
    w.on('exit', () => {
      if (this.worker === w) this.worker = null;
      this.rejectAll(new Error('compression worker stopped'));
    });
    this.worker = w;
    return w;
  }

  private rejectAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
