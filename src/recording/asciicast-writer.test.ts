import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AsciicastWriter } from './asciicast-writer.js';
import { sha256File } from './integrity.js';
import type { RecordingFile } from './recording-file.js';

const header = { width: 80, height: 24, timestamp: 1767225600, env: { TERM: 'xterm-256color' } };
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'vigil-writer-'));
  dirs.push(d);
  return d;
}

/** Lines of a recording file, each parsed. */
async function parsedLines(path: string): Promise<unknown[]> {
  const text = await readFile(path, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n').map((l) => JSON.parse(l) as unknown);
}
async function events(path: string): Promise<Array<[number, string, string]>> {
  return (await parsedLines(path)).slice(1) as Array<[number, string, string]>;
}
function outputOf(evs: Array<[number, string, string]>): string {
  return evs.filter((e) => e[1] === 'o').map((e) => e[2]).join('');
}

/** An in-memory file with switchable faults: a cap on bytes a call, a failing call, a gate holding writes. */
class MemoryFile implements RecordingFile {
  readonly written: Buffer[] = [];
  calls = 0;
  failOnCall = Infinity;
  maxBytesPerCall = Infinity;
  gate: Promise<void> | null = null;
  async writev(buffers: Buffer[]): Promise<number> {
    this.calls++;
    if (this.gate) await this.gate;
    if (this.calls >= this.failOnCall) throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
    let budget = this.maxBytesPerCall;
    let n = 0;
    for (const b of buffers) {
      const take = b.subarray(0, Math.min(b.length, budget));
      this.written.push(Buffer.from(take));
      n += take.length;
      budget -= take.length;
      if (budget <= 0) break;
    }
    return n;
  }
  async sync(): Promise<void> {}
  async close(): Promise<void> {}
  bytes(): Buffer {
    return Buffer.concat(this.written);
  }
}

describe('AsciicastWriter', () => {
  it('writes an asciicast v2 header into a 0600 file under 0700 directories', async () => {
    const dir = await tempDir();
    const path = join(dir, 'a', 'b', 's.cast');
    const w = await AsciicastWriter.open({ path, header });
    await w.close();
    const [h] = await parsedLines(path);
    expect(h).toEqual({ version: 2, width: 80, height: 24, timestamp: 1767225600, env: { TERM: 'xterm-256color' } });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'a', 'b'))).mode & 0o777).toBe(0o700);
  });

  it('keeps multibyte characters split across chunks at every byte boundary', async () => {
    const dir = await tempDir();
    const text = 'héllo ✓ 日本 😀 end';
    const bytes = Buffer.from(text, 'utf8');
    for (let cut = 1; cut < bytes.length; cut++) {
      const path = join(dir, `split-${cut}.cast`);
      const w = await AsciicastWriter.open({ path, header });
      w.output(bytes.subarray(0, cut));
      w.input(bytes.subarray(0, cut));
      w.output(bytes.subarray(cut));
      w.input(bytes.subarray(cut));
      await w.close();
      const evs = await events(path);
      expect(outputOf(evs)).toBe(text);
      expect(evs.filter((e) => e[1] === 'i').map((e) => e[2]).join('')).toBe(text);
    }
  });

  it('turns binary output, NULs and invalid UTF-8 into valid JSON lines', async () => {
    const dir = await tempDir();
    const path = join(dir, 'bin.cast');
    const w = await AsciicastWriter.open({ path, header });
    const chunks: Buffer[] = [Buffer.alloc(1000), Buffer.from([0xff, 0xfe, 0x22, 0x5c, 0x1b, 0x0d, 0x0a, 0xc3])];
    let seed = 42;
    for (let i = 0; i < 200; i++) {
      const b = Buffer.alloc(1 + (i * 37) % 700);
      for (let j = 0; j < b.length; j++) b[j] = (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
      chunks.push(b);
    }
    for (const c of chunks) w.output(c);
    await w.close();
    const evs = await events(path); // JSON.parse of every line succeeded
    expect(outputOf(evs)).toBe(new TextDecoder().decode(Buffer.concat(chunks)));
    expect(outputOf(evs)).toContain('\u0000\u0000');
    expect(outputOf(evs)).toContain('\ufffd');
  });

  it('coalesces output chunks that arrive close together into few events', async () => {
    const dir = await tempDir();
    let t = 0;
    const burst = join(dir, 'burst.cast');
    const w = await AsciicastWriter.open({ path: burst, header, now: () => t });
    for (let i = 0; i < 100; i++) {
      w.output(Buffer.from(`line ${i}\r\n`));
      t += 0.01;
    }
    await w.close();
    expect((await events(burst)).length).toBe(1);

    const slow = join(dir, 'slow.cast');
    const w2 = await AsciicastWriter.open({ path: slow, header, now: () => t });
    for (let i = 0; i < 100; i++) {
      w2.output(Buffer.from(`line ${i}\r\n`));
      t += 10;
    }
    await w2.close();
    const evs = await events(slow);
    expect(evs.length).toBe(100);
    expect(outputOf(evs)).toBe(outputOf(await events(burst)));
  });

  it('caps a coalesced event at 64 KiB', async () => {
    const dir = await tempDir();
    const path = join(dir, 'big.cast');
    const w = await AsciicastWriter.open({ path, header, now: () => 0 });
    for (let i = 0; i < 64; i++) w.output(Buffer.alloc(32 * 1024, 'x'));
    await w.close();
    const evs = await events(path);
    expect(evs.length).toBe(32);
    expect(outputOf(evs).length).toBe(64 * 32 * 1024);
  });

  it('keeps output, input and resize in call order with non-decreasing times', async () => {
    const dir = await tempDir();
    const path = join(dir, 'order.cast');
    // The clock steps back once (999 after 1000): times must still never decrease.
    const times = [0, 1000, 999, 1500, 2500.5, 2500.5, 3000];
    let k = 0;
    const w = await AsciicastWriter.open({ path, header, now: () => times[Math.min(k++, times.length - 1)] });
    w.output(Buffer.from('$ '));
    w.input(Buffer.from('l'));
    w.resize(100, 40);
    w.output(Buffer.from('ls\r\n'));
    w.resize(0, 40); // ignored, never throws
    w.input(Buffer.from('\r'));
    const s = await w.close();
    const evs = await events(path);
    expect(evs.map((e) => [e[1], e[2]])).toEqual([['o', '$ '], ['i', 'l'], ['r', '100x40'], ['o', 'ls\r\n'], ['i', '\r']]);
    const ts = evs.map((e) => e[0]);
    expect([...ts].sort((a, b) => a - b)).toEqual(ts);
    expect(ts.slice(0, 3)).toEqual([1, 1, 1.5]);
    expect(ts.every((x) => Math.round(x * 1e6) / 1e6 === x)).toBe(true);
    expect(s.duration).toBe(2.501);
  });

  it('flushes to disk within a second while the session is still open', async () => {
    const dir = await tempDir();
    const path = join(dir, 'live.cast');
    const w = await AsciicastWriter.open({ path, header });
    const start = Date.now();
    w.output(Buffer.from('still-open marker'));
    let seenAfter = -1;
    while (Date.now() - start < 2000) {
      if ((await readFile(path, 'utf8')).includes('still-open marker')) {
        seenAfter = Date.now() - start;
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(seenAfter).toBeGreaterThanOrEqual(0);
    expect(seenAfter).toBeLessThan(1000);
    await w.close();
  });

  it('returns a summary whose size and SHA-256 match the file', async () => {
    const dir = await tempDir();
    const path = join(dir, 'sum.cast');
    let t = 0;
    const w = await AsciicastWriter.open({ path, header, now: () => t });
    for (let i = 0; i < 5000; i++) {
      w.output(Buffer.from(`row ${i} ✓\r\n`.repeat(20)));
      t += 7;
    }
    const s = await w.close();
    expect(s.path).toBe(path);
    expect(s.size).toBe((await stat(path)).size);
    expect(s.sha256).toBe(await sha256File(path));
    expect(s.duration).toBe(34.993);
    expect(await w.close()).toBe(await w.close());
  });

  it('survives partial writes', async () => {
    const file = new MemoryFile();
    file.maxBytesPerCall = 1000;
    const w = await AsciicastWriter.open({ path: '/nonexistent-dir-ok/x.cast', header, openFile: async () => file, now: () => 0 });
    const payload = 'p'.repeat(300_000);
    w.output(Buffer.from(payload));
    const s = await w.close();
    const bytes = file.bytes();
    expect(s.size).toBe(bytes.length);
    expect(s.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(JSON.parse(bytes.toString().split('\n')[1])[2]).toBe(payload);
  });

  it('reports a write failure once, stops writing, never throws and still closes', async () => {
    const file = new MemoryFile();
    file.failOnCall = 3; // header, one batch, then EIO
    const w = await AsciicastWriter.open({ path: '/nonexistent-dir-ok/x.cast', header, openFile: async () => file });
    const errors: Error[] = [];
    w.onError((e) => errors.push(e));
    w.output(Buffer.from('first'));
    await w.flush();
    w.output(Buffer.from('second'));
    await w.flush();
    expect(errors.map((e) => e.message)).toEqual(['EIO: i/o error, write']);
    for (let i = 0; i < 10; i++) {
      w.output(Buffer.alloc(100_000));
      w.input(Buffer.from('x'));
      w.resize(10, 10);
    }
    expect(w.pendingBytes).toBe(0);
    const late: Error[] = [];
    w.onError((e) => late.push(e));
    const s = await w.close();
    expect(errors).toHaveLength(1);
    expect(late).toHaveLength(1);
    expect(file.calls).toBe(3);
    const bytes = file.bytes();
    expect(bytes.toString()).toContain('first');
    expect(s.size).toBe(bytes.length);
    expect(s.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('exposes pending bytes while the disk is slow, and drains them', async () => {
    const file = new MemoryFile();
    const w = await AsciicastWriter.open({ path: '/nonexistent-dir-ok/x.cast', header, openFile: async () => file });
    let release!: () => void;
    file.gate = new Promise((r) => (release = r));
    for (let i = 0; i < 100; i++) w.output(Buffer.alloc(32 * 1024, 'a'));
    expect(w.pendingBytes).toBeGreaterThan(3 * 1024 * 1024);
    const flushed = w.flush();
    release();
    await flushed;
    expect(w.pendingBytes).toBe(0);
    await w.close();
  });

  it('refuses a flush interval over one second and an existing file', async () => {
    const dir = await tempDir();
    const path = join(dir, 'x.cast');
    await expect(AsciicastWriter.open({ path, header, flushIntervalMs: 1500 })).rejects.toThrow(/flushIntervalMs/);
    await (await AsciicastWriter.open({ path, header })).close();
    await expect(AsciicastWriter.open({ path, header })).rejects.toThrow(/cannot create/);
  });
});
