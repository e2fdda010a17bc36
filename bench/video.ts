// MP4 export speed: renders a synthetic 1-hour interactive session (prompts, coloured listings, a `top` redraw every 3 s,
// idle gaps) at 80x24 and reports × real time and peak memory, the way the server runs it (worker thread, x264 on one
// thread) and with ffmpeg's default threads. Target (issue 5): ≥ 30× real time.
// Run: npx tsx bench/video.ts [seconds=3600] [cols=80] [rows=24]

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { VideoJobs } from '../src/recording/video/video-jobs.js';
import { writeInteractiveCast } from '../test/helpers/synthetic-cast.js';

const seconds = Number(process.argv[2] ?? 3600);
const cols = Number(process.argv[3] ?? 80);
const rows = Number(process.argv[4] ?? 24);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-bench-video-'));

/** An ffmpeg wrapper recording its peak RSS (KiB) with GNU time. */
function ffmpegWithPeak(file: string): string {
  const wrapper = path.join(dir, 'ffmpeg-peak.sh');
  fs.writeFileSync(wrapper, `#!/bin/sh\nexec /usr/bin/time -o ${file} -f %M ffmpeg "$@"\n`, { mode: 0o755 });
  return wrapper;
}

async function run(label: string, threads: number | undefined): Promise<string> {
  const cast = path.join(dir, 'session.cast');
  const peakFile = path.join(dir, `peak-${threads ?? 0}.txt`);
  const jobs = new VideoJobs({ videosDir: path.join(dir, `videos-${threads ?? 0}`), threads, ffmpeg: ffmpegWithPeak(peakFile) });
  const sessionId = 'ab'.repeat(16);
  const t0 = performance.now();
  let rssPeak = 0;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 200);
  await jobs.start({ sessionId, castPath: cast, startedAt: new Date() });
  // Event-loop responsiveness while rendering: the longest delay of a 10 ms timer.
  const lags: number[] = [];
  let last = performance.now();
  const lag = setInterval(() => {
    const now = performance.now();
    lags.push(now - last - 10);
    last = now;
  }, 10);
  let status = await jobs.status(sessionId);
  while (status && status.state !== 'done' && status.state !== 'failed') {
    await new Promise((r) => setTimeout(r, 100));
    status = await jobs.status(sessionId);
  }
  clearInterval(sampler);
  clearInterval(lag);
  const wall = (performance.now() - t0) / 1000;
  lags.sort((a, b) => a - b);
  const lagText = `${lags[Math.floor(lags.length * 0.99)].toFixed(1)} / ${lags[lags.length - 1].toFixed(0)} ms`;
  if (status?.state !== 'done') throw new Error(`render failed: ${status?.error}`);
  const file = (await jobs.file(sessionId))!;
  const probed = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height,nb_frames:format=duration', '-of', 'csv=p=0', file.path], { encoding: 'utf8' }).trim().replace(/\n/g, ' ');
  const ffmpegPeak = Number(fs.readFileSync(peakFile, 'utf8').trim().split('\n').pop()) / 1024;
  return `| ${label} | ${wall.toFixed(1)} s | ${(seconds / wall).toFixed(0)}× | ${(rssPeak / 2 ** 20).toFixed(0)} MiB | ${ffmpegPeak.toFixed(0)} MiB | ${lagText} | ${(file.size / 2 ** 20).toFixed(1)} MiB | ${probed} |`;
}

const { duration } = writeInteractiveCast(path.join(dir, 'session.cast'), { seconds, cols, rows, seed: 42 });
const castSize = fs.statSync(path.join(dir, 'session.cast')).size;
console.log(`Synthetic session: ${(duration / 60).toFixed(1)} min at ${cols}x${rows}, ${(castSize / 2 ** 20).toFixed(1)} MiB of asciicast; ${os.cpus().length} cores\n`);
console.log('| x264 threads | wall | × real time | node RSS peak | ffmpeg RSS peak | event-loop lag p99 / max | MP4 | codec,w,h,frames duration |');
console.log('|---|---|---|---|---|---|---|---|');
console.log(await run('1 (server default)', 1));
console.log(await run('ffmpeg default', undefined));
fs.rmSync(dir, { recursive: true, force: true });
