// Seek in long recordings: builds a synthetic 8-hour, ~1 GB recording, indexes its keyframes, then times the player's
// GET /sessions/{id}/player/chunk?t= at random t over real HTTP on loopback (auth, database, the whole response read),
// the same read without HTTP, and the browser-side work (restore the keyframe, apply the events up to t) in a headless
// terminal.
// Target (issue 5): p99 < 100 ms, flat in position; memory bounded.
// Run: npx tsx bench/seek.ts [megabytes=1024] [hours=8] [samples=500] [cache-dir]; SEEK_COMPRESSED=1 seeks in the
// recording compressed as Vigil keeps it after close.
// With a cache dir, the recording and its keyframes are made there once and reused by later runs.

import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { compressCast } from '../src/recording/cast-compress.js';
import { gzipPaths } from '../src/recording/cast-gzip.js';
import { sha256File } from '../src/recording/integrity.js';
import { buildKeyframes } from '../src/recording/keyframes/keyframe-files.js';
import { keyframePaths } from '../src/recording/keyframes/keyframe-index.js';
import { ReplayTerminal } from '../src/recording/keyframes/replay-terminal.js';
import { RecordingPlayer, type PlayerChunk } from '../src/recording/player/recording-player.js';
import { createHarness } from '../test/helpers/api-harness.js';
import { CastFile, prng, topScreen } from '../test/helpers/synthetic-cast.js';

const megabytes = Number(process.argv[2] ?? 1024);
const hours = Number(process.argv[3] ?? 8);
const samples = Number(process.argv[4] ?? 500);
const cacheDir = process.argv[5];
const mib = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;

/** Bulk output (coloured log lines, `top` redraws, an editor-like alternate screen now and then) spread over `seconds`. */
function writeLongCast(file: string, bytes: number, seconds: number): number {
  const rand = prng(1);
  const cast = new CastFile(file, 120, 40);
  const perEvent = 4096;
  const events = Math.ceil(bytes / (perEvent * 1.15));
  const step = seconds / events;
  let line = 0;
  for (let i = 0; i < events; i++) {
    const t = i * step + rand() * step * 0.5;
    if (i % 50 === 0) cast.event(t, 'o', '\x1b[?1049h' + topScreen(rand, 120, 40, i) + '\x1b[?1049l');
    else {
      let s = '';
      while (s.length < perEvent) s += `\x1b[3${line % 8}m${(line++).toString().padStart(9)}\x1b[0m ${t.toFixed(3)} GET /api/v1/items/${Math.floor(rand() * 1e9)} 200 ${Math.floor(rand() * 5000)}µs\r\n`;
      cast.event(t, 'o', s);
    }
  }
  cast.close();
  return seconds;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
}
const ms = (x: number) => `${x.toFixed(1)} ms`;

const h = await createHarness();
try {
  const { live } = await h.startSession();
  const session = await live.end({ exitStatus: 0, reason: 'exit' });
  const castPath = session.recordingPath!;
  fs.rmSync(castPath);
  const made = cacheDir ? path.join(cacheDir, `seek-${megabytes}m-${hours}h.cast`) : castPath;
  if (!fs.existsSync(made)) {
    const t0 = performance.now();
    writeLongCast(made, megabytes * 2 ** 20, hours * 3600);
    console.log(`Recording written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const castSize = fs.statSync(made).size;
  const t0 = performance.now();
  const index = buildKeyframes(made);
  const buildSeconds = (performance.now() - t0) / 1000;
  const keysSize = fs.statSync(keyframePaths(made).data).size + fs.statSync(keyframePaths(made).index).size;
  console.log(`Recording: ${mib(castSize)}, ${hours} h. Keyframes: ${index.keyframes.length}, ${mib(keysSize)} on disk (${((keysSize / castSize) * 100).toFixed(1)}% of the recording)` +
    (buildSeconds > 1 ? `, built in ${buildSeconds.toFixed(1)} s (${(castSize / 2 ** 20 / buildSeconds).toFixed(0)} MiB/s; a worker thread does this in production)` : ' (cached)'));
  // SEEK_COMPRESSED=1: the recording as Vigil keeps it after close (seekable gzip), compressed once from a copy.
  if (process.env.SEEK_COMPRESSED === '1') {
    const z = made.replace(/\.cast$/, '') + '-gz.cast';
    if (!fs.existsSync(gzipPaths(z).data)) {
      const t1 = performance.now();
      fs.copyFileSync(made, z);
      const r = compressCast(z, { sha256: await sha256File(z) });
      if (!r.ok) throw new Error(r.problem);
      console.log(`Compressed to ${mib(r.storedBytes)} (${(castSize / r.storedBytes).toFixed(1)}×) in ${((performance.now() - t1) / 1000).toFixed(1)} s (copy and hash included)`);
    }
    if (made === castPath) fs.rmSync(castPath);
    for (const [from, to] of [[gzipPaths(z).data, gzipPaths(castPath).data], [gzipPaths(z).index, gzipPaths(castPath).index]]) fs.symlinkSync(from, to);
  } else if (made !== castPath) fs.symlinkSync(made, castPath);
  if (made !== castPath) {
    for (const [from, to] of [[keyframePaths(made).index, keyframePaths(castPath).index], [keyframePaths(made).data, keyframePaths(castPath).data]]) fs.symlinkSync(from, to);
  }
  const duration = index.end!.duration;
  console.log(`RSS after indexing: ${mib(process.memoryUsage().rss)}\n`);

  const token = await h.token('auditor');
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const port = (h.app.server.address() as AddressInfo).port;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  /** A GET over loopback, counting the response bytes without decoding them. */
  const get = (url: string) =>
    new Promise<{ status: number; bytes: number }>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: url, agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
        let bytes = 0;
        res.on('data', (d: Buffer) => (bytes += d.length));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      }).on('error', reject);
    });
  const rand = prng(7);
  const player = new RecordingPlayer({ ensureIndex: async () => undefined });
  const viaHttp: number[] = [], direct: number[] = [], screen: number[] = [], sizes: number[] = [];
  const byHour = new Map<number, number[]>();
  let rssPeak = 0;
  // Warm up the code paths (JIT, caches) before measuring.
  for (let i = 0; i < 20; i++) await get(`/api/v1/sessions/${session.id}/player/chunk?t=${(rand() * duration).toFixed(3)}`);
  // Three passes over the same times, so that one kind of work (and its garbage) does not weigh on another's timings.
  const times = Array.from({ length: samples }, () => rand() * duration);
  for (const t of times) {
    const a = performance.now();
    const res = await get(`/api/v1/sessions/${session.id}/player/chunk?t=${t.toFixed(3)}`);
    const took = performance.now() - a;
    if (res.status !== 200) throw new Error(`chunk: ${res.status}`);
    viaHttp.push(took);
    sizes.push(res.bytes);
    const hour = Math.floor(t / 3600);
    byHour.set(hour, [...(byHour.get(hour) ?? []), took]);
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  }
  const chunks: PlayerChunk[] = [];
  for (const t of times) {
    const a = performance.now();
    const json = await player.chunkJson(castPath, { at: t });
    direct.push(performance.now() - a);
    if (chunks.length < 100) chunks.push(JSON.parse(json.toString('utf8')) as PlayerChunk);
  }
  for (const [i, chunk] of chunks.entries()) {
    const t = times[i];
    const a = performance.now();
    const term = new ReplayTerminal(chunk.keyframe ?? { cols: 120, rows: 40 });
    if (chunk.keyframe) term.write(chunk.keyframe.data);
    for (const [et, type, data] of chunk.events) {
      if (et > t) break;
      if (type === 'o') term.write(data);
      else term.resizeTo(data);
    }
    screen.push(performance.now() - a);
    term.dispose();
  }
  console.log(`| ${samples} seeks at random t | p50 | p99 | max |`);
  console.log('|---|---|---|---|');
  console.log(`| GET …/player/chunk?t= (HTTP on loopback, whole response) | ${ms(percentile(viaHttp, 0.5))} | ${ms(percentile(viaHttp, 0.99))} | ${ms(Math.max(...viaHttp))} |`);
  console.log(`| RecordingPlayer.chunkJson (read only, no HTTP) | ${ms(percentile(direct, 0.5))} | ${ms(percentile(direct, 0.99))} | ${ms(Math.max(...direct))} |`);
  console.log(`| restore keyframe + replay to t (headless, browser-side work; 100 of them) | ${ms(percentile(screen, 0.5))} | ${ms(percentile(screen, 0.99))} | ${ms(Math.max(...screen))} |`);
  console.log(`| response size | ${(percentile(sizes, 0.5) / 1024).toFixed(0)} KiB | ${(percentile(sizes, 0.99) / 1024).toFixed(0)} KiB | ${(Math.max(...sizes) / 1024).toFixed(0)} KiB |`);
  console.log(`\nAPI p99 by hour of the recording (flat = independent of position): ${[...byHour.keys()].sort((a, b) => a - b).map((k) => `h${k} ${percentile(byHour.get(k)!, 0.99).toFixed(1)}`).join(', ')} ms`);
  console.log(`RSS peak during seeks: ${mib(rssPeak)}`);
  agent.destroy();
} finally {
  await h.close();
}
