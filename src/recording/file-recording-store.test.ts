import { mkdtemp, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileRecordingStore } from './file-recording-store.js';

const header = { width: 80, height: 24, timestamp: 1767225600 };
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'vigil-store-'));
  dirs.push(d);
  return d;
}

describe('FileRecordingStore', () => {
  it('lays recordings out by the UTC date of the session start, in 0700 directories', async () => {
    const dir = await tempDir();
    const store = new FileRecordingStore({ dir });
    // 23:30 on 31 Dec in UTC-3 is already 1 Jan in UTC.
    const rec = await store.open('a1b2c3d4e5f60718', new Date('2025-12-31T23:30:00-03:00'), header);
    expect(rec.path).toBe(join(dir, '2026', '01', '01', 'a1b2c3d4e5f60718.cast'));
    await rec.close();
    expect((await stat(join(dir, '2026'))).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, '2026', '01', '01'))).mode & 0o777).toBe(0o700);
  });

  it('refuses session ids that are not 16–64 lowercase hex digits', async () => {
    const dir = await tempDir();
    const store = new FileRecordingStore({ dir });
    for (const id of ['../../../etc/passwd', '0123456789ABCDEF', '0123456789abcde', 'a'.repeat(65), '0123456789abcdef/..', '']) {
      await expect(store.open(id, new Date(), header)).rejects.toThrow(/invalid session id/);
    }
    await expect(store.open('0123456789abcdef', new Date(Number.NaN), header)).rejects.toThrow(/start time/);
  });

  it('repairs its recordings and refuses paths outside its directory', async () => {
    const dir = await tempDir();
    const store = new FileRecordingStore({ dir });
    const rec = await store.open('ffffffffffffffff', new Date(), header);
    rec.output(Buffer.from('hello'));
    const closed = await rec.close();
    await truncate(rec.path, closed.size - 3);
    const repaired = await store.repair(rec.path);
    expect(repaired).toMatchObject({ path: rec.path, duration: 0 });
    expect(repaired!.size).toBeLessThan(closed.size);
    expect(await store.repair(join(dir, '2026', 'none.cast'))).toBeNull();
    const outside = join(await tempDir(), 'x.cast');
    await writeFile(outside, '');
    await expect(store.repair(outside)).rejects.toThrow(/outside/);
    await expect(store.repair(join(dir, '..', 'x.cast'))).rejects.toThrow(/outside/);
  });
});
