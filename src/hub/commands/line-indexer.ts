// Feeds a session's displayed lines to the search index while it runs, in bounded batches, off the relay path.
//
// Bounds (each session): at most maxQueueBytes of output wait to be read (beyond that output is not indexed and
// counted in droppedBytes: bulk output must never slow the relay); at most maxIndexedBytes of distinct line text are
// indexed; a line already indexed for the session is not indexed again. Batches go out every flushMs or maxBatch
// lines, one transaction each. The per-session search of Session Logs reads the recording, so it still finds what
// these bounds leave out of the cross-session index.

import type { Clock } from '../../core/clock.js';
import type { IndexedLine, SearchIndex } from '../../core/session-logs.js';
import { TextLines } from './text-lines.js';

export interface LineIndexerOptions {
  sessionId: number;
  startedAt: Date;
  index: Pick<SearchIndex, 'addLines'>;
  clock: Clock;
  onError(err: unknown): void;
  maxQueueBytes?: number;
  maxIndexedBytes?: number;
  maxDistinct?: number;
  maxBatch?: number;
  flushMs?: number;
  /** Bytes parsed per turn of the event loop. */
  sliceBytes?: number;
}

export class LineIndexer {
  private queue: Array<{ data: Buffer; offset: number }> = [];
  private queued = 0;
  private offset = 0;
  private readonly lines: TextLines;
  private batch: IndexedLine[] = [];
  private readonly seen = new Set<string>();
  private indexedBytes = 0;
  private scheduled = false;
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  private stopped = false;
  /** Output bytes not indexed because the queue was full. */
  droppedBytes = 0;
  /** True once maxIndexedBytes was reached. */
  truncated = false;

  constructor(private readonly o: LineIndexerOptions) {
    this.lines = new TextLines((text) => this.line(text));
  }

  output(data: Buffer): void {
    if (this.stopped || this.truncated) return;
    if (this.queued + data.length > (this.o.maxQueueBytes ?? 1024 * 1024)) {
      this.droppedBytes += data.length;
      return;
    }
    this.queue.push({ data, offset: (this.o.clock.now().getTime() - this.o.startedAt.getTime()) / 1000 });
    this.queued += data.length;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  /** Parses what is queued, writes the last batch; resolves once it is stored. */
  async end(): Promise<void> {
    this.drain(Infinity);
    this.lines.flush();
    this.stopped = true;
    this.flush();
    await this.writing;
  }

  private drain(budget = this.o.sliceBytes ?? 256 * 1024): void {
    this.scheduled = false;
    let used = 0;
    while (this.queue.length && used < budget) {
      const { data, offset } = this.queue.shift()!;
      this.queued -= data.length;
      this.offset = offset;
      this.lines.write(data);
      used += data.length;
    }
    if (this.queue.length && !this.scheduled && budget !== Infinity) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  private line(text: string): void {
    if (this.truncated || this.stopped) return;
    if (this.seen.has(text)) return;
    if (this.seen.size < (this.o.maxDistinct ?? 20_000)) this.seen.add(text);
    this.indexedBytes += text.length;
    if (this.indexedBytes > (this.o.maxIndexedBytes ?? 8 * 1024 * 1024)) {
      this.truncated = true;
      this.queue = [];
      this.queued = 0;
      return;
    }
    this.batch.push({ sessionId: this.o.sessionId, offset: Math.round(this.offset * 1000) / 1000, kind: 'output', text });
    if (this.batch.length >= (this.o.maxBatch ?? 500)) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.o.flushMs ?? 1000);
      this.timer.unref?.();
    }
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.batch.length === 0) return;
    const batch = this.batch;
    this.batch = [];
    // Batches are written one after another, never concurrently.
    this.writing = this.writing.then(() => this.o.index.addLines(batch)).catch((err: unknown) => this.o.onError(err));
  }
}
