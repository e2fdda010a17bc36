// Compressing a closed recording whole into its seekable compressed form (cast-gzip.ts).

import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeIndexEntries, encodeIndexHeader, gzipPaths, GzipCastReader, MEMBER_BYTES, syncDir, writeFully, type GzipIndex } from './cast-gzip.js';
import { openCastSync } from './cast-source.js';

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
 * (its sealed prefix and plain rest alike) is compressed only when its bytes match the SHA-256 (and size) stored at
 * close, and the result is read back and checked against the same hash before the plain file goes: a damaged or
 * altered recording is left as it is. Crash-safe: outputs are written as `.part` files and renamed; the `.cast` is
 * removed last, so a crash leaves the recording readable as before (running this again redoes it).
 * Synchronous and CPU-bound (~30–60 MB/s): run it on a background thread.
 */
export function compressCast(castPath: string, expected: { sha256: string; size?: number | null }, o: CompressOptions = {}): CompressResult {
  const memberBytes = o.memberBytes ?? MEMBER_BYTES;
  const out = gzipPaths(castPath);
  if (!existsSync(castPath)) return alreadyCompressed(castPath, expected.sha256);
  const parts = { data: `${out.data}.part`, index: `${out.index}.part` };
  const src = openCastSync(castPath);
  let dst: number | null = null;
  try {
    const size = src.size();
    if (expected.size != null && size !== expected.size) return { ok: false, problem: `recording size differs: ${size} bytes on disk, ${expected.size} stored at close` };
    dst = openSync(parts.data, 'w', 0o600);
    const hash = createHash('sha256');
    const ix: GzipIndex = { complete: true, memberBytes, size, compressedSize: 0, sha256: expected.sha256.toLowerCase(), uOffsets: [], cOffsets: [] };
    const buf = Buffer.allocUnsafe(memberBytes);
    for (let u = 0; u < size; ) {
      const n = readAll(src, buf, u, Math.min(memberBytes, size - u));
      if (n === 0) break;
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
    const index = Buffer.concat([encodeIndexHeader(ix), encodeIndexEntries(ix)]);
    const ixFd = openSync(parts.index, 'w', 0o600);
    try {
      writeFully(ixFd, index);
      fsyncSync(ixFd);
    } finally {
      closeSync(ixFd);
    }
    // Read back what was written, as a reader will, before the plain file goes.
    const check = membersSha256(parts.data, parts.index);
    if (check !== ix.sha256) return { ok: false, problem: `compressed copy reads back as ${check}, not ${ix.sha256}` };
    renameSync(parts.index, out.index);
    renameSync(parts.data, out.data);
    syncDir(dirname(castPath));
    rmSync(castPath);
    syncDir(dirname(castPath));
    return { ok: true, size, storedBytes: ix.compressedSize + index.length, members: ix.uOffsets.length };
  } finally {
    src.close();
    if (dst !== null) closeSync(dst);
    rmSync(parts.data, { force: true });
    rmSync(parts.index, { force: true });
  }
}

/** A recording whose plain file is gone: fine when a complete compressed copy for this hash is there (a crash after the rename). */
function alreadyCompressed(castPath: string, sha256: string): CompressResult {
  const out = gzipPaths(castPath);
  if (!existsSync(out.data)) throw Object.assign(new Error(`ENOENT: recording not found: ${castPath}`), { code: 'ENOENT' });
  const r = GzipCastReader.open(out.data, out.index);
  try {
    const ix = r.index;
    if (!ix.complete) return { ok: false, problem: 'the plain part of the recording is missing' };
    if (ix.sha256 !== sha256.toLowerCase()) return { ok: false, problem: `compressed recording was made for SHA-256 ${ix.sha256}, not ${sha256.toLowerCase()}` };
    return { ok: true, size: ix.size, storedBytes: statSync(out.data).size + statSync(out.index).size, members: ix.uOffsets.length };
  } finally {
    r.close();
  }
}

/** SHA-256 of what members decompress to, through their index. */
function membersSha256(dataPath: string, indexPath: string): string {
  const reader = GzipCastReader.open(dataPath, indexPath);
  try {
    const hash = createHash('sha256');
    for (let i = 0; i < reader.index.uOffsets.length; i++) hash.update(reader.memberSync(i));
    return hash.digest('hex');
  } finally {
    reader.close();
  }
}

function readAll(src: { readSync(buf: Buffer, at: number, len: number, pos: number): number }, buf: Buffer, pos: number, len: number): number {
  let got = 0;
  while (got < len) {
    const n = src.readSync(buf, got, len - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}
