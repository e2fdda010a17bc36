import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compressCast } from './cast-compress.js';
import { gzipPaths } from './cast-gzip.js';
import { castReadStream, castStat, castStorage, openCastSync } from './cast-source.js';
import { requireTool } from '../../test/helpers/tools.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-gz-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** An asciicast with `events` output events of mixed text, escapes and invalid bytes escaped as JSON. */
function writeCast(name: string, events: number): { path: string; bytes: Buffer } {
  const lines = [JSON.stringify({ version: 2, width: 80, height: 24, timestamp: 1_700_000_000 })];
  for (let i = 0; i < events; i++) lines.push(JSON.stringify([i / 10, 'o', `line ${i} \u001b[32m${randomBytes(8).toString('hex')}\u001b[0m ${'x'.repeat(i % 97)}\r\n`]));
  const bytes = Buffer.from(lines.join('\n') + '\n');
  const p = path.join(dir, `${name}.cast`);
  fs.writeFileSync(p, bytes);
  return { path: p, bytes };
}

describe.skipIf(requireTool('gzip'))('compressCast', () => {
  it('replaces the recording by a seekable gzip that gunzip turns back into the same bytes', () => {
    const { path: p, bytes } = writeCast('a', 20_000);
    const r = compressCast(p, { sha256: sha(bytes), size: bytes.length }, { memberBytes: 64 * 1024 });
    expect(r).toMatchObject({ ok: true, size: bytes.length });
    if (!r.ok) return;
    expect(r.members).toBe(Math.ceil(bytes.length / (64 * 1024)));
    expect(fs.existsSync(p)).toBe(false);
    expect(castStorage(p)).toBe('compressed');
    expect(r.storedBytes).toBeLessThan(bytes.length / 2);
    // Standard tools read it: the concatenated members are one gzip stream.
    const gunzipped = execFileSync('gzip', ['-dc', gzipPaths(p).data], { maxBuffer: 1 << 30 });
    expect(sha(gunzipped)).toBe(sha(bytes));
    expect(castStat(p)).toMatchObject({ size: bytes.length, storedBytes: r.storedBytes, compressed: true });
  });

  it('reads any range exactly as the original, across member boundaries, sync and async', async () => {
    const { path: p, bytes } = writeCast('b', 8_000);
    expect(compressCast(p, { sha256: sha(bytes) }, { memberBytes: 10_000 }).ok).toBe(true);
    const src = openCastSync(p);
    try {
      expect(src.compressed).toBe(true);
      expect(src.size()).toBe(bytes.length);
      let seed = 7;
      const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);
      for (let k = 0; k < 200; k++) {
        const pos = rnd(bytes.length);
        const len = 1 + rnd(35_000);
        const a = Buffer.alloc(len);
        const n = src.readSync(a, 0, len, pos);
        expect(n).toBe(Math.min(len, bytes.length - pos));
        expect(a.subarray(0, n).equals(bytes.subarray(pos, pos + n))).toBe(true);
        const b = Buffer.alloc(len + 3);
        const m = await src.read(b, 3, len, pos);
        expect(b.subarray(3, 3 + m).equals(bytes.subarray(pos, pos + m))).toBe(true);
      }
      expect(src.readSync(Buffer.alloc(10), 0, 10, bytes.length)).toBe(0);
    } finally {
      src.close();
    }
  });

  it('streams a range of the compressed recording like fs.createReadStream does for the plain one', async () => {
    const { path: p, bytes } = writeCast('c', 5_000);
    expect(compressCast(p, { sha256: sha(bytes) }, { memberBytes: 4096 }).ok).toBe(true);
    const collect = async (start?: number, end?: number) => Buffer.concat(await castReadStream(p, { start, end, highWaterMark: 1000 }).toArray());
    expect(sha(await collect())).toBe(sha(bytes));
    expect((await collect(12_345, 99_999)).equals(bytes.subarray(12_345, 100_000))).toBe(true);
    expect((await collect(bytes.length - 5)).equals(bytes.subarray(bytes.length - 5))).toBe(true);
  });

  it('leaves a recording that no longer matches its stored hash or size untouched', () => {
    const { path: p, bytes } = writeCast('d', 100);
    const wrong = compressCast(p, { sha256: sha(Buffer.from('other')) });
    expect(wrong).toEqual({ ok: false, problem: expect.stringContaining('SHA-256 differs') });
    const short = compressCast(p, { sha256: sha(bytes), size: bytes.length + 1 });
    expect(short).toEqual({ ok: false, problem: expect.stringContaining('size differs') });
    expect(fs.readFileSync(p).equals(bytes)).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(['d.cast']);
  });

  it('prefers the original when a crash left both, and refuses a damaged compressed copy in plain words', () => {
    const { path: p, bytes } = writeCast('e', 3000);
    expect(compressCast(p, { sha256: sha(bytes) }, { memberBytes: 8192 }).ok).toBe(true);
    // A crash between the rename and the removal of the original: both are there; the original is read.
    fs.writeFileSync(p, bytes);
    expect(openCastSync(p).compressed).toBe(false);
    expect(compressCast(p, { sha256: sha(bytes) }, { memberBytes: 8192 }).ok).toBe(true);
    expect(castStorage(p)).toBe('compressed');
    // Flip a byte inside a member: the read fails with a message, never returns other bytes.
    const gz = fs.readFileSync(gzipPaths(p).data);
    gz[gz.length >> 1] ^= 0xff;
    fs.writeFileSync(gzipPaths(p).data, gz);
    const src = openCastSync(p);
    try {
      expect(() => {
        for (let pos = 0; pos < bytes.length; pos += 8192) src.readSync(Buffer.alloc(8192), 0, 8192, pos);
      }).toThrow();
    } finally {
      src.close();
    }
    fs.rmSync(gzipPaths(p).index);
    expect(() => openCastSync(p)).toThrow(/ENOENT/);
    expect(castStat(path.join(dir, 'missing.cast'))).toBeNull();
  });
});
