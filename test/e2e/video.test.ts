// MP4 export checked the way a user would: ffprobe reads codec, size and duration; OCR reads a marker the session printed at a known time.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveFontChain } from '../../src/recording/video/font-chain.js';
import { GlyphAtlas } from '../../src/recording/video/glyph-atlas.js';
import { renderVideo } from '../../src/recording/video/video-renderer.js';
import { lineEvent, SyncCastLines } from '../../src/recording/keyframes/cast-lines.js';
import { openCastSync } from '../../src/recording/cast-source.js';
import { CastFile, writeInteractiveCast } from '../helpers/synthetic-cast.js';
import { requireTool } from '../helpers/tools.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-video-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function probe(file: string): { codec: string; pixFmt: string; width: number; height: number; duration: number } {
  const out = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,pix_fmt,width,height:format=duration', '-of', 'json', file], { encoding: 'utf8' })) as {
    streams: Array<{ codec_name: string; pix_fmt: string; width: number; height: number }>;
    format: { duration: string };
  };
  const s = out.streams[0];
  return { codec: s.codec_name, pixFmt: s.pix_fmt, width: s.width, height: s.height, duration: Number(out.format.duration) };
}

/**
 * OCR of the frame on screen at `seconds`: the last frame starting at or before it (the video has a
 * variable frame rate; `ffmpeg -ss` alone gives the first frame at or after), upscaled 2×, inverted
 * and grey (FACTS.md), read by `tesseract --psm 6`.
 */
function ocrAt(file: string, seconds: number, lang = 'eng'): string {
  const pts = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file], { encoding: 'utf8' })
    .split('\n').filter(Boolean).map(Number).filter((t) => t <= seconds + 1e-6);
  const shown = Math.max(...pts);
  const png = path.join(dir, `frame-${seconds}.png`);
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-ss', shown.toFixed(6), '-i', file, '-frames:v', '1', '-vf', 'scale=iw*2:ih*2:flags=lanczos,negate,format=gray', png]);
  return execFileSync('tesseract', [png, '-', '--psm', '6', '-l', lang], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

/** Tesseract's installed languages, or none without tesseract. */
function ocrLanguages(): string[] {
  try {
    return execFileSync('tesseract', ['--list-langs'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n').slice(1).map((l) => l.trim());
  } catch {
    return [];
  }
}

/** The CJK check needs Simplified Chinese OCR (tesseract-ocr-chi-sim) and the video fonts (.ci/run installs both): a failure in CI, a skip elsewhere. */
function cjkPrerequisitesMissing(): boolean {
  if (requireTool('ffmpeg', 'ffprobe', 'tesseract')) return true;
  const missing = [...resolveFontChain().missing, ...(ocrLanguages().includes('chi_sim') ? [] : ['tesseract language chi_sim (tesseract-ocr-chi-sim)'])];
  if (missing.length > 0 && process.env.CI === 'true') throw new Error(`required for the CJK video test in CI: ${missing.join('; ')}`);
  if (missing.length > 0) console.warn(`skipping the CJK video test: ${missing.join('; ')}`);
  return missing.length > 0;
}

/** Video time of recording time `t` when pauses longer than `cap` are shortened to `cap`. */
function videoTime(castPath: string, t: number, cap: number): number {
  const fd = openCastSync(castPath);
  const lines = new SyncCastLines(fd, 0);
  let prev = 0, v = 0;
  for (let l = lines.next(); l; l = lines.next()) {
    const e = lineEvent(l.bytes);
    if (!e) continue;
    if (e.time > t) break;
    v += Math.min(e.time - prev, cap);
    prev = e.time;
  }
  fd.close();
  return v + Math.min(t - prev, cap);
}

describe.skipIf(requireTool('ffmpeg', 'ffprobe', 'tesseract'))('MP4 export', () => {
  it('is H.264/yuv420p at the terminal size, as long as the session when idle is kept', async () => {
    const cast = path.join(dir, 'full.cast');
    const { duration } = writeInteractiveCast(cast, { seconds: 240, seed: 3 });
    const mp4 = path.join(dir, 'full.mp4');
    const r = await renderVideo({ castPath: cast, outPath: mp4, idleCap: Infinity });
    const p = probe(mp4);
    expect(p).toMatchObject({ codec: 'h264', pixFmt: 'yuv420p', width: 80 * 9, height: 25 * 18 });
    expect(p.duration).toBeGreaterThan(duration - 0.1);
    expect(p.duration).toBeLessThan(duration + 0.5);
    expect(r.duration).toBeCloseTo(duration, 3);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.part'))).toEqual([]);
  }, 120_000);

  it('shortens idle stretches to 2 s and shows a marker printed at a known time where the video says', async () => {
    const cast = path.join(dir, 'marker.cast');
    const { duration, markerTime } = writeInteractiveCast(cast, { seconds: 400, seed: 5, marker: { time: 200, text: 'VIGXKZMARKER' } });
    const mp4 = path.join(dir, 'marker.mp4');
    const r = await renderVideo({ castPath: cast, outPath: mp4 });
    const p = probe(mp4);
    const expected = videoTime(cast, duration, 2);
    expect(expected).toBeLessThan(duration - 30);
    expect(p.duration).toBeGreaterThan(expected - 0.1);
    expect(p.duration).toBeLessThan(expected + 0.5);
    expect(r.videoDuration).toBeCloseTo(expected, 2);
    const at = videoTime(cast, markerTime!, 2) + 0.3;
    const text = ocrAt(mp4, at);
    expect(text).toContain('VIGXKZMARKER');
    // The status bar shows the real session clock at that moment.
    const clock = new Date((1_772_355_600 + Math.floor(markerTime!)) * 1000).toISOString().slice(11, 16);
    expect(text.replace(/\s+/g, ' ')).toContain(clock);
    // And the screen just before it does not show it.
    expect(ocrAt(mp4, at - 0.35)).not.toContain('VIGXKZMARKER');
  }, 180_000);

  it('draws colours, bold, inverse, box drawing and wide characters without failing, and resizes to the largest size', async () => {
    const castPath = path.join(dir, 'styles.cast');
    const cast = new CastFile(castPath, 40, 10);
    cast.event(0.1, 'o', '\x1b[1;31mbold red\x1b[0m \x1b[7minverse\x1b[0m \x1b[38;5;82m256\x1b[0m \x1b[38;2;255;128;0mtrue\x1b[0m\r\n');
    cast.event(0.5, 'o', '┌──────┐\r\n│ box  │\r\n└──────┘\r\n宽字符 ▀▄█░▒▓ \x1b[4munder\x1b[24m \x1b[9mstrike\x1b[29m\r\n');
    cast.event(1.0, 'r', '60x12');
    cast.event(1.5, 'o', 'wider now\r\n');
    cast.close();
    const mp4 = path.join(dir, 'styles.mp4');
    await renderVideo({ castPath, outPath: mp4 });
    expect(probe(mp4)).toMatchObject({ width: 60 * 9, height: 13 * 18 });
  });
});

describe.skipIf(cjkPrerequisitesMissing())('MP4 export of CJK text', () => {
  // Simplified Chinese the session prints at 1.0 s, under an English prompt: "terminal recording audit", "monitor the server".
  const cjk = ['终端录像审计', '监控服务器'];
  const castPath = path.join(dir, 'cjk.cast');
  const write = () => {
    const cast = new CastFile(castPath, 60, 8);
    cast.event(0.2, 'o', '$ cat notes.txt\r\n');
    cast.event(1.0, 'o', `${cjk[0]} VIGXKZ\r\n\x1b[1m${cjk[1]}\x1b[0m ok\r\n$ `);
    cast.event(3.0, 'o', 'exit\r\n');
    cast.close();
  };

  it('shows Chinese text a session printed so that OCR reads it back from the video', async () => {
    write();
    const mp4 = path.join(dir, 'cjk.mp4');
    await renderVideo({ castPath, outPath: mp4 });
    const text = ocrAt(mp4, 2.0, 'chi_sim+eng').replace(/[ \t]+/g, '');
    for (const words of cjk) expect(text).toContain(words);
    expect(text).toContain('VIGXKZ');
  }, 60_000);

  it('is not read back when drawn without a CJK font (what a monospace-only font gives): the check above can fail', async () => {
    write();
    const mp4 = path.join(dir, 'cjk-mono-only.mp4');
    const atlas = new GlyphAtlas({ chain: { fonts: [resolveFontChain().fonts[0]], missing: [] } });
    await renderVideo({ castPath, outPath: mp4, atlas });
    const text = ocrAt(mp4, 2.0, 'chi_sim+eng').replace(/[ \t]+/g, '');
    for (const words of cjk) expect(text).not.toContain(words);
    expect(text).toContain('VIGXKZ');
  }, 60_000);
});
