// Live Stream, in-process (src/hub/live-stream.ts): `npx tsx bench/live-stream.ts`.
// 1. latency from output() to a viewer's receipt (viewer serialises the message as the WebSocket route does),
//    p50/p99 with 1, 10 and 50 viewers on one session;
// 2. time to join (subscribe → snapshot delivered) after 1 MB and after 100 MB of output history: must not grow;
// 3. CPU time of 200 idle streams (with screen state and one viewer each) over 10 s.
// Environment: BENCH_LIVE_HISTORY_MB (default "1,100"), BENCH_LIVE_IDLE_S (default 10), BENCH_LIVE_OUTPUTS (default 2000).

import { performance } from 'node:perf_hooks';
import { LiveStream, type LiveStreamMessage } from '../src/hub/live-stream.js';

const HISTORY_MB = (process.env.BENCH_LIVE_HISTORY_MB ?? '1,100').split(',').map(Number);
const IDLE_S = Number(process.env.BENCH_LIVE_IDLE_S ?? 10);
const OUTPUTS = Number(process.env.BENCH_LIVE_OUTPUTS ?? 2000);
const COLS = 120;
const ROWS = 40;

const tick = () => new Promise<void>((r) => setImmediate(r));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
const ms = (x: number) => `${x.toFixed(3)} ms`;

/** Realistic terminal output: coloured ls-like lines, a prompt, and now and then a cursor-addressed status line. */
function chunk(i: number): Buffer {
  const lines: string[] = [];
  for (let l = 0; l < 40; l++) {
    lines.push(`\x1b[0;3${(i + l) % 8}m-rw-r--r-- 1 user group ${String(i * 40 + l).padStart(8)} Jan  1 12:00\x1b[0m file-${i}-${l}.txt été ✓\r\n`);
  }
  if (i % 16 === 0) lines.push(`\x1b7\x1b[1;1H\x1b[7m status ${i} \x1b[0m\x1b8`);
  lines.push('\x1b[1;32muser@host\x1b[0m:\x1b[1;34m~\x1b[0m$ ');
  return Buffer.from(lines.join(''));
}

/** Bytes the stream's mirror still has to parse (private; read for the bench only). */
function backlog(s: LiveStream): number {
  return (s as unknown as { mirror: { backlog: number } }).mirror.backlog;
}

/** Subscribes and resolves with the time until the snapshot arrived; unsubscribes. */
async function join(s: LiveStream): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    let off: (() => void) | null = null;
    let done = false;
    off = s.subscribe({
      send(msg) {
        if (msg.type === 'snapshot' && !done) {
          done = true;
          const t = performance.now() - t0;
          const bytes = JSON.stringify(msg).length;
          queueMicrotask(() => off?.());
          resolve({ ms: t, bytes });
        }
        return true;
      },
    });
  });
}

async function latency(viewers: number): Promise<{ p50: number; p99: number; max: number }> {
  const s = new LiveStream({ cols: COLS, rows: ROWS });
  let sentAt = 0;
  const samples: number[] = [];
  let ready = 0;
  for (let v = 0; v < viewers; v++) {
    s.subscribe({
      send(msg: LiveStreamMessage) {
        JSON.stringify(msg); // what the WebSocket route does per viewer
        if (msg.type === 'snapshot') ready++;
        else if (msg.type === 'output' && sentAt) samples.push(performance.now() - sentAt);
        return true;
      },
    });
  }
  while (ready < viewers) await tick();
  for (let i = 0; i < OUTPUTS; i++) {
    const data = i % 10 === 0 ? chunk(i) : Buffer.from(`typed key ${i} \x1b[1mbold\x1b[0m\r\n`);
    sentAt = performance.now();
    s.output(data);
    sentAt = 0;
    if (i % 4 === 0) await tick(); // let the mirror parse between outputs, as between network reads
  }
  s.finish('completed');
  samples.sort((a, b) => a - b);
  return { p50: pct(samples, 50), p99: pct(samples, 99), max: samples.at(-1)! };
}

async function joinAfterHistory(mb: number): Promise<{ median: number; p99: number; snapshotBytes: number; feedSeconds: number }> {
  const s = new LiveStream({ cols: COLS, rows: ROWS });
  const total = mb * 1e6;
  let fed = 0;
  let i = 0;
  const t0 = performance.now();
  while (fed < total) {
    const c = chunk(i++);
    s.output(c);
    fed += c.length;
    // Feed no faster than the mirror parses (a real session's output arrives over the network).
    while (backlog(s) > 2e6) await sleep(1);
  }
  while (backlog(s) > 0) await sleep(1);
  const feedSeconds = (performance.now() - t0) / 1000;
  await join(s); // warm-up
  const times: number[] = [];
  let snapshotBytes = 0;
  for (let k = 0; k < 30; k++) {
    const r = await join(s);
    times.push(r.ms);
    snapshotBytes = r.bytes;
  }
  s.finish('completed');
  times.sort((a, b) => a - b);
  return { median: pct(times, 50), p99: pct(times, 99), snapshotBytes, feedSeconds };
}

async function idleCpu(streams: number, seconds: number): Promise<{ cpuMs: number; baselineCpuMs: number; heapMB: number }> {
  const measure = async () => {
    const c0 = process.cpuUsage();
    await sleep(seconds * 1000);
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1000;
  };
  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const baselineCpuMs = await measure();
  const all: LiveStream[] = [];
  for (let n = 0; n < streams; n++) {
    const s = new LiveStream({ cols: COLS, rows: ROWS });
    for (let i = 0; i < 5; i++) s.output(chunk(n * 5 + i));
    s.subscribe({ send: () => true });
    all.push(s);
  }
  while (all.some((s) => backlog(s) > 0)) await sleep(10);
  await sleep(500);
  global.gc?.();
  const heapMB = (process.memoryUsage().heapUsed - heap0) / 1e6;
  const cpuMs = await measure();
  for (const s of all) s.finish('completed');
  return { cpuMs, baselineCpuMs, heapMB };
}

async function main(): Promise<void> {
  console.log(`# Live Stream bench (${COLS}x${ROWS}, Node ${process.version})\n`);
  console.log('## Latency, output() → viewer receipt (incl. JSON serialisation per viewer)\n');
  console.log('| viewers | p50 | p99 | max |\n|---:|---:|---:|---:|');
  for (const n of [1, 10, 50]) {
    const r = await latency(n);
    console.log(`| ${n} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.max)} |`);
  }
  console.log('\n## Time to join (subscribe → snapshot delivered), 30 joins after history\n');
  console.log('| history | median | p99 | snapshot JSON | feed time |\n|---:|---:|---:|---:|---:|');
  for (const mb of HISTORY_MB) {
    const r = await joinAfterHistory(mb);
    console.log(`| ${mb} MB | ${ms(r.median)} | ${ms(r.p99)} | ${(r.snapshotBytes / 1024).toFixed(1)} KiB | ${r.feedSeconds.toFixed(1)} s |`);
  }
  console.log(`\n## 200 idle streams over ${IDLE_S} s\n`);
  const idle = await idleCpu(200, IDLE_S);
  console.log(`CPU: ${idle.cpuMs.toFixed(1)} ms with 200 idle streams (process baseline, no streams: ${idle.baselineCpuMs.toFixed(1)} ms); heap +${idle.heapMB.toFixed(1)} MB`);
}

await main();
