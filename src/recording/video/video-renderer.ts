// Renders a recording to MP4: replays it through a headless terminal, paints changed cells, and sends only changed frames, timestamped, to ffmpeg.
//
// Time: video time follows recording time, except that a pause between events longer than
// `idleCap` seconds is shortened to `idleCap`. A status bar under the terminal always shows the
// real session clock (and how much idle time a shortened pause skipped), so the video still tells
// real time. Frames: events are grouped into slots of 1/fps seconds; a slot whose screen changed
// becomes one frame at the slot's start; the clock adds at most one frame per real second.

import { closeSync, fstatSync, openSync, renameSync, rmSync } from 'node:fs';
import { lineEvent, SyncCastLines } from '../keyframes/cast-lines.js';
import { ReplayTerminal } from '../keyframes/replay-terminal.js';
import { FfmpegEncoder } from './ffmpeg-encoder.js';
import { FramePainter } from './frame-painter.js';
import { GlyphAtlas } from './glyph-atlas.js';
import { scanGeometry } from './scan-geometry.js';

export interface RenderVideoOptions {
  castPath: string;
  /** Written as `<outPath>.part`, renamed when complete. */
  outPath: string;
  /** Session start, for the clock; default the recording header's timestamp. */
  startedAt?: Date;
  /** Longest pause kept, seconds (default 2). */
  idleCap?: number;
  /** Most frames per second (default 25). */
  fps?: number;
  ffmpeg?: string;
  threads?: number;
  /** Fraction of the recording processed, now and then. */
  onProgress?: (fraction: number) => void;
  atlas?: GlyphAtlas;
}

export interface RenderVideoResult {
  width: number;
  height: number;
  frames: number;
  /** Seconds of video, and of recording. */
  videoDuration: number;
  duration: number;
}

const pad = (n: number) => String(n).padStart(2, '0');

function clock(epochMs: number, t: number, skipped: number): string {
  const d = new Date(epochMs + t * 1000);
  const s = Math.floor(t);
  const wall = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
  const elapsed = `${Math.floor(s / 3600)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
  const idle = skipped >= 1 ? `   idle ${Math.floor(skipped / 60)}:${pad(Math.floor(skipped) % 60)} skipped` : '';
  return ` ${wall}  +${elapsed}${idle}`;
}

export async function renderVideo(o: RenderVideoOptions): Promise<RenderVideoResult> {
  const idleCap = o.idleCap ?? 2;
  const slotMs = 1000 / (o.fps ?? 25);
  const geometry = scanGeometry(o.castPath);
  const atlas = o.atlas ?? new GlyphAtlas();
  const painter = new FramePainter(atlas, geometry.cols, geometry.rows);
  const term = new ReplayTerminal({ cols: geometry.header.width, rows: geometry.header.height });
  const epoch = o.startedAt?.getTime() ?? (geometry.header.timestamp ?? 0) * 1000;
  const part = `${o.outPath}.part`;
  const encoder = new FfmpegEncoder({ ffmpeg: o.ffmpeg, width: painter.width, height: painter.height, outPath: part, threads: o.threads });
  const fd = openSync(o.castPath, 'r');
  let frames = 0;
  try {
    const size = fstatSync(fd).size;
    const lines = new SyncCastLines(fd, 0);
    let t = 0, v = 0;
    let slot = 0;
    let pending: string[] = [];
    let lastProgress = 0;
    const emit = async (ms: number) => {
      await encoder.frame(ms, painter.frame);
      frames++;
    };
    const flush = async () => {
      if (pending.length > 0) term.write(pending.join(''));
      pending = [];
      const painted = painter.paint(term.term);
      if (painter.status(clock(epoch, t, 0)) || painted || frames === 0) await emit(slot);
    };
    for (let line = lines.next(); line; line = lines.next()) {
      const e = lineEvent(line.bytes);
      if (!e) continue;
      const time = Math.max(e.time, t);
      const gap = time - t;
      const vNext = v + Math.min(gap, idleCap) * 1000;
      if (vNext >= slot + slotMs) {
        await flush();
        // The clock ticks through short pauses; a shortened one shows how much it skipped.
        if (gap <= idleCap) {
          for (let s = Math.floor(t) + 1; s < time; s++) {
            const at = v + (s - t) * 1000;
            if (at > encoder.lastFrameMs && painter.status(clock(epoch, s, 0))) await emit(at);
          }
        } else {
          const at = v + Math.min(500, (idleCap * 1000) / 2);
          if (at > encoder.lastFrameMs && painter.status(clock(epoch, t, gap - idleCap))) await emit(at);
        }
        slot = Math.floor(vNext / slotMs) * slotMs;
      }
      t = time;
      v = vNext;
      if (e.type === 'o') pending.push(e.data);
      else if (e.type === 'r') {
        if (pending.length > 0) term.write(pending.join(''));
        pending = [];
        term.resizeTo(e.data);
      }
      if (line.next - lastProgress > size / 200) {
        lastProgress = line.next;
        o.onProgress?.(line.next / size);
      }
    }
    await flush();
    // Hold the last screen until the end of the recording.
    if (v > encoder.lastFrameMs) await emit(v);
    await encoder.finish();
    renameSync(part, o.outPath);
    o.onProgress?.(1);
    return { width: painter.width, height: painter.height, frames, videoDuration: v / 1000, duration: t };
  } catch (err) {
    encoder.kill();
    rmSync(part, { force: true });
    throw err;
  } finally {
    closeSync(fd);
    term.dispose();
  }
}

