import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AsciicastWriter } from './asciicast-writer.js';
import { verifyRecording } from './integrity.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
async function recording(): Promise<{ path: string; sha256: string; size: number }> {
  const d = await mkdtemp(join(tmpdir(), 'vigil-integrity-'));
  dirs.push(d);
  const path = join(d, 's.cast');
  const w = await AsciicastWriter.open({ path, header: { width: 80, height: 24, timestamp: 0 } });
  w.output(Buffer.from('some output\r\n'.repeat(1000)));
  return w.close();
}

describe('verifyRecording', () => {
  it('accepts an untouched recording', async () => {
    const r = await recording();
    expect(await verifyRecording(r.path, r.sha256, r.size)).toEqual({ ok: true });
    expect(await verifyRecording(r.path, r.sha256.toUpperCase())).toEqual({ ok: true });
  });

  it('detects a flipped byte', async () => {
    const r = await recording();
    const bytes = await readFile(r.path);
    bytes[bytes.length >> 1] ^= 0x01;
    await writeFile(r.path, bytes);
    const v = await verifyRecording(r.path, r.sha256, r.size);
    expect(v.ok).toBe(false);
    expect(v.problem).toMatch(/SHA-256 differs/);
  });

  it('detects a changed size', async () => {
    const r = await recording();
    await truncate(r.path, r.size - 1);
    const v = await verifyRecording(r.path, r.sha256, r.size);
    expect(v.ok).toBe(false);
    expect(v.problem).toMatch(/size differs: \d+ bytes on disk, \d+ expected/);
    expect((await verifyRecording(r.path, r.sha256)).problem).toMatch(/SHA-256 differs/);
  });

  it('detects a missing file', async () => {
    const r = await recording();
    await rm(r.path);
    expect(await verifyRecording(r.path, r.sha256, r.size)).toEqual({ ok: false, problem: 'recording file is missing' });
  });
});
