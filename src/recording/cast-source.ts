// One way to read a recording's bytes wherever they are stored: the plain `.cast` (written live, then kept until
// compressed) or, once compressed after close, `.cast.gz` + `.cast.gzi`. Every reader of recordings goes through here.

import { closeSync, createReadStream, existsSync, fstatSync, openSync, read as readCb, readSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { GzipCastReader, gzipPaths } from './cast-gzip.js';

const readAsync = promisify(readCb);

/** Random access to a recording's bytes (uncompressed coordinates, whatever the storage). */
export interface CastSource {
  readonly compressed: boolean;
  /** Bytes of the recording now (a plain file being written still grows). */
  size(): number;
  /** Copies bytes from `pos` into `buf` at `at`, at most `len`; returns how many (0 at the end). */
  readSync(buf: Buffer, at: number, len: number, pos: number): number;
  read(buf: Buffer, at: number, len: number, pos: number): Promise<number>;
  close(): void;
}

/** How a recording is stored now: plain, compressed, or not at all (missing or purged). */
export function castStorage(castPath: string): 'plain' | 'compressed' | null {
  if (existsSync(castPath)) return 'plain';
  return existsSync(gzipPaths(castPath).data) ? 'compressed' : null;
}

/** The recording's size and last change, or null when it is not stored. */
export function castStat(castPath: string): { size: number; storedBytes: number; mtimeMs: number; compressed: boolean } | null {
  try {
    const st = statSync(castPath);
    return { size: st.size, storedBytes: st.size, mtimeMs: st.mtimeMs, compressed: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const gz = gzipPaths(castPath);
  let src: CastSource;
  try {
    src = openCastSync(castPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const data = statSync(gz.data);
    return { size: src.size(), storedBytes: data.size + statSync(gz.index).size, mtimeMs: data.mtimeMs, compressed: true };
  } finally {
    src.close();
  }
}

/**
 * Opens a recording for reading. The plain file wins when both exist (a compression that did not finish).
 * Throws an ENOENT error when neither is there, and a plain-words error when a compressed one is damaged.
 */
export function openCastSync(castPath: string): CastSource {
  try {
    return plainSource(openSync(castPath, 'r'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const gz = gzipPaths(castPath);
  if (!existsSync(gz.data)) {
    throw Object.assign(new Error(`ENOENT: recording not found: ${castPath}`), { code: 'ENOENT' });
  }
  const r = GzipCastReader.open(gz.data, gz.index);
  return {
    compressed: true,
    size: () => r.size,
    readSync: (buf, at, len, pos) => r.readSync(buf, at, len, pos),
    read: (buf, at, len, pos) => r.read(buf, at, len, pos),
    close: () => r.close(),
  };
}

function plainSource(fd: number): CastSource {
  return {
    compressed: false,
    size: () => fstatSync(fd).size,
    readSync: (buf, at, len, pos) => readSync(fd, buf, at, len, pos),
    read: async (buf, at, len, pos) => (await readAsync(fd, buf, at, len, pos)).bytesRead,
    close: () => closeSync(fd),
  };
}

/** The recording's bytes [start, end] (inclusive, like fs.createReadStream), streamed with bounded memory. */
export function castReadStream(castPath: string, range: { start?: number; end?: number; highWaterMark?: number } = {}): Readable {
  if (existsSync(castPath)) return createReadStream(castPath, range);
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
