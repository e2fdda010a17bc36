// What the in-browser player reads: a recording's timeline, and for any time the nearest keyframe plus a bounded run of events.
//
// Seeking costs the same anywhere in a recording: one binary search in the keyframe index, then
// reading from the keyframe's byte offset at most (keyframe spacing + window) of lines. Nothing
// is replayed on the server; the browser restores the keyframe and applies the events.

import { stat } from 'node:fs/promises';
import { readHeader } from '../asciicast-reader.js';
import { castStat, openCastSync } from '../cast-source.js';
import { AsyncCastLines, lineEvent, lineTime } from '../keyframes/cast-lines.js';
import { isComplete, keyframeAt, keyframePaths, readIndex, readKeyframe, type IdlePeriod, type KeyframeIndex } from '../keyframes/keyframe-index.js';

/** Duration, first size and idle periods of a recording. */
export interface PlayerTimeline {
  duration: number;
  cols: number;
  rows: number;
  idle: IdlePeriod[];
}

export type PlayerEvent = [number, 'o' | 'r', string];

/** The nearest keyframe at or before `from` (seek) or none (continuation), then the output and resize events after it, up to `to`. */
export interface PlayerChunk {
  from: number;
  to: number;
  keyframe: { time: number; cols: number; rows: number; data: string } | null;
  /** Events strictly after the keyframe (seek) or after `from` (continuation), up to and including `to`. */
  events: PlayerEvent[];
  /** Ask for `after=next` to continue; null at the end of the recording. */
  next: number | null;
  done: boolean;
}

/** Seek to `at`, or continue strictly after `after`. */
export type ChunkQuery = { at: number } | { after: number };

export interface RecordingPlayerOptions {
  /** Makes a recording's keyframe index complete (KeyframeService.ensure). */
  ensureIndex: (castPath: string) => Promise<void>;
  /** Recording seconds of events after the requested time (default 30). */
  windowSeconds?: number;
  /** Bytes of event lines after the requested time (default 512 KiB). */
  windowBytes?: number;
  /** Bytes of event lines in one chunk at most, keyframe gap included (default 4 MiB). */
  maxBytes?: number;
}

const COMMA = Buffer.from(',');
/** `[<time>,"o","` or `[<time>,"r","` ... `"]`: the writer's event lines. */
const SHAPE = /^\[\d+(\.\d+)?(e[-+]?\d+)?,"[or]","/;

/** An output or resize event line as JSON bytes (copied; the reader reuses its buffer), or null for other lines. */
function eventJson(bytes: Buffer): Buffer | null {
  const n = bytes.length;
  if (n > 8 && bytes[n - 1] === 0x5d && bytes[n - 2] === 0x22 && SHAPE.test(bytes.toString('latin1', 0, Math.min(n, 40)))) {
    return Buffer.from(bytes);
  }
  const e = lineEvent(bytes);
  return e && (e.type === 'o' || e.type === 'r') ? Buffer.from(JSON.stringify([e.time, e.type, e.data]), 'utf8') : null;
}

interface Cached {
  indexSize: number;
  indexMtime: number;
  index: KeyframeIndex;
  cols: number;
  rows: number;
}

const CACHE_ENTRIES = 32;

export class RecordingPlayer {
  private readonly cache = new Map<string, Cached>();
  private readonly windowSeconds: number;
  private readonly windowBytes: number;
  private readonly maxBytes: number;

  constructor(private readonly o: RecordingPlayerOptions) {
    this.windowSeconds = o.windowSeconds ?? 30;
    this.windowBytes = o.windowBytes ?? 512 * 1024;
    this.maxBytes = o.maxBytes ?? 4 * 1024 * 1024;
  }

  async timeline(castPath: string): Promise<PlayerTimeline> {
    const c = await this.indexed(castPath);
    return { duration: c.index.end?.duration ?? 0, cols: c.cols, rows: c.rows, idle: c.index.idle };
  }

  /** The chunk as an object (CLI, tests). */
  async chunk(castPath: string, q: ChunkQuery): Promise<PlayerChunk> {
    return JSON.parse((await this.chunkJson(castPath, q)).toString('utf8')) as PlayerChunk;
  }

  /**
   * The chunk as JSON bytes, for the API. Event lines are copied from the recording as they are
   * (each is already the JSON array `[time, "o", data]`), so a seek costs reading and copying at
   * most maxBytes, never decoding, parsing and re-encoding them. A line that does not have the
   * writer's exact shape is parsed and re-encoded instead, or skipped when it is not an event.
   */
  async chunkJson(castPath: string, q: ChunkQuery): Promise<Buffer> {
    const c = await this.indexed(castPath);
    const duration = c.index.end?.duration ?? 0;
    const seek = 'at' in q;
    const t = Math.max(0, Math.min(seek ? q.at : q.after, duration));
    const kf = keyframeAt(c.index.keyframes, t);
    const keyframe = seek && kf ? { time: kf.time, cols: kf.cols, rows: kf.rows, data: await readKeyframe(castPath, kf) } : null;
    const src = openCastSync(castPath);
    try {
      const lines = new AsyncCastLines(src, kf ? kf.castOffset : 0);
      const parts: Buffer[] = [];
      const windowEnd = t + this.windowSeconds;
      let total = 0;
      let after = 0;
      let nAfter = 0;
      let lastSeen = kf?.time ?? 0;
      let stop: 'eof' | 'window' | 'budget' = 'eof';
      for (let line = await lines.next(); line; line = await lines.next()) {
        const time = lineTime(line.bytes);
        if (Number.isNaN(time)) continue;
        // Continuation: events up to `after` were sent before.
        if (!seek && time <= t) continue;
        const size = line.next - line.offset;
        if (time > t) {
          if (nAfter > 0 && time > windowEnd) { stop = 'window'; break; }
          if (after >= this.windowBytes && time > lastSeen) { stop = 'budget'; break; }
        }
        if (total >= this.maxBytes && time > lastSeen) { stop = 'budget'; break; }
        lastSeen = Math.max(lastSeen, time);
        const json = eventJson(line.bytes);
        if (!json) continue;
        if (parts.length > 0) parts.push(COMMA);
        parts.push(json);
        total += size;
        if (time > t) { after += size; nAfter++; }
      }
      const to = stop === 'eof' ? Math.max(duration, lastSeen) : stop === 'window' ? Math.max(windowEnd, lastSeen) : lastSeen;
      const done = stop === 'eof';
      const head = `{"from":${seek ? (kf?.time ?? 0) : t},"to":${to},"keyframe":${JSON.stringify(keyframe)},"events":[`;
      const tail = `],"next":${done ? 'null' : to},"done":${done}}`;
      return Buffer.concat([Buffer.from(head, 'utf8'), ...parts, Buffer.from(tail, 'latin1')]);
    } finally {
      src.close();
    }
  }

  /** The complete index of a recording and its size from the header, cached while the index file is unchanged. */
  private async indexed(castPath: string): Promise<Cached> {
    const idxPath = keyframePaths(castPath).index;
    const [cast, idxStat] = [castStat(castPath), await stat(idxPath).catch(() => null)];
    const hit = this.cache.get(castPath);
    if (hit && idxStat && hit.indexSize === idxStat.size && hit.indexMtime === idxStat.mtimeMs && cast !== null && isComplete(hit.index, cast.size)) {
      return hit;
    }
    await this.o.ensureIndex(castPath);
    const index = readIndex(castPath);
    const header = await readHeader(castPath);
    const after = await stat(idxPath);
    const entry: Cached = { indexSize: after.size, indexMtime: after.mtimeMs, index, cols: header.width, rows: header.height };
    this.cache.delete(castPath);
    this.cache.set(castPath, entry);
    if (this.cache.size > CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value as string);
    return entry;
  }
}
