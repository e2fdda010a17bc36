import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import type { Recorder } from '../core/ports.js';
import { SessionHub, type SessionRequest } from '../hub/session-hub.js';
import { openSqliteStore } from '../store/sqlite-store.js';
import type { FaultSpec } from '../../test/helpers/faulty-recorder-worker.js';
import { AsciicastWriter } from './asciicast-writer.js';
import { FileRecordingStore } from './file-recording-store.js';
import { sha256File, verifyRecording } from './integrity.js';
import { RecorderPool } from './recorder-pool.js';
import { startWorker } from './worker-launch.js';

const header = { width: 80, height: 24, timestamp: 1767225600, env: { TERM: 'xterm-256color' } };
const dirs: string[] = [];
const pools: RecorderPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'vigil-pool-'));
  dirs.push(d);
  return d;
}
/** A pool on the real worker, or on the test worker injecting `fault`. */
function pool(o: { fault?: FaultSpec; maxBacklog?: number } = {}): RecorderPool {
  const helper = new URL('../../test/helpers/faulty-recorder-worker.ts', import.meta.url).href;
  const p = new RecorderPool({ maxBacklog: o.maxBacklog, startWorker: o.fault ? () => startWorker(helper, 'faulty-recorder-worker', o.fault) : undefined });
  pools.push(p);
  return p;
}
function random(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 8;
  return b;
}
function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

type Step = { at: number } & ({ output: Buffer } | { input: Buffer } | { resize: [number, number] });

/** Plays the same steps, at the same clock readings, into the in-thread writer and into a pooled recorder. */
async function both(steps: Step[]): Promise<{ direct: Buffer; pooled: Buffer; summaries: [unknown, unknown] }> {
  const dir = await tempDir();
  let t = 0;
  const now = () => t;
  const a = await AsciicastWriter.open({ path: join(dir, 'direct.cast'), header, now });
  const b = await pool().open({ path: join(dir, 'pooled.cast'), header, now });
  for (const s of steps) {
    t = s.at;
    for (const r of [a, b] as Recorder[]) {
      if ('output' in s) r.output(s.output);
      else if ('input' in s) r.input(s.input);
      else r.resize(...s.resize);
    }
  }
  t += 1;
  const summaries: [unknown, unknown] = [await a.close(), await b.close()];
  return { direct: await readFile(a.path), pooled: await readFile(b.path), summaries };
}

/** Events of a recording with runs of output events merged (first time kept): where a batch flush split them. */
function mergedEvents(file: Buffer): Array<[number, string, string]> {
  const out: Array<[number, string, string]> = [];
  for (const line of file.toString('utf8').trimEnd().split('\n').slice(1)) {
    const e = JSON.parse(line) as [number, string, string];
    const last = out[out.length - 1];
    if (last && last[1] === 'o' && e[1] === 'o') last[2] += e[2];
    else out.push(e);
  }
  return out;
}
function bytesOf(steps: Step[]): number {
  return steps.reduce((n, s) => n + ('output' in s ? s.output.length : 'input' in s ? s.input.length : 8) + 20, 0);
}

describe('RecorderPool', () => {
  // Where an output event ends depends on when a batch is flushed (at 1 MiB or by the timer), so two runs are
  // byte-identical only when the worker takes all events in one batch, before any timer: under 256 KiB of events.
  // Larger recordings are compared with runs of output events merged.
  it('writes text byte for byte as the in-thread writer does, coalescing included', async () => {
    const steps: Step[] = [];
    let at = 0;
    for (let i = 0; i < 600; i++) {
      at += i % 50 === 0 ? 700 : i % 7;
      steps.push({ at, output: Buffer.from(`\x1b[1mrow ${i}\x1b[0m caf\u00e9 \u2713 "q" \\ \t\r\n`.repeat(1 + (i % 9))) });
      if (i % 100 === 0) steps.push({ at, input: Buffer.from('ls -l\r') }, { at, resize: [80 + (i % 40), 24] });
    }
    expect(bytesOf(steps)).toBeLessThan(256 * 1024);
    const { direct, pooled, summaries } = await both(steps);
    expect(pooled.toString('utf8')).toContain('"r","100x24"');
    expect(pooled.equals(direct)).toBe(true);
    expect(summaries[1]).toEqual({ ...(summaries[0] as object), path: expect.stringContaining('pooled.cast') });
  });

  it('writes binary output, NULs and invalid UTF-8 byte for byte as the in-thread writer does', async () => {
    const steps: Step[] = [{ at: 0, output: Buffer.alloc(5000) }, { at: 1, output: Buffer.from([0xff, 0xfe, 0x22, 0x5c, 0x1b, 0xc3]) }];
    for (let i = 0; i < 60; i++) steps.push({ at: 2 + i * 3, output: random(1 + ((i * 997) % 4000), i) });
    steps.push({ at: 2000, input: Buffer.from([0xe2, 0x28, 0xa1, 0x00]) });
    expect(bytesOf(steps)).toBeLessThan(256 * 1024);
    const { direct, pooled } = await both(steps);
    expect(pooled.equals(direct)).toBe(true);
    const out = mergedEvents(pooled).filter((e) => e[1] === 'o').map((e) => e[2]).join('');
    expect(out).toBe(new TextDecoder().decode(Buffer.concat(steps.flatMap((s) => ('output' in s ? [s.output] : [])))));
  });

  it('writes megabytes of mixed output with the same events as the in-thread writer', async () => {
    const steps: Step[] = [];
    for (let i = 0; i < 400; i++) {
      const chunk = i % 3 === 0 ? random(1 + ((i * 997) % 40_000), i) : Buffer.from(`line ${i} caf\u00e9 \u2713\r\n`.repeat(1 + (i % 300)));
      steps.push({ at: i * 4, output: chunk });
      if (i % 50 === 0) steps.push({ at: i * 4, input: Buffer.from('q') });
    }
    expect(bytesOf(steps)).toBeGreaterThan(3 * 1024 * 1024);
    const { direct, pooled } = await both(steps);
    expect(mergedEvents(pooled)).toEqual(mergedEvents(direct));
  });

  it('keeps multibyte characters split across chunks at every byte boundary, as the in-thread writer does', async () => {
    const bytes = Buffer.from('h\u00e9llo \u2713 \u65e5\u672c \ud83d\ude00 end', 'utf8');
    const steps: Step[] = [];
    for (let cut = 1; cut < bytes.length; cut++) {
      steps.push({ at: cut * 10, output: bytes.subarray(0, cut) }, { at: cut * 10, input: bytes.subarray(0, cut) });
      steps.push({ at: cut * 10 + 6, output: bytes.subarray(cut) }, { at: cut * 10 + 6, input: bytes.subarray(cut) });
    }
    // A stream that ends inside a character: U+FFFD, on both paths.
    steps.push({ at: 5000, output: bytes.subarray(0, 9) });
    const { direct, pooled } = await both(steps);
    expect(pooled.equals(direct)).toBe(true);
    expect(pooled.toString('utf8')).toContain('\u2713');
    expect(pooled.toString('utf8').trimEnd().endsWith('\ufffd"]')).toBe(true);
  });

  it('returns a summary whose size and SHA-256 match the file, for many sessions on one worker', async () => {
    const dir = await tempDir();
    const p = pool();
    const recs = await Promise.all(Array.from({ length: 40 }, (_, i) => p.open({ path: join(dir, `${i}.cast`), header })));
    for (let round = 0; round < 50; round++) {
      recs.forEach((r, i) => r.output(Buffer.from(`session ${i} round ${round} \u2713\r\n`.repeat(1 + (round % 5)))));
    }
    const summaries = await Promise.all(recs.map((r) => r.close()));
    for (const [i, s] of summaries.entries()) {
      expect(s.size).toBe((await stat(s.path)).size);
      expect(s.sha256).toBe(await sha256File(s.path));
      const text = await readFile(s.path, 'utf8');
      expect(text).toContain(`session ${i} round 49 `);
      expect(text).not.toContain(`session ${(i + 1) % 40} round`);
    }
  });

  it('hands data to the file within a second while the session is still open', async () => {
    const dir = await tempDir();
    const rec = await pool().open({ path: join(dir, 'live.cast'), header });
    const start = Date.now();
    rec.output(Buffer.from('still-open marker'));
    let seenAfter = -1;
    // The file is written by another thread: there is no event to await, so poll it.
    while (Date.now() - start < 2000) {
      if ((await readFile(rec.path, 'utf8')).includes('still-open marker')) {
        seenAfter = Date.now() - start;
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(seenAfter).toBeGreaterThanOrEqual(0);
    expect(seenAfter).toBeLessThan(1000);
    await rec.close();
  });

  it('reports a write failure in the worker once through onError, and closes with what the file holds', async () => {
    const dir = await tempDir();
    const rec = await pool({ fault: { failFromWrite: 3, message: 'EIO: i/o error, write', code: 'EIO' } }).open({ path: join(dir, 'f.cast'), header });
    const errors: Error[] = [];
    const failed = deferred();
    rec.onError((e) => {
      errors.push(e);
      failed.resolve();
    });
    rec.output(Buffer.from('first'));
    await rec.flush();
    rec.output(Buffer.from('second'));
    await failed.promise;
    expect(errors.map((e) => [e.message, (e as NodeJS.ErrnoException).code])).toEqual([['EIO: i/o error, write', 'EIO']]);
    rec.output(Buffer.alloc(100_000));
    expect(rec.pendingBytes).toBe(0);
    const s = await rec.close();
    expect(errors).toHaveLength(1);
    expect(await verifyRecording(s.path, s.sha256, s.size)).toEqual({ ok: true });
    expect(await readFile(s.path, 'utf8')).toContain('first');
  });

  it('applies the session failure policy when the worker cannot write: drop by default, continue with an alert', async () => {
    const dir = await tempDir();
    const clock = new ManualClock(Date.UTC(2026, 2, 4, 5, 6, 7));
    const store = await openSqliteStore(join(dir, 'vigil.db'), clock);
    try {
      await store.roles.seed([{ name: 'PAM User', permissions: ['PAM.Access.Connect'] }]);
      const alice = await store.users.create({ username: 'alice', passwordHash: null, roles: ['PAM User'] });
      const req: SessionRequest = {
        user: { id: alice.id, username: 'alice' }, originIp: '10.0.0.9', credential: { id: null, label: 'root' }, device: { id: null, name: 'web01' },
        host: 'web01.example:22', type: 'shell', command: null, cols: 80, rows: 24,
      };
      // The header is the first write, the first batch of output the second: it fails.
      const recordings = new FileRecordingStore({ dir: join(dir, 'rec'), pool: pool({ fault: { failFromWrite: 2, message: 'ENOSPC: no space left on device', code: 'ENOSPC' } }) });
      for (const policy of ['drop', 'continue'] as const) {
        const alerted = deferred<string>();
        const logger = { info: () => {}, warn: () => {}, error: (o: object, msg: string) => alerted.resolve(msg) };
        const hub = new SessionHub({ sessions: store.sessions, events: store.events, blocks: store.blocks, recordings, clock, logger, policy: { defaultAuditors: async () => [], recordingFailure: async () => policy } });
        const s = await hub.start(req);
        const disconnected = deferred<string>();
        s.attach({ notify: () => {}, disconnect: (m) => disconnected.resolve(m) });
        s.output(Buffer.from('output the disk cannot take\r\n'));
        const msg = await alerted.promise;
        if (policy === 'drop') {
          expect(msg).toMatch(/dropping session/);
          await disconnected.promise;
          const rec = await s.end({ exitStatus: null, reason: 'client closed' });
          expect(rec).toMatchObject({ status: 'failed', errorMessage: 'Recording failed: ENOSPC: no space left on device' });
          expect(await verifyRecording(rec.recordingPath!, rec.recordingSha256!, rec.recordingSize!)).toEqual({ ok: true });
        } else {
          expect(msg).toMatch(/continues unrecorded/);
          const rec = await s.end({ exitStatus: 0, reason: null });
          expect(rec.status).toBe('completed');
        }
        await hub.shutdown();
      }
    } finally {
      await store.close();
    }
  });

  it('reports its backlog while the disk is slow, and drains it on flush', async () => {
    const dir = await tempDir();
    const rec = await pool({ fault: { writeDelayMs: 100 } }).open({ path: join(dir, 'slow.cast'), header });
    for (let i = 0; i < 320; i++) rec.output(Buffer.alloc(32 * 1024, 'a'));
    expect(rec.pendingBytes).toBeGreaterThan(8 * 1024 * 1024);
    await rec.flush();
    expect(rec.pendingBytes).toBe(0);
    const s = await rec.close();
    expect(s.sha256).toBe(await sha256File(s.path));
  });

  it('makes every recorder report the pool backlog when the pool is over its limit', async () => {
    const dir = await tempDir();
    const p = pool({ fault: { writeDelayMs: 50 }, maxBacklog: 1024 * 1024 });
    const busy = await p.open({ path: join(dir, 'busy.cast'), header });
    const quiet = await p.open({ path: join(dir, 'quiet.cast'), header });
    for (let i = 0; i < 64; i++) busy.output(Buffer.alloc(32 * 1024, 'b'));
    expect(quiet.pendingBytes).toBeGreaterThan(1024 * 1024);
    await busy.flush();
    expect(p.backlog).toBe(0);
    expect(quiet.pendingBytes).toBe(0);
    await Promise.all([busy.close(), quiet.close()]);
  });

  it('fails open recordings when the worker dies, closes them repaired, and starts a new worker for the next', async () => {
    const dir = await tempDir();
    // Write 1 is the header, 2 the first batch; the worker thread exits as write 3 starts.
    const p = pool({ fault: { exitOnWrite: 3 } });
    const rec = await p.open({ path: join(dir, 'crash.cast'), header });
    const failed = deferred<Error>();
    rec.onError(failed.resolve);
    rec.output(Buffer.from('kept\r\n'));
    await rec.flush();
    rec.output(Buffer.from('lost\r\n'));
    await rec.flush();
    expect((await failed.promise).message).toMatch(/recording worker failed/);
    const s = await rec.close();
    expect(await verifyRecording(s.path, s.sha256, s.size)).toEqual({ ok: true });
    expect(await readFile(s.path, 'utf8')).toContain('kept');

    const next = await p.open({ path: join(dir, 'next.cast'), header });
    next.output(Buffer.from('after restart'));
    const s2 = await next.close();
    expect(await readFile(s2.path, 'utf8')).toContain('after restart');
  });

  it('rejects bad options and an existing file like the in-thread writer', async () => {
    const dir = await tempDir();
    const p = pool();
    const path = join(dir, 'x.cast');
    await expect(p.open({ path, header, flushIntervalMs: 1500 })).rejects.toThrow(/flushIntervalMs/);
    await (await p.open({ path, header })).close();
    await expect(p.open({ path, header })).rejects.toMatchObject({ kind: 'Unavailable', message: expect.stringMatching(/cannot create/) });
  });
});
