// Keyframes for the server: a session tap that has the worker follow a live recording, and on-demand completion of any recording's index.

import type { SessionTap } from '../../hub/live-session.js';
import { WorkerCalls } from '../worker-calls.js';
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
  private readonly calls: WorkerCalls<Extract<KeyframeWorkerReply, { type: 'built' }>>;

  constructor(private readonly o: KeyframeServiceOptions = {}) {
    this.calls = new WorkerCalls({
      name: 'keyframe service',
      start: () => startWorker(import.meta.url, 'keyframe-worker', null),
      onOther: (msg) => {
        const m = msg as KeyframeWorkerReply;
        if (m.type === 'failed') this.o.onError?.(m.path, m.error);
      },
      onError: (err) => this.o.onError?.('(worker)', err.message),
    });
  }

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
    const reply = await this.calls.call((id) => ({ type: 'build', id, path: castPath }) satisfies KeyframeWorkerRequest);
    if (reply.error) throw new Error(`cannot index the recording: ${reply.error}`);
  }

  /** Stops the worker; indexes it was writing are resumed later. */
  close(): Promise<void> {
    return this.calls.close();
  }

  private post(msg: KeyframeWorkerRequest): boolean {
    return this.calls.post(msg);
  }
}
