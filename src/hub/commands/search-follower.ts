// The main thread's side of the search worker: which recordings to follow, commands to index, and a flush for tests.

import type { Worker } from 'node:worker_threads';
import type { IndexedLine, SearchIndex } from '../../core/session-logs.js';
import { startWorker } from '../../recording/worker-launch.js';
import type { HubLogger } from '../session-hub.js';
import type { SearchWorkerData, SearchWorkerReply, SearchWorkerRequest } from './search-worker.js';

/** Indexes what sessions display, from their recordings. */
export interface RecordingIndexer {
  follow(sessionId: number, recordingPath: string): void;
  /** The session ended: read its recording to the end once the recorder has closed it. */
  ended(sessionId: number): void;
}

export class SearchFollower implements RecordingIndexer, Pick<SearchIndex, 'addLines'> {
  private nextId = 1;
  private readonly flushes = new Map<number, () => void>();

  private constructor(private readonly worker: Worker, logger: HubLogger) {
    worker.on('message', (m: SearchWorkerReply) => {
      if (m.type === 'flushed') {
        this.flushes.get(m.id)?.();
        this.flushes.delete(m.id);
        if (this.flushes.size === 0) worker.unref();
      } else logger.warn({ sessionId: m.sessionId, err: m.error }, 'search index: a recording could not be read');
    });
    worker.on('error', (err) => logger.error({ err: err.message }, 'search index worker failed'));
    worker.unref();
  }

  /** Starts the worker on the index file (search.db). */
  static start(data: SearchWorkerData, logger: HubLogger): SearchFollower {
    return new SearchFollower(startWorker(import.meta.url, 'search-worker', data), logger);
  }

  private send(msg: SearchWorkerRequest): void {
    this.worker.postMessage(msg);
  }

  follow(sessionId: number, recordingPath: string): void {
    this.send({ type: 'follow', sessionId, path: recordingPath });
  }

  ended(sessionId: number, settleMs = 2000): void {
    this.send({ type: 'ended', sessionId, settleMs });
  }

  /** Commands, written by the worker too: the index has one writer, and the relay's thread never waits on it. */
  async addLines(lines: readonly IndexedLine[]): Promise<void> {
    if (lines.length) this.send({ type: 'lines', lines: [...lines] });
  }

  /** Resolves once everything sent so far and all recordings on disk are indexed. */
  flush(): Promise<void> {
    const id = this.nextId++;
    // The worker does not keep the process alive, except while someone waits for it.
    this.worker.ref();
    return new Promise((resolve) => {
      this.flushes.set(id, resolve);
      this.send({ type: 'flush', id });
    });
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}
