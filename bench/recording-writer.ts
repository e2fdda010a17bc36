// Micro-benchmark of the asciicast writer: throughput and size overhead for bulk text and for NUL bytes,
// against a naive writer (decode, JSON.stringify each chunk as an event, hash, write) in the same run.
// Run: npx tsx bench/recording-writer.ts [dir]   (dir defaults to the OS temp dir)
import { createHash } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { AsciicastWriter } from '../src/recording/asciicast-writer.js';

const CHUNK = 32 * 1024;
const HIGH_WATER = 8 * 1024 * 1024;
const ROUNDS = 3;

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

/** Feeds `totalBytes` of `pattern` in 32 KiB chunks; returns MB/s end to end and inside output(), and size ratio. */
async function feed(sink: Sink, pattern: Buffer, totalBytes: number): Promise<{ wall: number; inCall: number; ratio: number }> {
  let inCall = 0;
  let off = 0;
  const start = performance.now();
  for (let sent = 0; sent < totalBytes; sent += CHUNK) {
    if (off + CHUNK > pattern.length) off = 0;
    // A fresh Buffer per packet, as a relay hands over; chunk edges split UTF-8 sequences.
    const chunk = Buffer.from(pattern.subarray(off, off + CHUNK));
    off += CHUNK;
    const t = performance.now();
    sink.output(chunk);
    inCall += performance.now() - t;
    // Backpressure as a relay would apply it: pause the source while the recording lags.
    if (sink.pendingBytes > HIGH_WATER) await sink.flush();
  }
  const { size } = await sink.close();
  const mb = totalBytes / 1e6;
  return { wall: mb / ((performance.now() - start) / 1000), inCall: mb / (inCall / 1000), ratio: size / totalBytes };
}

const dir = await mkdtemp(join(process.argv[2] ?? tmpdir(), 'vigil-bench-'));
const header = { width: 80, height: 24, timestamp: Math.floor(Date.now() / 1000) };
try {
  const cases = [
    { name: 'text 200 MB', pattern: textPattern(), total: 200e6 },
    { name: 'NUL   50 MB', pattern: Buffer.alloc(1024 * 1024), total: 50e6 },
  ];
  const f = (x: number): string => x.toFixed(0).padStart(4);
  for (const c of cases) {
    let best = { wall: 0, inCall: 0, ratio: 0 };
    let naive = { wall: 0, inCall: 0, ratio: 0 };
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate the two writers so that load on the machine hits both alike; keep each one's best round.
      const v = await feed(await AsciicastWriter.open({ path: join(dir, `v${r}.cast`), header }), c.pattern, c.total);
      const n = await feed(await naiveWriter(join(dir, `n${r}.cast`)), c.pattern, c.total);
      if (v.wall > best.wall) best = v;
      if (n.wall > naive.wall) naive = n;
      await rm(join(dir, `v${r}.cast`));
      await rm(join(dir, `n${r}.cast`));
    }
    console.log(
      `${c.name}: vigil ${f(best.wall)} MB/s end to end, ${f(best.inCall)} MB/s in output(), size x${best.ratio.toFixed(3)}` +
        ` | naive ${f(naive.wall)} / ${f(naive.inCall)} MB/s, size x${naive.ratio.toFixed(3)}` +
        ` | ratio vigil/naive ${(best.wall / naive.wall).toFixed(2)} end to end, ${(best.inCall / naive.inCall).toFixed(2)} in output()`,
    );
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
