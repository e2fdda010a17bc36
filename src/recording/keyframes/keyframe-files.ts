// Keyframes on disk: building them from a finished recording (or resuming an index a crash cut short) and following a recording as it is written.

import { closeSync, fstatSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import { parseHeader } from '../asciicast-format.js';
import { openCastSync, type CastSource } from '../cast-source.js';
import { SyncCastLines } from './cast-lines.js';
import { KeyframeBuilder, type BuilderStart, type KeyframeSink, type KeyframeThresholds } from './keyframe-builder.js';
import {
  castHeaderLine, castSize, encodeRecord, indexHeader, isComplete, keyframePaths, readIndex, readKeyframeSync,
  DEFLATED, KIND_END, KIND_IDLE, KIND_KEYFRAME, type KeyframeIndex,
} from './keyframe-index.js';

/** Appends keyframes to `.keys` and their records to `.kidx`; the snapshot always lands before its record. */
class FileKeyframeSink implements KeyframeSink {
  private dataSize: number;

  private constructor(private readonly indexFd: number, private readonly dataFd: number) {
    this.dataSize = fstatSync(dataFd).size;
  }

  /** Opens the files fresh, or truncated to just after the index's last keyframe when resuming. */
  static open(castPath: string, castHeaderLine: Buffer, resumeFrom: KeyframeIndex | null): FileKeyframeSink {
    const p = keyframePaths(castPath);
    const indexFd = openSync(p.index, 'a+', 0o600);
    const dataFd = openSync(p.data, 'a+', 0o600);
    const last = resumeFrom?.keyframes.at(-1);
    if (resumeFrom && last) {
      ftruncateSync(indexFd, resumeFrom.resumeBytes);
      ftruncateSync(dataFd, last.dataOffset + last.dataLength);
    } else {
      ftruncateSync(indexFd, 0);
      ftruncateSync(dataFd, 0);
      writeSync(indexFd, indexHeader(castHeaderLine));
    }
    return new FileKeyframeSink(indexFd, dataFd);
  }

  keyframe(k: { time: number; castOffset: number; cols: number; rows: number; data: string }): void {
    const bytes = deflateRawSync(Buffer.from(k.data, 'utf8'));
    writeAll(this.dataFd, bytes);
    writeAll(this.indexFd, encodeRecord(KIND_KEYFRAME, k.time, k.castOffset, this.dataSize, { cols: k.cols, rows: k.rows, dataLength: bytes.length, flags: DEFLATED }));
    this.dataSize += bytes.length;
  }

  idle(start: number, end: number): void {
    writeAll(this.indexFd, encodeRecord(KIND_IDLE, start, end, 0));
  }

  end(duration: number, castSize: number): void {
    writeAll(this.indexFd, encodeRecord(KIND_END, duration, castSize, 0));
  }

  close(): void {
    closeSync(this.indexFd);
    closeSync(this.dataFd);
  }
}

function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

/**
 * Replays a recording file into keyframe files, from its start or from the last keyframe of an
 * existing index. Whole lines only: a line still being written is read on a later `poll`.
 */
export class KeyframeFollower {
  private readonly cast: CastSource;
  private lines: SyncCastLines;
  private builder: KeyframeBuilder | null = null;
  private sink: FileKeyframeSink | null = null;
  private closed = false;

  constructor(private readonly castPath: string, private readonly resumeFrom: KeyframeIndex | null, private readonly limits?: Partial<KeyframeThresholds>) {
    this.cast = openCastSync(castPath);
    const last = resumeFrom?.keyframes.at(-1);
    // 64 KiB (grown for longer lines): the worker may follow hundreds of sessions at once.
    this.lines = new SyncCastLines(this.cast, last ? last.castOffset : 0, 64 * 1024);
    if (resumeFrom && last) {
      const data = readKeyframeSync(castPath, last);
      const headerLine = castHeaderLine(castPath);
      if (!headerLine) throw new Error(`${castPath} has no asciicast header`);
      this.start({ kind: 'keyframe', time: last.time, cols: last.cols, rows: last.rows, data }, headerLine, resumeFrom);
    }
  }

  /** Bytes of the recording processed so far. */
  get offset(): number {
    return this.lines.offset;
  }

  /** Processes whole lines now on disk, at most about `budget` bytes; returns the bytes processed. */
  poll(budget = Infinity): number {
    if (this.closed) return 0;
    const from = this.lines.offset;
    while (this.lines.offset - from < budget) {
      const line = this.lines.next();
      if (!line) break;
      if (!this.builder) {
        const h = parseHeader(line.bytes.toString('utf8'));
        if (!h) throw new Error(`${this.castPath} is not an asciicast v2 recording`);
        this.start({ kind: 'header', cols: h.width, rows: h.height }, Buffer.from(line.bytes), null);
        continue;
      }
      this.builder.line(line);
    }
    return this.lines.offset - from;
  }

  /** Reads to the end of the file and marks the index complete for its current size. */
  finish(): void {
    this.poll();
    if (!this.builder) throw new Error(`${this.castPath} has no asciicast header`);
    this.builder.end(this.cast.size());
    this.close();
  }

  /** Stops without completing the index (it is resumed from its last keyframe later). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.builder?.dispose();
    this.sink?.close();
    this.cast.close();
  }

  private start(start: BuilderStart, headerLine: Buffer, resumeFrom: KeyframeIndex | null): void {
    this.sink = FileKeyframeSink.open(this.castPath, headerLine, resumeFrom);
    this.builder = new KeyframeBuilder(this.sink, start, this.limits);
  }
}

export interface BuildKeyframesOptions {
  /** Ignore an existing index and start over. */
  fresh?: boolean;
  limits?: Partial<KeyframeThresholds>;
  /** Called now and then with bytes processed and the file size. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Makes the keyframe index of a finished recording complete: nothing to do when it already is,
 * resumed from its last keyframe when a crash or a stop cut it short, built from scratch otherwise.
 * Synchronous and CPU-bound (~25 MB/s): run it in a worker thread or the CLI, not on a server's event loop.
 */
export function buildKeyframes(castPath: string, opts: BuildKeyframesOptions = {}): KeyframeIndex {
  const existing = opts.fresh ? null : readIndex(castPath);
  const size = castSize(castPath);
  if (existing && isComplete(existing, size)) return existing;
  const follower = new KeyframeFollower(castPath, existing && existing.keyframes.length > 0 ? existing : null, opts.limits);
  try {
    while (follower.poll(8 * 1024 * 1024) > 0) opts.onProgress?.(follower.offset, size);
    follower.finish();
  } finally {
    follower.close();
  }
  return readIndex(castPath);
}
