// Live Stream of one session: a terminal mirror kept current off the relay path, and the viewers it feeds —
// each starts from an exact snapshot, then gets every later byte exactly once; a slow one is resynchronised.

import type { SessionTap } from './live-session.js';
import { TerminalMirror, type MirrorEvent, type SnapshotListener, type TerminalMirrorOptions } from './mirror/terminal-mirror.js';

/** A session's screen state as the Live Stream uses it: kept in this thread (TerminalMirror) or on the mirror worker. */
export interface LiveMirror {
  output(data: Buffer): void;
  resize(cols: number, rows: number): void;
  /** Answers, once, with a snapshot and everything received after it (see SnapshotListener); never after dispose(). */
  requestSnapshot(listener: SnapshotListener): void;
  dispose(): void;
}

/** What a viewer receives (the API's LiveMessage). */
export type LiveStreamMessage =
  | { type: 'snapshot'; cols: number; rows: number; data: string; seq: number }
  | { type: 'output'; data: string; seq: number }
  | { type: 'resize'; cols: number; rows: number }
  | { type: 'end'; status: string };

/** A viewer: `send` returns false when it could not take the message (backed up); it is then resynchronised. */
export interface LiveStreamViewer {
  send(msg: LiveStreamMessage): boolean;
}

interface ViewerState {
  viewer: LiveStreamViewer;
  /** pending: waiting for its snapshot; live: receiving output; resync: dropped a message, a new snapshot is due. */
  state: 'pending' | 'live' | 'resync';
  decoder: TextDecoder;
  /** Byte position of the next output byte this viewer expects. */
  seq: number;
  /** Byte position where the next text message starts (bytes of an unfinished UTF-8 character wait in the decoder). */
  textSeq: number;
  retry: NodeJS.Timeout | null;
}

export interface LiveStreamOptions {
  cols: number;
  rows: number;
  /** Delay before a slow viewer gets a fresh snapshot (ms). */
  resyncDelayMs?: number;
  /** Tuning of the terminal mirror (queue and parse budgets); defaults suit a relay. Ignored with `source`. */
  mirror?: Omit<TerminalMirrorOptions, 'cols' | 'rows'>;
  /** The mirror to use (the mirror worker's, from MirrorPool); default: a TerminalMirror on this thread. */
  source?: LiveMirror;
}

export class LiveStream implements SessionTap {
  /** The session's screen state; read-only access for metrics and benches. */
  readonly mirror: LiveMirror;
  private readonly viewers = new Set<ViewerState>();
  private seq = 0;
  private endStatus: string | null = null;
  private readonly resyncDelayMs: number;

  constructor(o: LiveStreamOptions) {
    this.mirror = o.source ?? new TerminalMirror({ ...o.mirror, cols: o.cols, rows: o.rows });
    this.resyncDelayMs = o.resyncDelayMs ?? 250;
  }

  /** Number of viewers now watching. */
  get viewerCount(): number {
    return this.viewers.size;
  }

  output(data: Buffer): void {
    this.mirror.output(data);
    const start = this.seq;
    this.seq += data.length;
    // Viewers waiting for a snapshot get these bytes through the snapshot's `after` list instead.
    for (const v of this.viewers) if (v.state === 'live') this.forward(v, { kind: 'data', data }, start);
  }

  resize(cols: number, rows: number): void {
    this.mirror.resize(cols, rows);
    for (const v of this.viewers) if (v.state === 'live') this.forward(v, { kind: 'resize', cols, rows }, this.seq);
  }

  /** The hub calls finish() with the final status once the session is stored. */
  end(): void {}

  /** Tells every viewer the session ended with this status and releases the mirror. */
  finish(status: string): void {
    if (this.endStatus !== null) return;
    this.endStatus = status;
    for (const v of this.viewers) {
      if (v.retry) clearTimeout(v.retry);
      v.viewer.send({ type: 'end', status });
    }
    this.viewers.clear();
    // Let pending snapshot requests settle before the terminal is released.
    setTimeout(() => this.mirror.dispose(), 1000).unref();
  }

  /** Starts sending to a viewer: the exact current screen, then live output. Returns the unsubscribe function. */
  subscribe(viewer: LiveStreamViewer): () => void {
    if (this.endStatus !== null) {
      viewer.send({ type: 'end', status: this.endStatus });
      return () => undefined;
    }
    const v: ViewerState = { viewer, state: 'pending', decoder: new TextDecoder('utf-8'), seq: 0, textSeq: 0, retry: null };
    this.viewers.add(v);
    this.sendSnapshot(v);
    return () => {
      if (v.retry) clearTimeout(v.retry);
      this.viewers.delete(v);
    };
  }

  private sendSnapshot(v: ViewerState): void {
    v.state = 'pending';
    this.mirror.requestSnapshot((snap, after) => {
      if (!this.viewers.has(v)) return;
      v.decoder = new TextDecoder('utf-8');
      v.seq = snap.seq;
      v.textSeq = snap.seq;
      if (!v.viewer.send({ type: 'snapshot', cols: snap.cols, rows: snap.rows, data: snap.data, seq: snap.seq })) {
        this.scheduleResync(v);
        return;
      }
      v.state = 'live';
      // Everything the mirror had queued beyond the snapshot, in order; later bytes arrive through output().
      let pos = snap.seq;
      for (const ev of after) {
        if (v.state !== 'live') break;
        this.forward(v, ev, pos);
        if (ev.kind === 'data') pos += ev.data.length;
      }
    });
  }

  private forward(v: ViewerState, ev: MirrorEvent, start: number): void {
    if (ev.kind === 'resize') {
      if (!v.viewer.send({ type: 'resize', cols: ev.cols, rows: ev.rows })) this.scheduleResync(v);
      return;
    }
    // Bytes before the viewer's position were in its snapshot already.
    const skip = Math.max(0, v.seq - start);
    if (skip >= ev.data.length) return;
    const bytes = skip > 0 ? ev.data.subarray(skip) : ev.data;
    v.seq += bytes.length;
    const text = v.decoder.decode(bytes, { stream: true });
    if (text.length === 0) return;
    const seq = v.textSeq;
    v.textSeq = v.seq - unfinishedUtf8Tail(bytes);
    if (!v.viewer.send({ type: 'output', data: text, seq })) this.scheduleResync(v);
  }

  private scheduleResync(v: ViewerState): void {
    v.state = 'resync';
    if (v.retry) return;
    v.retry = setTimeout(() => {
      v.retry = null;
      if (this.viewers.has(v) && this.endStatus === null) this.sendSnapshot(v);
    }, this.resyncDelayMs);
    v.retry.unref();
  }
}

/** How many bytes at the end of `b` start a UTF-8 character that is not complete yet (0..3). */
function unfinishedUtf8Tail(b: Buffer): number {
  for (let back = 1; back <= Math.min(3, b.length); back++) {
    const byte = b[b.length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead byte
    const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}
