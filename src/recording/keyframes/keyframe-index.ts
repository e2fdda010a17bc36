// The keyframe files beside a recording: `<id>.kidx`, a fixed-record binary index, and `<id>.keys`, the snapshots it points into.
//
// Index layout (little endian): a 32-byte header ("VKIDX1\0\0", u32 version, u32 record size,
// the first 16 bytes of the SHA-256 of the recording's header line, so an index never describes
// another file), then 40-byte records, in recording order:
//   0 u8 kind · 1 u8 flags · 4 u32 data length · 8 u16 cols · 10 u16 rows · 16 f64 a · 24 f64 b · 32 f64 c
//   keyframe (1): a = time of the last event applied, b = byte offset in the .cast of the next
//                 event line, c = byte offset of the snapshot in .keys (`data length` bytes of
//                 UTF-8, raw-deflated when flags has DEFLATED: ~4× smaller, which matters for
//                 interactive sessions where a 2 KB screen every 10 s outweighs the output)
//   idle (2):     a = start, b = end of a gap between events longer than IDLE_GAP seconds
//   end (3):      a = time of the last event, b = size of the .cast indexed, c = events indexed
// Writers append the snapshot before its record, so a crash leaves at worst a record that is torn
// or points past the data: readers stop at the first such record. An index is complete when its
// last record is `end` for a .cast of the current size; anything else is resumed from its last
// keyframe that lies within the file (see buildKeyframes).

import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { openCastSync } from '../cast-source.js';
import { inflateRawSync } from 'node:zlib';

export const INDEX_MAGIC = Buffer.from('VKIDX1\0\0', 'latin1');
export const INDEX_VERSION = 1;
export const HEADER_BYTES = 32;
const FINGERPRINT_BYTES = 16;
export const RECORD_BYTES = 40;
/** Gaps between events longer than this many seconds are idle periods (player: skip idle). */
export const IDLE_GAP = 2;

export const KIND_KEYFRAME = 1;
export const KIND_IDLE = 2;
export const KIND_END = 3;
/** Keyframe flag: the snapshot is stored raw-deflated. */
export const DEFLATED = 1;

export interface KeyframeRecord {
  /** Recording time (s) of the state: every event up to and including this time is applied. */
  time: number;
  /** Byte offset in the .cast of the first event not applied. */
  castOffset: number;
  cols: number;
  rows: number;
  dataOffset: number;
  dataLength: number;
  deflated: boolean;
}

export interface IdlePeriod {
  start: number;
  end: number;
}

/** What an index holds, validated. */
export interface KeyframeIndex {
  keyframes: KeyframeRecord[];
  idle: IdlePeriod[];
  end: { duration: number; castSize: number; events: number } | null;
  /** Bytes of the index file that are valid (header and whole, consistent records). */
  validBytes: number;
  /** Byte length of the index file just after the last keyframe record (where a resume truncates). */
  resumeBytes: number;
}

/** The keyframe files of a recording: `x.cast` → `x.kidx` and `x.keys` (same Session ID prefix, so purge removes them). */
export function keyframePaths(castPath: string): { index: string; data: string } {
  const base = castPath.endsWith('.cast') ? castPath.slice(0, -'.cast'.length) : castPath;
  return { index: `${base}.kidx`, data: `${base}.keys` };
}

/** The index header for a recording whose header line is `castHeaderLine` (without its newline). */
export function indexHeader(castHeaderLine: Buffer): Buffer {
  const b = Buffer.alloc(HEADER_BYTES);
  INDEX_MAGIC.copy(b, 0);
  b.writeUInt32LE(INDEX_VERSION, 8);
  b.writeUInt32LE(RECORD_BYTES, 12);
  fingerprint(castHeaderLine).copy(b, 16);
  return b;
}

function fingerprint(castHeaderLine: Buffer): Buffer {
  return createHash('sha256').update(castHeaderLine).digest().subarray(0, FINGERPRINT_BYTES);
}

/** The header line of a recording (without its newline), or null when it has none yet. */
export function castHeaderLine(castPath: string): Buffer | null {
  const src = openCastSync(castPath);
  try {
    const buf = Buffer.alloc(64 * 1024);
    const n = src.readSync(buf, 0, buf.length, 0);
    const nl = buf.subarray(0, n).indexOf(10);
    return nl < 0 ? null : buf.subarray(0, nl);
  } finally {
    src.close();
  }
}

/** One record; `a`, `b`, `c` as the layout above says for its kind. */
export function encodeRecord(kind: number, a: number, b: number, c: number, extra?: { cols: number; rows: number; dataLength: number; flags: number }): Buffer {
  const r = Buffer.alloc(RECORD_BYTES);
  r.writeUInt8(kind, 0);
  if (extra) {
    r.writeUInt8(extra.flags, 1);
    r.writeUInt32LE(extra.dataLength, 4);
    r.writeUInt16LE(extra.cols, 8);
    r.writeUInt16LE(extra.rows, 10);
  }
  r.writeDoubleLE(a, 16);
  r.writeDoubleLE(b, 24);
  r.writeDoubleLE(c, 32);
  return r;
}

/** An index with no records (no file, or a file that is not an index). */
const EMPTY: KeyframeIndex = { keyframes: [], idle: [], end: null, validBytes: 0, resumeBytes: 0 };

/**
 * Decodes an index file's bytes for the recording `cast` (its header line and size); records must
 * fit in the .keys file of `dataSize` bytes and in the recording.
 */
export function decodeIndex(buf: Buffer, dataSize: number, cast: { headerLine: Buffer; size: number }): KeyframeIndex {
  if (buf.length < HEADER_BYTES || !buf.subarray(0, 8).equals(INDEX_MAGIC) || buf.readUInt32LE(8) !== INDEX_VERSION ||
    buf.readUInt32LE(12) !== RECORD_BYTES || !buf.subarray(16, 16 + FINGERPRINT_BYTES).equals(fingerprint(cast.headerLine))) {
    return { ...EMPTY, keyframes: [], idle: [] };
  }
  const out: KeyframeIndex = { keyframes: [], idle: [], end: null, validBytes: HEADER_BYTES, resumeBytes: HEADER_BYTES };
  let lastTime = 0;
  let lastOffset = 0;
  for (let at = HEADER_BYTES; at + RECORD_BYTES <= buf.length; at += RECORD_BYTES) {
    const kind = buf.readUInt8(at);
    const a = buf.readDoubleLE(at + 16);
    const b = buf.readDoubleLE(at + 24);
    const c = buf.readDoubleLE(at + 32);
    if (out.end || !Number.isFinite(a) || !Number.isFinite(b) || !Number.isFinite(c)) break;
    if (kind === KIND_KEYFRAME) {
      const dataLength = buf.readUInt32LE(at + 4);
      if (a < lastTime || b < lastOffset || b > cast.size || c < 0 || c + dataLength > dataSize) break;
      out.keyframes.push({
        time: a, castOffset: b, dataOffset: c, dataLength, cols: buf.readUInt16LE(at + 8), rows: buf.readUInt16LE(at + 10),
        deflated: (buf.readUInt8(at + 1) & DEFLATED) !== 0,
      });
      lastTime = a;
      lastOffset = b;
      out.resumeBytes = at + RECORD_BYTES;
    } else if (kind === KIND_IDLE) {
      if (a < lastTime || b < a) break;
      out.idle.push({ start: a, end: b });
      lastTime = a;
    } else if (kind === KIND_END) {
      if (a < lastTime || b < lastOffset) break;
      out.end = { duration: a, castSize: b, events: c };
    } else {
      break;
    }
    out.validBytes = at + RECORD_BYTES;
  }
  return out;
}

/** Reads and validates the index of a recording (empty when there is none, or when it was made for another file). */
export function readIndex(castPath: string): KeyframeIndex {
  const p = keyframePaths(castPath);
  let buf: Buffer;
  let dataSize: number;
  try {
    buf = readFileSync(p.index);
    dataSize = statSync(p.data).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ...EMPTY, keyframes: [], idle: [] };
    throw err;
  }
  const headerLine = castHeaderLine(castPath);
  if (!headerLine) return { ...EMPTY, keyframes: [], idle: [] };
  return decodeIndex(buf, dataSize, { headerLine, size: castSize(castPath) });
}

/** Bytes of the recording, plain or compressed; throws ENOENT when it is not stored. */
export function castSize(castPath: string): number {
  const src = openCastSync(castPath);
  try {
    return src.size();
  } finally {
    src.close();
  }
}

/** True when the index covers the whole recording of `castSize` bytes. */
export function isComplete(index: KeyframeIndex, castSize: number): boolean {
  return index.end !== null && index.end.castSize === castSize;
}

/** The last keyframe at or before `t` (binary search), or null when the first one is later. */
export function keyframeAt(keyframes: readonly KeyframeRecord[], t: number): KeyframeRecord | null {
  let lo = 0;
  let hi = keyframes.length - 1;
  let found: KeyframeRecord | null = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (keyframes[mid].time <= t) {
      found = keyframes[mid];
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

function snapshotText(raw: Buffer, k: KeyframeRecord): string {
  return (k.deflated ? inflateRawSync(raw) : raw).toString('utf8');
}

/** The snapshot of a keyframe (synchronous: workers, the CLI). */
export function readKeyframeSync(castPath: string, k: KeyframeRecord): string {
  const fd = openSync(keyframePaths(castPath).data, 'r');
  try {
    const buf = Buffer.alloc(k.dataLength);
    if (readSync(fd, buf, 0, k.dataLength, k.dataOffset) !== k.dataLength) throw new Error('keyframe data ends early');
    return snapshotText(buf, k);
  } finally {
    closeSync(fd);
  }
}

/** The snapshot of a keyframe (asynchronous: the API). */
export async function readKeyframe(castPath: string, k: KeyframeRecord): Promise<string> {
  const fh = await open(keyframePaths(castPath).data, 'r');
  try {
    const buf = Buffer.alloc(k.dataLength);
    const { bytesRead } = await fh.read(buf, 0, k.dataLength, k.dataOffset);
    if (bytesRead !== k.dataLength) throw new Error('keyframe data ends early');
    return snapshotText(buf, k);
  } finally {
    await fh.close();
  }
}
