// Fans one session's output out to its Live Stream viewers: snapshot first, then every byte once.
//
// Invariants:
// - Output reaches live viewers without waiting for the mirror: it is decoded once (one shared
//   streaming decoder, only while someone is live) and sent on the next turn of the event loop,
//   coalescing the chunks of that turn. The relay path only pushes a Buffer reference.
// - A joining viewer asks the mirror for a snapshot; the mirror answers with everything it still
//   has queued after it (TerminalMirror.requestSnapshot). Before sending those bytes, pending
//   live output is flushed, so the shared decoder and the newcomer's catch-up end at the same
//   byte; the snapshot position is a character boundary, so both decoders then hold the same
//   partial character, and the newcomer simply joins the shared stream. No gap, no duplicate.
// - A viewer that is backed up (send() returned false, or bufferedAmount above the limit) gets
//   nothing more and is checked on a timer (running only while such a viewer exists); once it
//   has room it gets a fresh snapshot, as a newcomer would. Others never wait for it.

import type { SessionTap } from '../live-session.js';
import type { MirrorEvent, MirrorSnapshot, TerminalMirrorOptions } from './terminal-mirror.js';
import { TerminalMirror } from './terminal-mirror.js';
import { Utf8Stream } from './utf8-stream.js';
import type { LiveViewer, LiveViewerSource, ViewerMessage } from './viewer-messages.js';

export interface LiveViewersOptions {
  /** Buffered bytes (LiveViewer.bufferedAmount) above which a viewer is resynchronised (1 MiB). */
  maxBufferedBytes?: number;
  /** How often a resynchronising viewer is checked for room, in ms (100). */
  retryMs?: number;
}

type State = 'pending' | 'live' | 'resync' | 'closed';
interface Entry { viewer: LiveViewer; state: State }

export class LiveViewers implements SessionTap, LiveViewerSource {
  private readonly entries = new Set<Entry>();
  private readonly maxBuffered: number;
  private readonly retryMs: number;
  /** Shared decoder of live output; null while nobody is live. */
  private decoder: Utf8Stream | null = null;
  private batch: Buffer[] = [];
  private flushScheduled = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private ended: { status?: string } | null = null;

  constructor(private readonly mirror: TerminalMirror, options: LiveViewersOptions = {}) {
    this.maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
    this.retryMs = options.retryMs ?? 100;
  }

  output(data: Buffer): void {
    this.mirror.output(data);
    if (!this.decoder) return;
    this.batch.push(data);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  resize(cols: number, rows: number): void {
    this.mirror.resize(cols, rows);
    this.flush();
    this.broadcast({ type: 'resize', cols, rows });
  }

  /** The session ended (first call wins); live viewers get `end`, others after their snapshot. */
  end(status?: string): void {
    if (this.ended) return;
    this.flush();
    this.ended = status === undefined ? {} : { status };
    this.mirror.end();
    for (const e of this.entries) if (e.state === 'live') this.finish(e);
  }

  subscribe(viewer: LiveViewer): () => void {
    const entry: Entry = { viewer, state: 'pending' };
    this.entries.add(entry);
    this.requestSnapshot(entry);
    return () => this.close(entry);
  }

  /** Viewers connected (any state). */
  get size(): number {
    return this.entries.size;
  }

  /** Stops timers and frees the mirror; viewers still connected are closed without a message. */
  dispose(): void {
    for (const e of this.entries) this.close(e);
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.retryTimer = null;
    this.mirror.dispose();
  }

  /** Sends live output accumulated this turn. */
  flush(): void {
    this.flushScheduled = false;
    const batch = this.batch;
    this.batch = [];
    if (!this.decoder || batch.length === 0) return;
    let data = '';
    for (const b of batch) data += this.decoder.decode(b);
    if (data) this.broadcast({ type: 'output', data, seq: this.decoder.through });
  }

  private broadcast(msg: ViewerMessage): void {
    for (const e of this.entries) if (e.state === 'live') this.send(e, msg);
  }

  private requestSnapshot(entry: Entry): void {
    entry.state = 'pending';
    this.mirror.requestSnapshot((snap, after) => this.join(entry, snap, after));
  }

  /** Snapshot, then what the mirror had queued after it, then the live stream. */
  private join(entry: Entry, snap: MirrorSnapshot, after: readonly MirrorEvent[]): void {
    if (entry.state !== 'pending') return;
    this.flush();
    if (!this.send(entry, { type: 'snapshot', cols: snap.cols, rows: snap.rows, data: snap.data, seq: snap.seq })) return;
    const text = new Utf8Stream(snap.seq);
    let pending = '';
    for (const ev of after) {
      if (ev.kind === 'data') {
        pending += text.decode(ev.data);
        continue;
      }
      if (pending && !this.send(entry, { type: 'output', data: pending, seq: text.through })) return;
      pending = '';
      if (!this.send(entry, { type: 'resize', cols: ev.cols, rows: ev.rows })) return;
    }
    if (pending && !this.send(entry, { type: 'output', data: pending, seq: text.through })) return;
    if (this.ended) {
      this.finish(entry);
      return;
    }
    entry.state = 'live';
    // Same bytes seen, same partial character held: the catch-up decoder can carry on for everyone.
    this.decoder ??= text;
  }

  /** Sends; a viewer that is backed up (or failing) leaves the live stream. */
  private send(entry: Entry, msg: ViewerMessage): boolean {
    let ok: boolean;
    try {
      ok = entry.viewer.send(msg);
    } catch {
      this.close(entry); // a transport that throws is gone
      return false;
    }
    if (ok && (entry.viewer.bufferedAmount ?? 0) <= this.maxBuffered) return true;
    this.leaveLive(entry, 'resync');
    this.startRetry();
    return false;
  }

  /** Last message; delivered even if the viewer reports being backed up. */
  private finish(entry: Entry): void {
    this.send(entry, this.ended?.status === undefined ? { type: 'end' } : { type: 'end', status: this.ended.status });
    this.close(entry);
  }

  private close(entry: Entry): void {
    this.leaveLive(entry, 'closed');
    this.entries.delete(entry);
  }

  private leaveLive(entry: Entry, state: State): void {
    entry.state = state;
    for (const e of this.entries) if (e.state === 'live') return;
    this.decoder = null; // nobody live: stop decoding until someone joins
    this.batch = [];
  }

  private startRetry(): void {
    if (this.retryTimer) return;
    this.retryTimer = setInterval(() => this.retry(), this.retryMs);
    this.retryTimer.unref();
  }

  /** Resynchronises viewers that have room again (a quarter of the limit buffered, or unknown). */
  private retry(): void {
    let waiting = false;
    for (const e of this.entries) {
      if (e.state !== 'resync') continue;
      if ((e.viewer.bufferedAmount ?? 0) <= this.maxBuffered / 4) this.requestSnapshot(e);
      else waiting = true;
    }
    if (!waiting && this.retryTimer) {
      clearInterval(this.retryTimer);
      this.retryTimer = null;
    }
  }
}

/** A session's live mirror: the tap to attach, the viewers' door, and keyframes for recordings. */
export interface MirrorTap {
  /** Attach with LiveSession.addTap. `end(status)` may be called first to pass the final status. */
  tap: SessionTap & { end(status?: string): void };
  viewers: LiveViewerSource;
  /** The current screen, as a snapshot (issue 5 keyframes). */
  keyframe(): Promise<{ seq: number; data: string; cols: number; rows: number }>;
  dispose(): void;
}

export function createMirrorTap(cols: number, rows: number, options: Partial<TerminalMirrorOptions> & LiveViewersOptions = {}): MirrorTap {
  const mirror = new TerminalMirror({ ...options, cols, rows });
  const viewers = new LiveViewers(mirror, options);
  return {
    tap: viewers,
    viewers,
    keyframe: async () => {
      const { seq, data, cols: c, rows: r } = await mirror.snapshot();
      return { seq, data, cols: c, rows: r };
    },
    dispose: () => viewers.dispose(),
  };
}
