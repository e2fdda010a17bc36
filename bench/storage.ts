// Recording storage (issue 5): what a typical interactive session takes on disk while active (the asciicast Vigil's
// own writer makes, plus keyframes) against its raw bytes, what it takes once compressed after close, how long the
// compression takes, and what a player seek costs on the compressed recording against the plain one.
// Run: npx tsx bench/storage.ts [hours=1] [seeks=300]

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { AsciicastWriter } from '../src/recording/asciicast-writer.js';
import { compressCast } from '../src/recording/cast-compress.js';
import { sealCast } from '../src/recording/cast-seal.js';
import { castStat, openCastSync } from '../src/recording/cast-source.js';
import { lineEvent, SyncCastLines } from '../src/recording/keyframes/cast-lines.js';
import { buildKeyframes } from '../src/recording/keyframes/keyframe-files.js';
import { keyframePaths } from '../src/recording/keyframes/keyframe-index.js';
import { RecordingPlayer } from '../src/recording/player/recording-player.js';
import { sha256File } from '../src/recording/integrity.js';
import { writeInteractiveCast } from '../test/helpers/synthetic-cast.js';

const hours = Number(process.argv[2] ?? 1);
const seeks = Number(process.argv[3] ?? 300);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-storage-'));
const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;
const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(1)}%`;

/** Replays a synthetic session's events through Vigil's own recording writer, at their recorded times. */
async function record(source: string, target: string, sealEverySeconds: number): Promise<{ raw: number; duration: number; samples: Array<{ t: number; raw: number; onDisk: number }> }> {
  const src = openCastSync(source);
  const lines = new SyncCastLines(src, 0);
  const header = JSON.parse(lines.next()!.bytes.toString('utf8')) as { width: number; height: number };
  let now = 0;
  const w = await AsciicastWriter.open({ path: target, header: { width: header.width, height: header.height, timestamp: 1_780_000_000 }, now: () => now });
  let raw = 0;
  let nextSeal = sealEverySeconds;
  const samples: Array<{ t: number; raw: number; onDisk: number }> = [];
  for (let line = lines.next(); line; line = lines.next()) {
    const e = lineEvent(line.bytes);
    if (!e) continue;
    now = e.time * 1000;
    // As the compression job does every minute for a live session: seal what has settled, then measure the disk.
    if (sealEverySeconds > 0 && e.time >= nextSeal) {
      nextSeal += sealEverySeconds;
      await w.flush();
      sealCast(target);
      samples.push({ t: e.time, raw, onDisk: castStat(target)!.storedBytes });
    }
    const data = Buffer.from(e.data, 'utf8');
    if (e.type === 'o') (raw += data.length), w.output(data);
    else if (e.type === 'i') (raw += data.length), w.input(data);
    else if (e.type === 'r') {
      const [c, r] = e.data.split('x').map(Number);
      w.resize(c!, r!);
    }
  }
  src.close();
  const summary = await w.close();
  return { raw, duration: summary.duration, samples };
}

async function seekTimes(player: RecordingPlayer, castPath: string, duration: number): Promise<{ p50: number; p99: number }> {
  const t: number[] = [];
  for (let i = 0; i < seeks; i++) {
    const at = ((i * 7919) % seeks) / seeks * duration;
    const t0 = performance.now();
    await player.chunkJson(castPath, { at });
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return { p50: t[Math.floor(t.length / 2)]!, p99: t[Math.min(t.length - 1, Math.floor(t.length * 0.99))]! };
}

async function main(): Promise<void> {
  try {
    const synthetic = path.join(dir, 'synthetic.cast');
    writeInteractiveCast(synthetic, { seconds: hours * 3600 });
    const castPath = path.join(dir, 'session.cast');
    const { raw, duration } = await record(synthetic, castPath, 0);
    const castBytes = fs.statSync(castPath).size;
    buildKeyframes(castPath);
    const kp = keyframePaths(castPath);
    const keyBytes = fs.statSync(kp.index).size + fs.statSync(kp.data).size;
    const player = new RecordingPlayer({ ensureIndex: async () => undefined });
    const plainSeek = await seekTimes(player, castPath, duration);

    const sha256 = await sha256File(castPath);
    const t0 = performance.now();
    const r = compressCast(castPath, { sha256, size: castBytes });
    const compressMs = performance.now() - t0;
    if (!r.ok) throw new Error(r.problem);
    const gzSeek = await seekTimes(new RecordingPlayer({ ensureIndex: async () => undefined }), castPath, duration);

    console.log(`\nRecording storage — ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores, Node ${process.version}`);
    console.log(`A synthetic interactive session of ${hours} h (prompts, coloured listings, top-like redraws, idle gaps), recorded by Vigil's writer.\n`);
    console.log('| what | bytes | vs raw session bytes |');
    console.log('|---|---|---|');
    console.log(`| raw output + input | ${mb(raw)} | 100% |`);
    console.log(`| asciicast while active | ${mb(castBytes)} | ${pct(castBytes, raw)} |`);
    console.log(`| keyframes while active | ${mb(keyBytes)} | ${pct(keyBytes, raw)} |`);
    console.log(`| **on disk while active** (cast + keyframes) | ${mb(castBytes + keyBytes)} | **${pct(castBytes + keyBytes, raw)}** (target ≤ 120%) |`);
    console.log(`| compressed recording after close (.gz + .gzi) | ${mb(r.storedBytes)} | ${pct(r.storedBytes, raw)} (${(castBytes / r.storedBytes).toFixed(1)}× smaller than the cast) |`);
    console.log(`| **on disk after close** (compressed + keyframes) | ${mb(r.storedBytes + keyBytes)} | **${pct(r.storedBytes + keyBytes, raw)}** |`);
    // The same session with the compression job sealing it every minute while it runs.
    const sealedPath = path.join(dir, 'sealed.cast');
    const live = await record(synthetic, sealedPath, 60);
    buildKeyframes(sealedPath);
    const kp2 = keyframePaths(sealedPath);
    const keyBytes2 = fs.statSync(kp2.index).size + fs.statSync(kp2.data).size;
    const late = live.samples.filter((x) => x.t >= 180);
    const worst = late.reduce((m, x) => Math.max(m, x.onDisk / x.raw), 0);
    const last = live.samples.at(-1)!;
    console.log(`| **on disk while active, sealed every minute** (after ${hours} h: sealed .gz + plain tail + keyframes) | ${mb(last.onDisk + keyBytes2)} | **${pct(last.onDisk + keyBytes2, last.raw)}** (target ≤ 120%) |`);
    console.log(`\nWhile active with sealing, recording part (keyframes apart) vs raw bytes so far, sampled every minute from minute 3: worst ${(100 * worst).toFixed(1)}%, last ${pct(last.onDisk, last.raw)}; before the first seal a session is plain (its first ~20 KiB of asciicast, a minute or two of typical work).`);
    console.log(`\nCompression: ${(compressMs / 1000).toFixed(2)} s for ${mb(castBytes)} (${(castBytes / 1e6 / (compressMs / 1000)).toFixed(0)} MB/s, hash check and read-back included), on a background thread.`);
    console.log(`Player seek (chunk at a random time, ${seeks} samples): plain p50 ${plainSeek.p50.toFixed(2)} / p99 ${plainSeek.p99.toFixed(2)} ms; compressed p50 ${gzSeek.p50.toFixed(2)} / p99 ${gzSeek.p99.toFixed(2)} ms`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
