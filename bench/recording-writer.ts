// Micro-benchmark of the asciicast recorder: throughput, time on the relay's thread and size overhead for bulk
// text, NUL bytes and random binary, for the pooled recorder (worker thread), the in-thread writer and a naive
// writer (decode, JSON.stringify each chunk as an event, hash, write), in the same run.
// Run: npx tsx bench/recording-writer.ts [dir]   (dir defaults to the OS temp dir; BENCH_SCALE=0.2 for a quick run)
import { createHash } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import { AsciicastWriter } from '../src/recording/asciicast-writer.js';
import { RecorderPool } from '../src/recording/recorder-pool.js';

const CHUNK = 32 * 1024;
const HIGH_WATER = 8 * 1024 * 1024;
const ROUNDS = 3;
const SCALE = Number(process.env.BENCH_SCALE ?? 1);

/** ~1 MiB of terminal-like text: coloured listings, CRLF, some multibyte characters. */
function textPattern(): Buffer {
  const parts: string[] = [];
  let len = 0;
  for (let i = 0; len < 1024 * 1024; i++) {
    const line = `\x1b[01;34mdir-${i}\x1b[0m  file_${i}.txt  -rw-r--r-- 1 root root ${i * 7} Jan  1 12:00 caf\u00e9 \u2713\r\n`;
    parts.push(line);
    len += line.length;
  }
  return Buffer.from(parts.join(''), 'utf8');
}

/** 1 MiB of pseudo-random bytes, like `head -c N /dev/urandom`. */
function randomPattern(): Buffer {
  const b = Buffer.alloc(1024 * 1024);
  let seed = 12345;
  for (let i = 0; i < b.length; i++) b[i] = (seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 8;
  return b;
}

interface Sink {
  output(b: Buffer): void;
  pendingBytes: number;
  flush(): Promise<void>;
  close(): Promise<{ size: number }>;
}

/** The design FACTS.md measured: one JSON.stringify'd event a chunk, hashed, written with one write a flush. */
async function naiveWriter(path: string): Promise<Sink> {
  const fh = await open(path, 'wx', 0o600);
  const dec = new StringDecoder('utf8');
  const hash = createHash('sha256');
  const t0 = performance.now();
  let lines: string[] = ['{"version":2,"width":80,"height":24}\n'];
  let pending = 0;
  let size = 0;
  const flush = async (): Promise<void> => {
    const buf = Buffer.from(lines.join(''), 'utf8');
    lines = [];
    pending = 0;
    hash.update(buf);
    size += buf.length;
    await fh.write(buf);
  };
  return {
    output(b) {
      const line = JSON.stringify([(performance.now() - t0) / 1000, 'o', dec.write(b)]) + '\n';
      lines.push(line);
      pending += line.length;
    },
    get pendingBytes() {
      return pending;
    },
    flush,
    async close() {
      await flush();
      hash.digest('hex');
      await fh.close();
      return { size };
    },
  };
}

interface Result {
  /** MB/s from the first chunk to the closed file. */
  wall: number;
  /** MB per second of the relay thread's busy time (event loop utilisation): what recording costs that thread. */
  relay: number;
  ratio: number;
}

/** Feeds `totalBytes` of `pattern` in 32 KiB chunks, pausing on backlog as the relay does. */
async function feed(sink: Sink, pattern: Buffer, totalBytes: number): Promise<Result> {
  let off = 0;
  const start = performance.now();
  const elu0 = performance.eventLoopUtilization();
  for (let sent = 0; sent < totalBytes; sent += CHUNK) {
    if (off + CHUNK > pattern.length) off = 0;
    // A fresh Buffer per packet, as a relay hands over; chunk edges split UTF-8 sequences.
    const chunk = Buffer.from(pattern.subarray(off, off + CHUNK));
    off += CHUNK;
    sink.output(chunk);
    // Backpressure as a relay applies it: pause the source while the recording lags. Yield to the event loop
    // every few chunks as a socket would, so that posted batches and finished writes are seen.
    if (sink.pendingBytes > HIGH_WATER) await sink.flush();
    else if ((sent / CHUNK) % 8 === 7) await new Promise((r) => setImmediate(r));
  }
  const { size } = await sink.close();
  const elu = performance.eventLoopUtilization(elu0);
  const mb = totalBytes / 1e6;
  return { wall: mb / ((performance.now() - start) / 1000), relay: mb / (elu.active / 1000), ratio: size / totalBytes };
}

const dir = await mkdtemp(join(process.argv[2] ?? tmpdir(), 'vigil-bench-'));
const header = { width: 80, height: 24, timestamp: Math.floor(Date.now() / 1000) };
const pool = new RecorderPool();
try {
  const cases = [
    { name: 'text   200 MB', pattern: textPattern(), total: 200e6 * SCALE },
    { name: 'NUL     50 MB', pattern: Buffer.alloc(1024 * 1024), total: 50e6 * SCALE },
    { name: 'random  50 MB', pattern: randomPattern(), total: 50e6 * SCALE },
  ];
  const writers: Array<[string, (path: string) => Promise<Sink>]> = [
    ['pooled', (path) => pool.open({ path, header })],
    ['in-thread', (path) => AsciicastWriter.open({ path, header })],
    ['naive', naiveWriter],
  ];
  const f = (x: number): string => x.toFixed(0).padStart(5);
  console.log('MB/s end to end | MB per second of relay-thread time | cast size / input size (best of 3, writers interleaved)');
  for (const c of cases) {
    const best = new Map<string, Result>();
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate the writers so that load on the machine hits all alike; keep each one's best round.
      for (const [name, make] of writers) {
        const path = join(dir, `${name}-${r}.cast`);
        const res = await feed(await make(path), c.pattern, c.total);
        const prev = best.get(name);
        if (!prev || res.wall > prev.wall) best.set(name, res);
        await rm(path);
      }
    }
    const cols = writers.map(([name]) => {
      const b = best.get(name)!;
      return `${name} ${f(b.wall)} | ${f(b.relay)} | x${b.ratio.toFixed(2)}`;
    });
    const p = best.get('pooled')!;
    const t = best.get('in-thread')!;
    console.log(`${c.name}: ${cols.join('   ')}   => pooled/in-thread ${(p.wall / t.wall).toFixed(2)}x end to end, ${(p.relay / t.relay).toFixed(1)}x less relay-thread time`);
  }
} finally {
  await pool.close();
  await rm(dir, { recursive: true, force: true });
}
