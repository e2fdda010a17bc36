// One way to read a recording's bytes wherever they are stored: the plain `.cast` (written live), its sealed prefix
// in `.cast.gz` + `.cast.gzi` (cast-seal.ts: punched out of the `.cast` while the session runs), or, once compressed
// after close, only the compressed files. Every reader of recordings goes through here.

import { closeSync, existsSync, fstatSync, openSync, read as readCb, readSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { GzipCastReader, gzipPaths } from './cast-gzip.js';

const readAsync = promisify(readCb);

/** Random access to a recording's bytes (uncompressed coordinates, whatever the storage). */
export interface CastSource {
  /** True when the whole recording is read from the compressed files. */
  readonly compressed: boolean;
  /** Bytes of the recording now (one still being written grows). */
  size(): number;
  /** Copies bytes from `pos` into `buf` at `at`, at most `len`; returns how many (0 at the end). */
  readSync(buf: Buffer, at: number, len: number, pos: number): number;
  read(buf: Buffer, at: number, len: number, pos: number): Promise<number>;
  close(): void;
}

/** How a recording is stored now: plain (wholly or in part), compressed, or not at all (missing or purged). */
export function castStorage(castPath: string): 'plain' | 'compressed' | null {
  if (existsSync(castPath)) return 'plain';
  return existsSync(gzipPaths(castPath).data) ? 'compressed' : null;
}

/** The recording's size, the bytes it takes on disk and its last change; null when it is not stored. */
export function castStat(castPath: string): { size: number; storedBytes: number; mtimeMs: number; compressed: boolean } | null {
  const gz = gzipPaths(castPath);
  const stored = (p: string) => {
    try {
      const st = statSync(p);
      return { bytes: st.blocks * 512, size: st.size, mtimeMs: st.mtimeMs };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  };
  const plain = stored(castPath);
  const [data, index] = [stored(gz.data), stored(gz.index)];
  if (plain && !index) return { size: plain.size, storedBytes: plain.size, mtimeMs: plain.mtimeMs, compressed: false };
  if (!plain && !data) return null;
  let src: CastSource;
  try {
    src = openCastSync(castPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const onDisk = (plain?.bytes ?? 0) + (data?.size ?? 0) + (index?.size ?? 0);
    return { size: src.size(), storedBytes: onDisk, mtimeMs: Math.max(plain?.mtimeMs ?? 0, data?.mtimeMs ?? 0), compressed: src.compressed };
  } finally {
    src.close();
  }
}

/**
 * Opens a recording for reading. Throws an ENOENT error when it is not stored, and a plain-words error when a
 * compressed one is damaged. A recording still plain can be sealed while it is read: the source notices and
 * reads the sealed prefix from the members from then on.
 */
export function openCastSync(castPath: string): CastSource {
  let fd: number;
  try {
    fd = openSync(castPath, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return compressedSource(castPath);
  }
  return new PartlySealed(castPath, fd);
}

function compressedSource(castPath: string): CastSource {
  const gz = gzipPaths(castPath);
  if (!existsSync(gz.data)) throw Object.assign(new Error(`ENOENT: recording not found: ${castPath}`), { code: 'ENOENT' });
  const r = GzipCastReader.open(gz.data, gz.index);
  return {
    compressed: true,
    size: () => r.size,
    readSync: (buf, at, len, pos) => r.readSync(buf, at, len, pos),
    read: (buf, at, len, pos) => r.read(buf, at, len, pos),
    close: () => r.close(),
  };
}

/**
 * A plain `.cast` whose prefix may be (or become) sealed. Bytes below the sealed size come from the members; the
 * rest from the plain file. asciicast never holds a raw NUL, so a NUL read from the plain file means a hole punched
 * after this read began: the index is read again and the read redone from the members.
 */
class PartlySealed implements CastSource {
  readonly compressed = false;
  private sealed: GzipCastReader | null = null;

  constructor(
    private readonly castPath: string,
    private readonly fd: number,
  ) {
    this.openSealed();
  }

  size(): number {
    return fstatSync(this.fd).size;
  }

  readSync(buf: Buffer, at: number, len: number, pos: number): number {
    for (let attempt = 0; ; attempt++) {
      const upTo = this.sealedSize();
      if (pos < upTo) return this.sealed!.readSync(buf, at, Math.min(len, upTo - pos), pos);
      const n = readSync(this.fd, buf, at, len, pos);
      if (!this.punchedUnder(buf, at, n, pos, attempt)) return n;
    }
  }

  async read(buf: Buffer, at: number, len: number, pos: number): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      const upTo = this.sealedSize();
      if (pos < upTo) return this.sealed!.read(buf, at, Math.min(len, upTo - pos), pos);
      const { bytesRead } = await readAsync(this.fd, buf, at, len, pos);
      if (!this.punchedUnder(buf, at, bytesRead, pos, attempt)) return bytesRead;
    }
  }

  close(): void {
    this.sealed?.close();
    closeSync(this.fd);
  }

  private sealedSize(): number {
    return this.sealed?.size ?? 0;
  }

  /** True when the plain bytes just read hold a hole that the members now cover (the read is then redone). */
  private punchedUnder(buf: Buffer, at: number, n: number, pos: number, attempt: number): boolean {
    if (n === 0 || buf.subarray(at, at + n).indexOf(0) < 0) return false;
    if (this.sealed ? this.sealed.refresh() : this.openSealed()) return pos < this.sealedSize();
    if (attempt > 0) throw new Error(`${this.castPath}: bytes at ${pos} are neither in the recording nor in its sealed part`);
    return false;
  }

  private openSealed(): boolean {
    const gz = gzipPaths(this.castPath);
    if (!existsSync(gz.index)) return false;
    try {
      this.sealed = GzipCastReader.open(gz.data, gz.index);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }
}

/** The recording's bytes [start, end] (inclusive, like fs.createReadStream), streamed with bounded memory. */
export function castReadStream(castPath: string, range: { start?: number; end?: number; highWaterMark?: number } = {}): Readable {
  // Through the source even for a plain file: a seal may punch it while it is read.
  const chunk = range.highWaterMark ?? 256 * 1024;
  // Opened inside the generator: a stream destroyed before its first read holds no file.
  async function* bytes(): AsyncGenerator<Buffer> {
    const src = openCastSync(castPath);
    try {
      const end = Math.min(range.end ?? Infinity, src.size() - 1);
      for (let pos = range.start ?? 0; pos <= end; ) {
        const buf = Buffer.allocUnsafe(Math.min(chunk, end - pos + 1));
        const n = await src.read(buf, 0, buf.length, pos);
        if (n === 0) break;
        yield n === buf.length ? buf : buf.subarray(0, n);
        pos += n;
      }
    } finally {
      src.close();
    }
  }
  return Readable.from(bytes(), { objectMode: false });
}
