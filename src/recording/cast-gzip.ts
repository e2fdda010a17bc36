// A closed recording stored compressed and still seekable: `x.cast.gz` (independent gzip members, each holding
// MEMBER_BYTES of the recording) and `x.cast.gzi` (where each member starts, compressed and uncompressed).
//
// Concatenated gzip members are one valid gzip file, so `gunzip < x.cast.gz` (or `zcat`) gives back the exact
// asciicast that was recorded, byte for byte: the SHA-256 stored at close still verifies it. A reader that wants
// byte N of the recording decompresses only the member holding N (MEMBER_BYTES), never what comes before.

import { createHash } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, openSync, read as readCb, readFileSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { gunzip as gunzipCb, gunzipSync, gzipSync } from 'node:zlib';

/** Uncompressed bytes per gzip member: a seek decompresses at most this much (~1 ms). */
export const MEMBER_BYTES = 256 * 1024;

const MAGIC = Buffer.from('VGZIDX01', 'latin1');
const HEADER_BYTES = 64;
const ENTRY_BYTES = 16;
const gunzip = promisify(gunzipCb);
const readAsync = promisify(readCb);

/** The files of a recording stored compressed, beside its `.cast` path. */
export function gzipPaths(castPath: string): { data: string; index: string } {
  return { data: `${castPath}.gz`, index: `${castPath}.gzi` };
}

/** The index of a compressed recording: member i holds recording bytes [uOffsets[i], uOffsets[i+1]). */
export interface GzipIndex {
  memberBytes: number;
  /** Bytes of the recording (uncompressed). */
  size: number;
  /** Bytes of the .gz file. */
  compressedSize: number;
  /** SHA-256 (hex) of the recording, as checked when it was compressed. */
  sha256: string;
  uOffsets: number[];
  cOffsets: number[];
}

function encodeIndex(ix: GzipIndex): Buffer {
  const b = Buffer.alloc(HEADER_BYTES + ix.uOffsets.length * ENTRY_BYTES);
  MAGIC.copy(b, 0);
  b.writeUInt32LE(1, 8);
  b.writeUInt32LE(ix.memberBytes, 12);
  b.writeDoubleLE(ix.size, 16);
  b.writeDoubleLE(ix.compressedSize, 24);
  Buffer.from(ix.sha256, 'hex').copy(b, 32);
  ix.uOffsets.forEach((u, i) => {
    b.writeDoubleLE(u, HEADER_BYTES + i * ENTRY_BYTES);
    b.writeDoubleLE(ix.cOffsets[i]!, HEADER_BYTES + i * ENTRY_BYTES + 8);
  });
  return b;
}

/** Reads and checks a `.gzi` file; throws a plain-words error when it is not one or does not fit its data file. */
export function readGzipIndex(indexPath: string, dataSize: number): GzipIndex {
  const b = readFileSync(indexPath);
  if (b.length < HEADER_BYTES || !b.subarray(0, 8).equals(MAGIC) || b.readUInt32LE(8) !== 1 || (b.length - HEADER_BYTES) % ENTRY_BYTES !== 0) {
    throw new Error(`${indexPath} is not a compressed-recording index`);
  }
  const ix: GzipIndex = {
    memberBytes: b.readUInt32LE(12),
    size: b.readDoubleLE(16),
    compressedSize: b.readDoubleLE(24),
    sha256: b.subarray(32, 64).toString('hex'),
    uOffsets: [],
    cOffsets: [],
  };
  for (let at = HEADER_BYTES; at < b.length; at += ENTRY_BYTES) {
    ix.uOffsets.push(b.readDoubleLE(at));
    ix.cOffsets.push(b.readDoubleLE(at + 8));
  }
  if (ix.compressedSize !== dataSize) throw new Error(`${indexPath} does not match its data file (${dataSize} bytes, ${ix.compressedSize} indexed)`);
  return ix;
}

/** What {@link compressCast} did. */
export type CompressResult =
  | { ok: true; size: number; storedBytes: number; members: number }
  | { ok: false; problem: string };

export interface CompressOptions {
  memberBytes?: number;
  /** zlib level (default 6). */
  level?: number;
}

/**
 * Compresses a closed recording `castPath` into `.cast.gz` + `.cast.gzi`, then removes the `.cast`. The recording
 * is compressed only when its bytes match the SHA-256 (and size) stored at close, and the result is read back and
 * checked against the same hash before the original goes: a damaged or altered recording is left as it is.
 * Crash-safe: outputs are written as `.part` files and renamed; the `.cast` is removed last, so a crash leaves
 * either the original or both (readers prefer the original; running this again redoes it).
 * Synchronous and CPU-bound (~30–60 MB/s): run it on a background thread.
 */
export function compressCast(castPath: string, expected: { sha256: string; size?: number | null }, o: CompressOptions = {}): CompressResult {
  const memberBytes = o.memberBytes ?? MEMBER_BYTES;
  const out = gzipPaths(castPath);
  const parts = { data: `${out.data}.part`, index: `${out.index}.part` };
  const src = openSync(castPath, 'r');
  let dst: number | null = null;
  try {
    const size = fstatSync(src).size;
    if (expected.size != null && size !== expected.size) return { ok: false, problem: `recording size differs: ${size} bytes on disk, ${expected.size} stored at close` };
    dst = openSync(parts.data, 'w', 0o600);
    const hash = createHash('sha256');
    const ix: GzipIndex = { memberBytes, size, compressedSize: 0, sha256: expected.sha256.toLowerCase(), uOffsets: [], cOffsets: [] };
    const buf = Buffer.allocUnsafe(memberBytes);
    for (let u = 0; u < size; ) {
      const n = readFully(src, buf, u, Math.min(memberBytes, size - u));
      const chunk = buf.subarray(0, n);
      hash.update(chunk);
      const gz = gzipSync(chunk, { level: o.level ?? 6 });
      ix.uOffsets.push(u);
      ix.cOffsets.push(ix.compressedSize);
      writeFully(dst, gz);
      ix.compressedSize += gz.length;
      u += n;
    }
    const actual = hash.digest('hex');
    if (actual !== ix.sha256) return { ok: false, problem: `recording SHA-256 differs: ${actual} on disk, ${ix.sha256} stored at close` };
    fsyncSync(dst);
    closeSync(dst);
    dst = null;
    const index = encodeIndex(ix);
    const ixFd = openSync(parts.index, 'w', 0o600);
    try {
      writeFully(ixFd, index);
      fsyncSync(ixFd);
    } finally {
      closeSync(ixFd);
    }
    // Read back what was written, as a reader will, before the original goes.
    const check = verifyCompressed(parts.data, parts.index);
    if (check !== ix.sha256) return { ok: false, problem: `compressed copy reads back as ${check}, not ${ix.sha256}` };
    renameSync(parts.index, out.index);
    renameSync(parts.data, out.data);
    syncDir(dirname(castPath));
    rmSync(castPath);
    syncDir(dirname(castPath));
    return { ok: true, size, storedBytes: ix.compressedSize + index.length, members: ix.uOffsets.length };
  } finally {
    closeSync(src);
    if (dst !== null) closeSync(dst);
    rmSync(parts.data, { force: true });
    rmSync(parts.index, { force: true });
  }
}

/** SHA-256 of what a compressed recording decompresses to, member by member through its index. */
function verifyCompressed(dataPath: string, indexPath: string): string {
  const reader = GzipCastReader.open(dataPath, indexPath);
  try {
    const hash = createHash('sha256');
    for (let i = 0; i < reader.index.uOffsets.length; i++) hash.update(reader.memberSync(i));
    return hash.digest('hex');
  } finally {
    reader.close();
  }
}

function readFully(fd: number, buf: Buffer, pos: number, len: number): number {
  let got = 0;
  while (got < len) {
    const n = readSync(fd, buf, got, len - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

function writeFully(fd: number, buf: Buffer): void {
  for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Random access to the recording inside a `.cast.gz`: reads decompress only the member that holds the bytes asked
 * for. The last two members stay decompressed, so reading forward costs one decompression per member.
 */
export class GzipCastReader {
  private readonly cache = new Map<number, Buffer>();

  private constructor(
    private readonly fd: number,
    readonly index: GzipIndex,
  ) {}

  /** Opens a compressed recording; throws when the index is missing, malformed or does not fit the data. */
  static open(dataPath: string, indexPath: string): GzipCastReader {
    const fd = openSync(dataPath, 'r');
    try {
      return new GzipCastReader(fd, readGzipIndex(indexPath, fstatSync(fd).size));
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  get size(): number {
    return this.index.size;
  }

  /** Copies recording bytes from `pos` into `buf` at `at` (at most `len`); returns how many (0 at the end). */
  readSync(buf: Buffer, at: number, len: number, pos: number): number {
    let done = 0;
    while (done < len && pos + done < this.index.size) {
      const i = this.memberAt(pos + done);
      done += this.copy(this.memberSync(i), i, buf, at + done, len - done, pos + done);
    }
    return done;
  }

  /** As readSync, decompressing on libuv's thread pool instead of the calling thread. */
  async read(buf: Buffer, at: number, len: number, pos: number): Promise<number> {
    let done = 0;
    while (done < len && pos + done < this.index.size) {
      const i = this.memberAt(pos + done);
      done += this.copy(await this.member(i), i, buf, at + done, len - done, pos + done);
    }
    return done;
  }

  /** Member `i`, decompressed (synchronously). */
  memberSync(i: number): Buffer {
    const hit = this.cache.get(i);
    if (hit) return hit;
    return this.remember(i, this.checked(i, gunzipSync(this.compressedSync(i))));
  }

  close(): void {
    this.cache.clear();
    closeSync(this.fd);
  }

  private async member(i: number): Promise<Buffer> {
    const hit = this.cache.get(i);
    if (hit) return hit;
    const [c0, c1] = this.cRange(i);
    const raw = Buffer.allocUnsafe(c1 - c0);
    const { bytesRead } = await readAsync(this.fd, raw, 0, raw.length, c0);
    if (bytesRead !== raw.length) throw new Error(`compressed recording ends early at member ${i}`);
    return this.remember(i, this.checked(i, await gunzip(raw)));
  }

  private compressedSync(i: number): Buffer {
    const [c0, c1] = this.cRange(i);
    const raw = Buffer.allocUnsafe(c1 - c0);
    if (readFully(this.fd, raw, c0, raw.length) !== raw.length) throw new Error(`compressed recording ends early at member ${i}`);
    return raw;
  }

  private cRange(i: number): [number, number] {
    const ix = this.index;
    return [ix.cOffsets[i]!, i + 1 < ix.cOffsets.length ? ix.cOffsets[i + 1]! : ix.compressedSize];
  }

  private checked(i: number, data: Buffer): Buffer {
    const ix = this.index;
    const want = (i + 1 < ix.uOffsets.length ? ix.uOffsets[i + 1]! : ix.size) - ix.uOffsets[i]!;
    if (data.length !== want) throw new Error(`compressed recording is damaged: member ${i} holds ${data.length} bytes, ${want} expected`);
    return data;
  }

  private remember(i: number, data: Buffer): Buffer {
    if (this.cache.size >= 2) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(i, data);
    return data;
  }

  private copy(member: Buffer, i: number, buf: Buffer, at: number, len: number, pos: number): number {
    const from = pos - this.index.uOffsets[i]!;
    return member.copy(buf, at, from, Math.min(member.length, from + len));
  }

  /** The member holding recording byte `pos` (binary search over the uncompressed offsets). */
  private memberAt(pos: number): number {
    const u = this.index.uOffsets;
    let lo = 0;
    let hi = u.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (u[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}
