// Sealing a recording while its session runs: the settled prefix of the plain `.cast` is compressed into members of
// `.cast.gz` (cast-gzip.ts), then punched out of the `.cast` (its blocks freed, its size and offsets unchanged), so
// a long session takes about its compressed size on disk instead of its asciicast size.
//
// Order, each step durable before the next: members appended to .gz; entries appended to .gzi; the .gzi header
// rewritten (the commit: readers use only what it names); then the hole punched. A crash before the commit leaves
// the plain bytes where they were (the next seal overwrites the leftovers); after it, readers take the prefix from
// the members (cast-source.ts), punched or not. The writer only ever appends to the .cast, past the sealed prefix.

import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  encodeIndexEntries, encodeIndexHeader, gzipPaths, INDEX_ENTRY_BYTES, INDEX_HEADER_BYTES, readFully, readGzipIndexFd, syncDir,
  writeFully, type GzipIndex,
} from './cast-gzip.js';

/**
 * Members of a live recording are smaller than after close (cast-gzip's MEMBER_BYTES): a typical interactive
 * session writes ~10–20 KB of asciicast a minute, and a seal waits for a whole member; compressed whole at close.
 */
export const LIVE_MEMBER_BYTES = 16 * 1024;

export interface SealOptions {
  /** Default LIVE_MEMBER_BYTES. */
  memberBytes?: number;
  /** Bytes at the end of the recording left plain (the writer's last lines; default 4 KiB). */
  keepTail?: number;
  /** Most bytes sealed in one call, so a bulk session does not hold the thread (default 64 MiB). */
  maxBytes?: number;
  level?: number;
  /** Frees the blocks of [offset, offset+length) of the file; false when the file system cannot. Default: fallocate(1). */
  punch?: (path: string, offset: number, length: number) => boolean;
}

/** What {@link sealCast} did: bytes newly sealed, the sealed prefix now, and whether their plain copy was freed. */
export interface SealResult {
  sealed: number;
  prefix: number;
  punched: boolean;
}

/** Frees a byte range of a file with util-linux's fallocate (punch hole, size kept); false when that fails. */
export function punchHole(path: string, offset: number, length: number): boolean {
  const r = spawnSync('fallocate', ['--punch-hole', '--offset', String(offset), '--length', String(length), path], { stdio: 'ignore', timeout: 30_000 });
  return r.status === 0;
}

/**
 * Seals whole lines of `castPath` from the end of its sealed prefix up to `keepTail` bytes before its end, when
 * that is at least one member's worth. The cut is made after a newline, so the plain part always starts a line.
 * Synchronous (compression ~40 MB/s, each member checked by decompressing it): run it on a background thread.
 */
export function sealCast(castPath: string, o: SealOptions = {}): SealResult {
  const memberBytes = o.memberBytes ?? LIVE_MEMBER_BYTES;
  const paths = gzipPaths(castPath);
  const plain = openSync(castPath, 'r');
  let data: number | null = null;
  let index: number | null = null;
  try {
    const fresh = !existsSync(paths.index);
    if (!fresh) {
      data = openSync(paths.data, 'r+');
      index = openSync(paths.index, 'r+');
    }
    const ix: GzipIndex = index === null || data === null
      ? { complete: false, memberBytes, size: 0, compressedSize: 0, sha256: '', uOffsets: [], cOffsets: [] }
      : readGzipIndexFd(index, fstatSync(data).size, paths.index);
    const from = ix.size;
    if (ix.complete) return { sealed: 0, prefix: from, punched: false };
    const limit = Math.min(fstatSync(plain).size - (o.keepTail ?? 4 * 1024), from + (o.maxBytes ?? 64 * 1024 * 1024));
    const end = limit - from < memberBytes ? -1 : lastLineEnd(plain, from, limit);
    if (end < 0 || end - from < memberBytes) return { sealed: 0, prefix: from, punched: false };
    if (fresh) {
      data = openSync(paths.data, 'w+', 0o600);
      index = openSync(paths.index, 'w+', 0o600);
      writeFully(index, encodeIndexHeader(ix), 0);
      fsyncSync(index);
      syncDir(dirname(castPath));
    }
    appendMembers(castPath, plain, data!, index!, ix, end, o);
    // From the start of the block holding `from`: its bytes before `from` were sealed by the previous call, which
    // could not free that block while it still held plain bytes.
    const block = fstatSync(plain).blksize || 4096;
    const at = from - (from % block);
    const punched = (o.punch ?? punchHole)(castPath, at, end - at);
    return { sealed: end - from, prefix: end, punched };
  } finally {
    closeSync(plain);
    if (data !== null) closeSync(data);
    if (index !== null) closeSync(index);
  }
}

/** Compresses plain bytes [ix.size, end) into members and commits them (see the order at the top of the file). */
function appendMembers(castPath: string, plain: number, data: number, index: number, ix: GzipIndex, end: number, o: SealOptions): void {
  // Leftovers of an interrupted seal past the committed sizes are overwritten.
  ftruncateSync(data, ix.compressedSize);
  ftruncateSync(index, INDEX_HEADER_BYTES + ix.uOffsets.length * INDEX_ENTRY_BYTES);
  const first = ix.uOffsets.length;
  const buf = Buffer.allocUnsafe(ix.memberBytes);
  for (let u = ix.size; u < end; ) {
    const n = readFully(plain, buf, u, Math.min(ix.memberBytes, end - u));
    const chunk = buf.subarray(0, n);
    if (n === 0 || chunk.includes(0)) throw new Error(`${castPath}: plain bytes at ${u} are missing; nothing sealed`);
    const gz = gzipSync(chunk, { level: o.level ?? 6 });
    // The plain copy is about to go: the member must give back exactly these bytes.
    if (!gunzipSync(gz).equals(chunk)) throw new Error(`${castPath}: a sealed member does not read back; nothing sealed`);
    writeFully(data, gz, ix.compressedSize);
    ix.uOffsets.push(u);
    ix.cOffsets.push(ix.compressedSize);
    ix.compressedSize += gz.length;
    u += n;
  }
  fsyncSync(data);
  writeFully(index, encodeIndexEntries(ix, first), INDEX_HEADER_BYTES + first * INDEX_ENTRY_BYTES);
  fsyncSync(index);
  ix.size = end;
  writeFully(index, encodeIndexHeader(ix), 0);
  fsyncSync(index);
}

/** Offset just past the last newline in [from, limit) of the file, or -1 when there is none. */
function lastLineEnd(fd: number, from: number, limit: number): number {
  const chunk = Buffer.allocUnsafe(256 * 1024);
  for (let hi = limit; hi > from; ) {
    const lo = Math.max(from, hi - chunk.length);
    const n = readFully(fd, chunk, lo, hi - lo);
    const nl = chunk.subarray(0, n).lastIndexOf(10);
    if (nl >= 0) return lo + nl + 1;
    hi = lo;
  }
  return -1;
}
