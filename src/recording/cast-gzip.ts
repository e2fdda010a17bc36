// The compressed, seekable form of a recording: `x.cast.gz` (independent gzip members, each holding up to
// MEMBER_BYTES of the recording) and `x.cast.gzi` (a header, then where each member starts, uncompressed and compressed).
//
// Concatenated gzip members are one valid gzip file, so `gunzip < x.cast.gz` (or `zcat`) gives back the exact
// asciicast that was recorded, byte for byte: the SHA-256 stored at close still verifies it. A reader that wants
// byte N of the recording decompresses only the member holding N, never what comes before.
//
// Two states (the header's version): *sealed* — members hold a prefix of a recording still being written (or not
// finished after close), the rest is in the plain `.cast` (cast-seal.ts); *complete* — members hold the whole
// recording and the `.cast` is gone (cast-compress.ts). The header is the commit record: members and entries past
// the sizes it names are leftovers of an interrupted write and are ignored (and overwritten by the next one).

import { closeSync, fstatSync, fsyncSync, openSync, read as readCb, readSync, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import { gunzip as gunzipCb, gunzipSync } from 'node:zlib';

/** Uncompressed bytes per gzip member: a seek decompresses at most this much (~1 ms). */
export const MEMBER_BYTES = 256 * 1024;

const MAGIC = Buffer.from('VGZIDX01', 'latin1');
export const INDEX_HEADER_BYTES = 72;
export const INDEX_ENTRY_BYTES = 16;
const COMPLETE = 1;
const SEALED = 2;
const gunzip = promisify(gunzipCb);
const readAsync = promisify(readCb);

/** The files of a recording stored compressed, beside its `.cast` path. */
export function gzipPaths(castPath: string): { data: string; index: string } {
  return { data: `${castPath}.gz`, index: `${castPath}.gzi` };
}

/** The index of a compressed recording: member i holds recording bytes [uOffsets[i], uOffsets[i+1] or size). */
export interface GzipIndex {
  /** False while the members hold only a prefix (the rest is in the plain .cast). */
  complete: boolean;
  memberBytes: number;
  /** Bytes of the recording the members hold (uncompressed). */
  size: number;
  /** Bytes of the .gz file the members take. */
  compressedSize: number;
  /** SHA-256 (hex) of the whole recording, once complete; zeros before. */
  sha256: string;
  uOffsets: number[];
  cOffsets: number[];
}

/** The header (the commit record) of an index: sizes, hash and how many entries follow. */
export function encodeIndexHeader(ix: GzipIndex): Buffer {
  const b = Buffer.alloc(INDEX_HEADER_BYTES);
  MAGIC.copy(b, 0);
  b.writeUInt32LE(ix.complete ? COMPLETE : SEALED, 8);
  b.writeUInt32LE(ix.memberBytes, 12);
  b.writeDoubleLE(ix.size, 16);
  b.writeDoubleLE(ix.compressedSize, 24);
  Buffer.from(ix.complete ? ix.sha256 : '0'.repeat(64), 'hex').copy(b, 32);
  b.writeUInt32LE(ix.uOffsets.length, 64);
  return b;
}

/** Entries from member `from` on. */
export function encodeIndexEntries(ix: GzipIndex, from = 0): Buffer {
  const b = Buffer.alloc((ix.uOffsets.length - from) * INDEX_ENTRY_BYTES);
  for (let i = from; i < ix.uOffsets.length; i++) {
    b.writeDoubleLE(ix.uOffsets[i]!, (i - from) * INDEX_ENTRY_BYTES);
    b.writeDoubleLE(ix.cOffsets[i]!, (i - from) * INDEX_ENTRY_BYTES + 8);
  }
  return b;
}

/**
 * Reads and checks a `.gzi` file (from an open descriptor); throws a plain-words error when it is not one or
 * does not fit its data file of `dataSize` bytes.
 */
export function readGzipIndexFd(fd: number, dataSize: number, name: string): GzipIndex {
  // The header first, then the entries: a seal writes its entries before the header that commits them, so a
  // header read here never names entries this read misses.
  const h = Buffer.alloc(INDEX_HEADER_BYTES);
  const version = readFully(fd, h, 0, h.length) === h.length ? h.readUInt32LE(8) : 0;
  if (!h.subarray(0, 8).equals(MAGIC) || (version !== COMPLETE && version !== SEALED)) throw new Error(`${name} is not a compressed-recording index`);
  const ix: GzipIndex = {
    complete: version === COMPLETE,
    memberBytes: h.readUInt32LE(12),
    size: h.readDoubleLE(16),
    compressedSize: h.readDoubleLE(24),
    sha256: h.subarray(32, 64).toString('hex'),
    uOffsets: [],
    cOffsets: [],
  };
  const count = h.readUInt32LE(64);
  const b = Buffer.allocUnsafe(count * INDEX_ENTRY_BYTES);
  if (readFully(fd, b, INDEX_HEADER_BYTES, b.length) !== b.length) throw new Error(`${name} ends before its ${count} entries`);
  // Entries past `count` belong to an interrupted seal and are not read.
  for (let i = 0; i < count; i++) {
    const u = b.readDoubleLE(i * INDEX_ENTRY_BYTES);
    const c = b.readDoubleLE(i * INDEX_ENTRY_BYTES + 8);
    const ok = i === 0 ? u === 0 && c === 0 : u > ix.uOffsets[i - 1]! && c > ix.cOffsets[i - 1]!;
    if (!ok || u >= ix.size || c >= ix.compressedSize) throw new Error(`${name} is damaged at entry ${i}`);
    ix.uOffsets.push(u);
    ix.cOffsets.push(c);
  }
  if (ix.compressedSize > dataSize) throw new Error(`${name} names ${ix.compressedSize} compressed bytes; its data file has ${dataSize}`);
  if (ix.size > 0 && count === 0) throw new Error(`${name} has no entries for its ${ix.size} bytes`);
  return ix;
}

export function readFully(fd: number, buf: Buffer, pos: number, len: number): number {
  let got = 0;
  while (got < len) {
    const n = readSync(fd, buf, got, len - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

export function writeFully(fd: number, buf: Buffer, pos?: number): void {
  for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off, pos === undefined ? null : pos + off);
}

export function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Random access to the members of a `.cast.gz`: reads decompress only the member that holds the bytes asked for.
 * The last two members stay decompressed, so reading forward costs one decompression per member. `refresh()`
 * picks up members sealed since it was opened.
 */
export class GzipCastReader {
  private readonly cache = new Map<number, Buffer>();
  private indexStamp = '';

  private constructor(
    private readonly fd: number,
    private readonly indexFd: number,
    private readonly name: string,
    public index: GzipIndex,
  ) {}

  /** Opens compressed members; throws when the index is missing, malformed or does not fit the data. */
  static open(dataPath: string, indexPath: string): GzipCastReader {
    const fd = openSync(dataPath, 'r');
    let indexFd: number | null = null;
    try {
      indexFd = openSync(indexPath, 'r');
      const r = new GzipCastReader(fd, indexFd, indexPath, readGzipIndexFd(indexFd, fstatSync(fd).size, indexPath));
      r.indexStamp = stamp(indexFd);
      return r;
    } catch (err) {
      closeSync(fd);
      if (indexFd !== null) closeSync(indexFd);
      throw err;
    }
  }

  /** Bytes of the recording the members hold. */
  get size(): number {
    return this.index.size;
  }

  /** Re-reads the index when it changed on disk (a seal committed more members). Returns true when it did. */
  refresh(): boolean {
    const now = stamp(this.indexFd);
    if (now === this.indexStamp) return false;
    this.index = readGzipIndexFd(this.indexFd, fstatSync(this.fd).size, this.name);
    this.indexStamp = now;
    return true;
  }

  /** Copies recording bytes from `pos` into `buf` at `at` (at most `len`); returns how many (0 past the members). */
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
    const [c0, c1] = this.cRange(i);
    const raw = Buffer.allocUnsafe(c1 - c0);
    if (readFully(this.fd, raw, c0, raw.length) !== raw.length) throw new Error(`compressed recording ends early at member ${i}`);
    return this.remember(i, this.checked(i, gunzipSync(raw)));
  }

  close(): void {
    this.cache.clear();
    closeSync(this.fd);
    closeSync(this.indexFd);
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

/** Changes whenever the index file is rewritten or grows. */
function stamp(fd: number): string {
  const st = fstatSync(fd, { bigint: true });
  return `${st.size}:${st.mtimeNs}:${st.ino}`;
}
