import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { repairRecording } from './asciicast-repair.js';
import { compressCast } from './cast-compress.js';
import { gzipPaths } from './cast-gzip.js';
import { sealCast } from './cast-seal.js';
import { castReadStream, castStat, openCastSync } from './cast-source.js';
import { requireTool } from '../../test/helpers/tools.js';

let dir: string;
let castPath: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-seal-'));
  castPath = path.join(dir, 'live.cast');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
let t = 0;
/** Appends `n` coloured output events, as a recorder would, and returns everything written so far. */
function append(n: number): Buffer {
  if (!fs.existsSync(castPath)) fs.writeFileSync(castPath, JSON.stringify({ version: 2, width: 80, height: 24 }) + '\n');
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(JSON.stringify([(t += 0.01), 'o', `\u001b[3${i % 8}m${randomBytes(6).toString('hex')}\u001b[0m line ${t.toFixed(2)} ${'='.repeat(i % 40)}\r\n`]));
  fs.appendFileSync(castPath, lines.join('\n') + '\n');
  return logical();
}
/** What the file would hold had nothing been sealed: kept by the test beside the recording. */
let written = Buffer.alloc(0);
function logical(): Buffer {
  const now = fs.readFileSync(castPath);
  // Bytes the test wrote since the last call are at the end of the file, past any hole.
  written = Buffer.concat([written, now.subarray(written.length)]);
  return written;
}
function readAll(): Buffer {
  const src = openCastSync(castPath);
  try {
    const b = Buffer.alloc(src.size());
    let n = 0;
    while (n < b.length) n += src.readSync(b, n, b.length - n, n);
    return b;
  } finally {
    src.close();
  }
}
const blocks = () => fs.statSync(castPath).blocks * 512;

beforeEach(() => {
  written = Buffer.alloc(0);
  t = 0;
});

describe.skipIf(requireTool('fallocate', 'gzip'))('sealCast', () => {
  it('compresses the settled prefix of a growing recording and frees its plain copy; readers see the same bytes', async () => {
    let all = append(20_000);
    const plainBefore = blocks();
    const r1 = sealCast(castPath, { memberBytes: 64 * 1024, keepTail: 32 * 1024 });
    expect(r1.punched).toBe(true);
    expect(r1.sealed).toBeGreaterThan(all.length - 32 * 1024 - 64 * 1024);
    expect(all[r1.prefix - 1]).toBe(10); // the cut follows a newline
    expect(all.length - r1.prefix).toBeGreaterThanOrEqual(32 * 1024);
    expect(blocks()).toBeLessThan(plainBefore / 5);
    expect(readAll().equals(all)).toBe(true);
    // The file keeps its size and offsets: the writer appends after it as before.
    expect(fs.statSync(castPath).size).toBe(all.length);

    all = append(8_000);
    const r2 = sealCast(castPath, { memberBytes: 64 * 1024, keepTail: 32 * 1024 });
    expect(r2.prefix).toBeGreaterThan(r1.prefix);
    expect(readAll().equals(all)).toBe(true);
    expect(sha(Buffer.concat(await castReadStream(castPath, { highWaterMark: 7000 }).toArray()))).toBe(sha(all));
    // The members alone are the prefix, readable by gzip.
    expect(execFileSync('gzip', ['-dc', gzipPaths(castPath).data], { maxBuffer: 1 << 28 }).equals(all.subarray(0, r2.prefix))).toBe(true);
    const st = castStat(castPath)!;
    expect(st.size).toBe(all.length);
    expect(st.storedBytes).toBeLessThan(all.length / 3);
    // Too little new to seal: nothing done.
    expect(sealCast(castPath, { memberBytes: 64 * 1024, keepTail: 32 * 1024 }).sealed).toBe(0);
  });

  it('a reader opened before a seal keeps reading the right bytes after the hole is punched under it', () => {
    const all = append(20_000);
    const src = openCastSync(castPath);
    try {
      const head = Buffer.alloc(1000);
      src.readSync(head, 0, head.length, 0);
      expect(sealCast(castPath, { memberBytes: 64 * 1024, keepTail: 4096 }).punched).toBe(true);
      const b = Buffer.alloc(all.length);
      for (let n = 0; n < b.length; ) n += src.readSync(b, n, Math.min(50_000, b.length - n), n);
      expect(b.equals(all)).toBe(true);
    } finally {
      src.close();
    }
  });

  it('ignores what an interrupted seal left past its commit, and redoes it', () => {
    const all = append(20_000);
    // A seal that could not free the plain copy still commits: readers use the members, the plain bytes stay.
    const r = sealCast(castPath, { memberBytes: 64 * 1024, keepTail: 32 * 1024, punch: () => false });
    expect(r).toMatchObject({ punched: false });
    expect(readAll().equals(all)).toBe(true);
    // A crash mid-seal: members and entries written, header not: leftovers past the committed sizes.
    fs.appendFileSync(gzipPaths(castPath).data, randomBytes(5000));
    fs.appendFileSync(gzipPaths(castPath).index, randomBytes(40));
    expect(readAll().equals(all)).toBe(true);
    const more = append(10_000);
    expect(sealCast(castPath, { memberBytes: 64 * 1024, keepTail: 32 * 1024 }).sealed).toBeGreaterThan(0);
    expect(readAll().equals(more)).toBe(true);
  });

  it('repair after a crash cuts the torn last event in the plain part, and close compresses the whole recording', async () => {
    append(20_000);
    sealCast(castPath, { memberBytes: 64 * 1024, keepTail: 16 * 1024 });
    const whole = append(100);
    fs.appendFileSync(castPath, '[9999.5, "o", "torn ev');
    const summary = await repairRecording(castPath);
    expect(summary).toMatchObject({ size: whole.length, sha256: sha(whole) });
    expect(readAll().equals(whole)).toBe(true);

    expect(compressCast(castPath, { sha256: sha(whole), size: whole.length }).ok).toBe(true);
    expect(fs.existsSync(castPath)).toBe(false);
    expect(readAll().equals(whole)).toBe(true);
    expect(execFileSync('gzip', ['-dc', gzipPaths(castPath).data], { maxBuffer: 1 << 28 }).equals(whole)).toBe(true);
  });
});
