// Compression of recordings for the server: requests go to one worker thread (started on first use, never keeping
// the process alive), one at a time, so compressing a long recording never holds the relay's thread.

import type { CompressResult } from './cast-compress.js';
import type { SealResult } from './cast-seal.js';
import { castStat } from './cast-source.js';
import type { CompressReply, CompressRequest } from './compress-worker.js';
import { WorkerCalls } from './worker-calls.js';
import { startWorker } from './worker-launch.js';

/** Satisfies hub/compress-job.ts's RecordingCompressor. */
export class CastCompressor {
  private readonly calls = new WorkerCalls<CompressReply>({ name: 'compressor', start: () => startWorker(import.meta.url, 'compress-worker', null) });

  /** Compresses `castPath` if it matches `expected` (see compressCast); rejects when the worker failed or stopped. */
  compress(castPath: string, expected: { sha256: string; size: number | null }): Promise<CompressResult> {
    return this.call((id) => ({ type: 'compress', id, castPath, sha256: expected.sha256, size: expected.size })) as Promise<CompressResult>;
  }

  /** Seals the settled prefix of a recording still being written (see sealCast). */
  seal(castPath: string): Promise<SealResult> {
    return this.call((id) => ({ type: 'seal', id, castPath })) as Promise<SealResult>;
  }

  storedBytes(castPath: string): number | null {
    return castStat(castPath)?.storedBytes ?? null;
  }

  /** Stops the worker; a recording it was compressing keeps its plain file (compressCast removes it last). */
  close(): Promise<void> {
    return this.calls.close();
  }

  private async call(request: (id: number) => CompressRequest): Promise<CompressResult | SealResult> {
    const reply = await this.calls.call(request);
    if ('error' in reply) throw new Error(reply.error);
    return reply.result;
  }
}
