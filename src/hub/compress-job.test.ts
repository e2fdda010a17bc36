import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import type { SessionStatus } from '../core/types.js';
import { CastCompressor } from '../recording/cast-compressor.js';
import { castReadStream, castStorage, openCastSync } from '../recording/cast-source.js';
import { buildKeyframes } from '../recording/keyframes/keyframe-files.js';
import { readIndex } from '../recording/keyframes/keyframe-index.js';
import { openSqliteStore, type SqliteStore } from '../store/sqlite-store.js';
import { CompressJob } from './compress-job.js';
import { requireTool } from '../../test/helpers/tools.js';

const NOW = Date.UTC(2026, 11, 1, 12);
let dir: string;
let store: SqliteStore;
let compressor: CastCompressor;
let clock: ManualClock;
const logs: Array<{ fields: object; msg: string }> = [];
const logger = {
  info: (fields: object, msg: string) => logs.push({ fields, msg }),
  warn: (fields: object, msg: string) => logs.push({ fields, msg }),
  error: (fields: object, msg: string) => logs.push({ fields, msg }),
};

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-compress-'));
  clock = new ManualClock(NOW);
  store = await openSqliteStore(path.join(dir, 'vigil.db'), clock);
  compressor = new CastCompressor();
  logs.length = 0;
});
afterEach(async () => {
  await compressor.close();
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function castBytes(events: number): Buffer {
  const lines = [JSON.stringify({ version: 2, width: 80, height: 24 })];
  for (let i = 0; i < events; i++) lines.push(JSON.stringify([i * 0.05, 'o', `$ ls -l /var/log/app-${i}\r\n-rw-r--r-- 1 root root ${i * 37} syslog.${i}\r\n`]));
  return Buffer.from(lines.join('\n') + '\n');
}

/** A session row with a recording file; `endedSecondsAgo` null leaves it active. */
async function session(o: { bytes: Buffer; status?: Exclude<SessionStatus, 'active'>; endedSecondsAgo?: number | null; sha256?: string | null }): Promise<{ id: number; castPath: string }> {
  const sessionId = randomBytes(16).toString('hex');
  const castPath = path.join(dir, 'recordings', `${sessionId}.cast`);
  fs.mkdirSync(path.dirname(castPath), { recursive: true });
  fs.writeFileSync(castPath, o.bytes);
  const rec = await store.sessions.create({
    sessionId, userId: null, user: 'alice', originIp: '10.0.0.1', credentialId: null, credential: 'root', deviceId: null, device: 'web01',
    host: 'web01:22', protocol: 'SSH', type: 'shell', command: null, status: 'active', startedAt: new Date(NOW - 3_600_000), recordingPath: castPath, cols: 80, rows: 24,
  });
  if (o.endedSecondsAgo !== null) {
    const sha256 = o.sha256 === undefined ? createHash('sha256').update(o.bytes).digest('hex') : o.sha256;
    await store.sessions.end(rec.id, {
      status: o.status ?? 'completed', endedAt: new Date(NOW - (o.endedSecondsAgo ?? 120) * 1000), exitStatus: 0, bytesIn: 1, bytesOut: o.bytes.length,
      endReason: null, errorMessage: null, recordingSize: o.bytes.length, recordingDuration: 1, recordingSha256: sha256,
    });
  }
  return { id: rec.id, castPath };
}

const job = () => new CompressJob({ repo: store.compress, compressor, clock, logger, settleMs: 30_000 });

describe.skipIf(requireTool('fallocate'))('CompressJob', () => {
  it('compresses recordings closed longer than the settle time, and leaves live and fresh ones as written', async () => {
    const bytes = castBytes(20_000);
    const closed = await session({ bytes });
    const interrupted = await session({ bytes: castBytes(50), status: 'interrupted' });
    const fresh = await session({ bytes, endedSecondsAgo: 5 });
    const live = await session({ bytes, endedSecondsAgo: null });

    const liveBlocks = fs.statSync(live.castPath).blocks;
    expect(await job().runOnce()).toEqual({ compressed: 2, sealed: 1, skipped: 0, failed: 0 });
    expect(castStorage(closed.castPath)).toBe('compressed');
    expect(castStorage(interrupted.castPath)).toBe('compressed');
    expect(castStorage(fresh.castPath)).toBe('plain');
    expect(castStorage(live.castPath)).toBe('plain');
    // The live recording's settled prefix is sealed: far fewer blocks on disk, the same bytes to every reader.
    expect(fs.statSync(live.castPath).blocks).toBeLessThan(liveBlocks / 3);
    expect(fs.statSync(live.castPath).size).toBe(bytes.length);
    expect(Buffer.concat(await castReadStream(live.castPath).toArray()).equals(bytes)).toBe(true);
    const s = (await store.sessions.get(closed.id))!;
    expect(s.recordingStoredSize).toBeGreaterThan(0);
    expect(s.recordingStoredSize!).toBeLessThan(bytes.length / 5);
    expect(s.recordingStoredSize).toBe(fs.statSync(`${closed.castPath}.gz`).size + fs.statSync(`${closed.castPath}.gzi`).size);
    expect((await store.sessions.get(fresh.id))!.recordingStoredSize).toBeNull();
    // Seek still works: keyframes are built from the compressed recording and point at the same bytes.
    const index = buildKeyframes(closed.castPath, { limits: { bytes: 64 * 1024 } });
    expect(index.keyframes.length).toBeGreaterThan(3);
    const src = openCastSync(closed.castPath);
    try {
      for (const k of index.keyframes) {
        const b = Buffer.alloc(k.castOffset + 1 < bytes.length ? 1 : 0);
        src.readSync(b, 0, b.length, k.castOffset);
        expect(b.equals(bytes.subarray(k.castOffset, k.castOffset + b.length))).toBe(true);
      }
    } finally {
      src.close();
    }
    expect(readIndex(closed.castPath).end?.castSize).toBe(bytes.length);

    // Once the fresh one has settled, the next run takes it; compressed ones are not listed again.
    clock.advance(60_000);
    expect(await job().runOnce()).toEqual({ compressed: 1, sealed: 0, skipped: 0, failed: 0 });
    expect(await job().runOnce()).toEqual({ compressed: 0, sealed: 0, skipped: 0, failed: 0 });
  });

  it('leaves a recording that does not match its stored hash, or has none, as written and says so', async () => {
    const altered = await session({ bytes: castBytes(100), sha256: 'cd'.repeat(32) });
    const unhashed = await session({ bytes: castBytes(100), sha256: null });
    const missing = await session({ bytes: castBytes(10) });
    fs.rmSync(missing.castPath);

    expect(await job().runOnce()).toEqual({ compressed: 0, sealed: 0, skipped: 3, failed: 0 });
    expect(castStorage(altered.castPath)).toBe('plain');
    expect(castStorage(unhashed.castPath)).toBe('plain');
    expect((await store.sessions.get(altered.id))!.recordingStoredSize).toBe(fs.statSync(altered.castPath).size);
    expect((await store.sessions.get(missing.id))!.recordingStoredSize).toBe(0);
    expect(logs.map((l) => l.msg)).toEqual(expect.arrayContaining(['recording does not match what was stored at close; left uncompressed', 'recording file is missing; nothing to compress']));
    // Not retried: the queue is empty now.
    expect(await job().runOnce()).toEqual({ compressed: 0, sealed: 0, skipped: 0, failed: 0 });
  });

  it('skips sessions the purge has claimed or purged', async () => {
    const claimed = await session({ bytes: castBytes(100) });
    await store.database.db.updateTable('sessions').set({ purge_started_at: new Date(NOW).toISOString() }).where('id', '=', claimed.id).execute();
    const purged = await session({ bytes: castBytes(100) });
    await store.sessions.markPurged(purged.id, new Date(NOW));
    expect(await job().runOnce()).toEqual({ compressed: 0, sealed: 0, skipped: 0, failed: 0 });
    expect(castStorage(claimed.castPath)).toBe('plain');
    expect(castStorage(purged.castPath)).toBe('plain');
  });

  it('retries on the next run when compression fails for a reason that may pass', async () => {
    const s = await session({ bytes: castBytes(100) });
    // The folder cannot take the compressed file now (as a full or read-only disk would refuse it).
    fs.chmodSync(path.dirname(s.castPath), 0o500);
    const asRoot = process.getuid?.() === 0;
    try {
      if (asRoot) fs.mkdirSync(`${s.castPath}.gz.part`);
      expect(await job().runOnce()).toEqual({ compressed: 0, sealed: 0, skipped: 0, failed: 1 });
      expect(castStorage(s.castPath)).toBe('plain');
    } finally {
      fs.chmodSync(path.dirname(s.castPath), 0o700);
      if (asRoot) fs.rmdirSync(`${s.castPath}.gz.part`);
    }
    expect(await job().runOnce()).toEqual({ compressed: 1, sealed: 0, skipped: 0, failed: 0 });
  });
});
