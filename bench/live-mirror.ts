// Terminal mirror (src/hub/mirror): `npx tsx bench/live-mirror.ts`.
// 1. time to snapshot (and to join as a viewer) after 1, 10 and 100 MB of output history: must not grow;
// 2. mirror throughput (MB/s) against a bare @xterm/headless fed the same bytes, and the scanner alone;
//    cost of one tap.output() call on the relay path (no viewer / one live viewer);
// 3. CPU and memory of 200 mirrors: idle, and with a keystroke echo every 100 ms each;
// 4. bulk output through a simulated relay (AES-GCM per 32 KiB chunk, as ssh2 does): relay MB/s and
//    event-loop delay with and without a mirror attached (the mirror falls behind and skips).
// Environment: BENCH_MIRROR_HISTORY_MB (default "1,10,100"), BENCH_MIRROR_IDLE_S (default 5).

import { createCipheriv, randomBytes } from 'node:crypto';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import xtermHeadless from '@xterm/headless';
import { LiveStream, type LiveStreamMessage } from '../src/hub/live-stream.js';
import { TerminalMirror, type TerminalMirrorOptions } from '../src/hub/mirror/terminal-mirror.js';
import { VtScanner } from '../src/hub/mirror/vt-scanner.js';

const HISTORY_MB = (process.env.BENCH_MIRROR_HISTORY_MB ?? '1,10,100').split(',').map(Number);
const IDLE_S = Number(process.env.BENCH_MIRROR_IDLE_S ?? 5);
const MB = 1024 * 1024;
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const gc = (globalThis as { gc?: () => void }).gc;

/** 1 MB of session-like output: coloured listings, a prompt, and a top-like full-screen redraw. */
function sampleMegabyte(): Buffer {
  const parts: string[] = [];
  let n = 0;
  for (let i = 0; n < MB; i++) {
    let s: string;
    if (i % 50 === 49) {
      s = '\x1b[H' + Array.from({ length: 23 }, (_, r) =>
        `\x1b[${r + 1};1H\x1b[${r ? 3 + (r % 7) : 7}m${String(i * 23 + r).padStart(7)} root 20 0 ${'█'.repeat(r % 9)} ✓\x1b[0m\x1b[K`).join('');
    } else {
      s = `\x1b[0;3${i % 8}m-rw-r--r-- 1 user group ${String(i).padStart(8)} Jan  1 12:00\x1b[0m file-${i}.txt été 漢字\r\n`;
      if (i % 30 === 0) s += '\x1b[1;32muser@host\x1b[0m:\x1b[1;34m~\x1b[0m$ ls -l\r\n';
    }
    parts.push(s);
    n += Buffer.byteLength(s);
  }
  return Buffer.from(parts.join(''));
}
const SAMPLE = sampleMegabyte();

/** A session's Live Stream as the hub wires it. */
interface MirrorTap { tap: LiveStream; viewers: LiveStream; mirror: TerminalMirror; keyframe(): ReturnType<TerminalMirror['snapshot']>; dispose(): void }
function createMirrorTap(cols: number, rows: number, options: Partial<TerminalMirrorOptions> = {}): MirrorTap {
  const mirror = new TerminalMirror({ ...options, cols, rows });
  const stream = new LiveStream({ cols, rows, source: mirror });
  return { tap: stream, viewers: stream, mirror, keyframe: () => mirror.snapshot(), dispose: () => mirror.dispose() };
}
const CHUNK = 32 * 1024;

/** Feeds `mb` megabytes in relay-sized chunks, letting the mirror keep up (no skipping). */
async function feed(out: (b: Buffer) => void, backlog: () => number, mb: number): Promise<void> {
  for (let i = 0; i < mb; i++) {
    for (let o = 0; o < SAMPLE.length; o += CHUNK) {
      out(SAMPLE.subarray(o, o + CHUNK));
      while (backlog() > 4 * MB) await tick();
    }
  }
  while (backlog() > 0) await tick();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function snapshotVsHistory(): Promise<void> {
  console.log('\n1. time to snapshot after N MB of history (80x24, scrollback 200)');
  console.log('   history   snapshot p50   join p50 (subscribe → snapshot sent)   snapshot size');
  for (const mb of HISTORY_MB) {
    const m = createMirrorTap(80, 24);
    const mirror = m.mirror;
    await feed((b) => m.tap.output(b), () => mirror.backlog, mb);
    const snaps: number[] = [];
    const joins: number[] = [];
    let size = 0;
    for (let i = 0; i < 20; i++) {
      let t = performance.now();
      const k = await m.keyframe();
      snaps.push(performance.now() - t);
      size = k.data.length;
      t = performance.now();
      await new Promise<void>((resolve) => {
        const off = m.viewers.subscribe({ send: (msg: LiveStreamMessage) => { if (msg.type === 'snapshot') { joins.push(performance.now() - t); resolve(); } return true; } });
        setImmediate(off);
      });
    }
    console.log(`   ${String(mb).padStart(4)} MB   ${median(snaps).toFixed(2).padStart(8)} ms   ${median(joins).toFixed(2).padStart(8)} ms${' '.repeat(28)}${(size / 1024).toFixed(1)} KiB`);
    m.dispose();
  }
}

async function throughput(): Promise<void> {
  const total = 64;
  console.log(`\n2. throughput over ${total} MB`);
  const { Terminal } = xtermHeadless;
  const bare = new Terminal({ cols: 80, rows: 24, scrollback: 200, allowProposedApi: true });
  let t = performance.now();
  for (let i = 0; i < total; i++) {
    for (let o = 0; o < SAMPLE.length; o += 256 * 1024) await new Promise<void>((r) => bare.write(SAMPLE.subarray(o, o + 256 * 1024), r));
  }
  const bareMBs = total / ((performance.now() - t) / 1000);
  bare.dispose();
  const mirrorMBs: number[] = [];
  for (const maxShare of [1, 0.25]) {
    const mirror = new TerminalMirror({ cols: 80, rows: 24, maxShare });
    t = performance.now();
    await feed((b) => mirror.output(b), () => mirror.backlog, total);
    mirrorMBs.push(total / ((performance.now() - t) / 1000));
    mirror.dispose();
  }
  const scanner = new VtScanner();
  t = performance.now();
  for (let i = 0; i < total; i++) scanner.scan(SAMPLE, 0, SAMPLE.length);
  const scanMBs = total / ((performance.now() - t) / 1000);
  console.log(`   bare @xterm/headless (write callbacks, 256 KiB): ${bareMBs.toFixed(1)} MB/s`);
  console.log(`   TerminalMirror, maxShare 1 (may use the whole loop): ${mirrorMBs[0].toFixed(1)} MB/s  (${(mirrorMBs[0] / bareMBs).toFixed(2)}x bare)`);
  console.log(`   TerminalMirror, default maxShare 0.25, kept behind:  ${mirrorMBs[1].toFixed(1)} MB/s  (beyond this it skips)`);
  console.log(`   VtScanner alone:                                 ${scanMBs.toFixed(0)} MB/s`);
  for (const withViewer of [false, true]) {
    const m = createMirrorTap(80, 24, { maxQueueBytes: 64 * MB });
    if (withViewer) {
      m.viewers.subscribe({ send: () => true });
      await sleep(10);
    }
    const calls = 20000;
    const b = SAMPLE.subarray(0, 4096);
    t = performance.now();
    for (let i = 0; i < calls; i++) m.tap.output(b);
    const perCall = ((performance.now() - t) * 1e6) / calls;
    console.log(`   tap.output(4 KiB) on the relay path, ${withViewer ? 'one live viewer' : 'no viewer     '}: ${perCall.toFixed(0)} ns/call (decode and parse happen later)`);
    m.dispose();
  }
}

async function manyMirrors(): Promise<void> {
  const n = 200;
  console.log(`\n3. ${n} mirrors (80x24)`);
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const rss0 = process.memoryUsage().rss;
  const mirrors: MirrorTap[] = [];
  for (let i = 0; i < n; i++) {
    const m = createMirrorTap(80, 24);
    m.tap.output(SAMPLE.subarray(0, 8 * 1024));
    mirrors.push(m);
  }
  await sleep(500);
  gc?.();
  const mem = process.memoryUsage();
  console.log(`   memory: ${((mem.heapUsed - heap0) / n / 1024).toFixed(0)} KiB heap per mirror, RSS +${((mem.rss - rss0) / MB).toFixed(0)} MB${gc ? '' : ' (no --expose-gc: before GC)'}`);
  let c0 = process.cpuUsage();
  let t0 = performance.now();
  await sleep(IDLE_S * 1000);
  let c = process.cpuUsage(c0);
  console.log(`   idle ${IDLE_S} s: CPU ${(((c.user + c.system) / 1000 / (performance.now() - t0)) * 100).toFixed(2)} % of one core`);
  c0 = process.cpuUsage();
  t0 = performance.now();
  const echo = setInterval(() => { for (const m of mirrors) m.tap.output(Buffer.from('x')); }, 100);
  await sleep(IDLE_S * 1000);
  clearInterval(echo);
  c = process.cpuUsage(c0);
  console.log(`   a keystroke echo every 100 ms in each, ${IDLE_S} s: CPU ${(((c.user + c.system) / 1000 / (performance.now() - t0)) * 100).toFixed(1)} % of one core`);
  for (const m of mirrors) m.dispose();
}

async function relayUnderBulk(): Promise<void> {
  console.log('\n4. bulk output through a simulated relay (AES-128-GCM per 32 KiB chunk), 3 s each');
  console.log('   tap                 relay MB/s   event-loop delay p50 / p99 / max   mirror resyncs');
  for (const withMirror of [false, true]) {
    const m = withMirror ? createMirrorTap(80, 24) : null;
    const cipher = createCipheriv('aes-128-gcm', randomBytes(16), randomBytes(12));
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    let bytes = 0;
    const t0 = performance.now();
    for (let n = 1; performance.now() - t0 < 3000; n++) {
      const o = (n * CHUNK) % (SAMPLE.length - CHUNK);
      const chunk = SAMPLE.subarray(o, o + CHUNK);
      cipher.update(chunk);
      m?.tap.output(chunk);
      bytes += chunk.length;
      if (n % 4 === 0) await tick(); // a turn of the event loop per 128 KiB, as socket I/O would
    }
    const mbs = bytes / MB / ((performance.now() - t0) / 1000);
    h.disable();
    const resyncs = m ? m.mirror.resyncs : 0;
    const ms = (ns: number): string => (ns / 1e6).toFixed(1);
    console.log(`   ${withMirror ? 'mirror attached' : 'none           '}     ${mbs.toFixed(0).padStart(6)}       ${ms(h.percentile(50))} / ${ms(h.percentile(99))} / ${ms(h.max)} ms${' '.repeat(14)}${resyncs}`);
    m?.dispose();
    await sleep(200);
  }
}

console.log(`Terminal mirror bench, Node ${process.version}`);
await snapshotVsHistory();
await throughput();
await manyMirrors();
await relayUnderBulk();
