// Renders a recording to MP4: replays it through a headless terminal, paints changed cells, and sends only changed frames, timestamped, to ffmpeg.
//
// Time: video time follows recording time, except that a pause between events longer than
// `idleCap` seconds is shortened to `idleCap` (FrameScheduler). A status bar under the terminal
// always shows the real session clock, so the video still tells real time.

import { randomBytes } from 'node:crypto';
import { renameSync, rmSync } from 'node:fs';
import { openCastSync } from '../cast-source.js';
import { lineEvent, SyncCastLines } from '../keyframes/cast-lines.js';
import { ReplayTerminal } from '../keyframes/replay-terminal.js';
import { FfmpegEncoder } from './ffmpeg-encoder.js';
import { FramePainter } from './frame-painter.js';
import { FrameScheduler } from './frame-scheduler.js';
import { GlyphAtlas } from './glyph-atlas.js';
import { scanGeometry } from './scan-geometry.js';

export interface RenderVideoOptions {
  castPath: string;
  /**
   * Written as `<outPath>.<random>.part`, renamed when complete. The random part keeps an ffmpeg left running by a
   * crashed Vigil (it finishes its output when its input closes) from writing into the file of a render started after.
   */
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

/** Renders `castPath` to an MP4 at `outPath` (which appears only once complete). CPU-bound: run it in a worker thread or the CLI. */
export async function renderVideo(o: RenderVideoOptions): Promise<RenderVideoResult> {
  const idleCap = o.idleCap ?? 2;
  const slotMs = 1000 / (o.fps ?? 25);
  const geometry = scanGeometry(o.castPath);
  const atlas = o.atlas ?? new GlyphAtlas();
  const painter = new FramePainter(atlas, geometry.cols, geometry.rows);
  const term = new ReplayTerminal({ cols: geometry.header.width, rows: geometry.header.height });
  const epoch = o.startedAt?.getTime() ?? (geometry.header.timestamp ?? 0) * 1000;
  const part = `${o.outPath}.${randomBytes(4).toString('hex')}.part`;
  const src = openCastSync(o.castPath);
  const encoder = new FfmpegEncoder({ ffmpeg: o.ffmpeg, width: painter.width, height: painter.height, outPath: part, threads: o.threads });
  const frames = new FrameScheduler(term, painter, encoder, { epochMs: epoch, idleCap, slotMs });
  try {
    const size = src.size();
    const lines = new SyncCastLines(src, 0);
    let lastProgress = 0;
    for (let line = lines.next(); line; line = lines.next()) {
      const e = lineEvent(line.bytes);
      if (!e) continue;
      await frames.event(e.time, e.type, e.data);
      if (line.next - lastProgress > size / 200) {
        lastProgress = line.next;
        o.onProgress?.(line.next / size);
      }
    }
    await frames.end();
    await encoder.finish();
    renameSync(part, o.outPath);
    o.onProgress?.(1);
    return { width: painter.width, height: painter.height, frames: frames.frames, videoDuration: frames.videoTime, duration: frames.recordingTime };
  } catch (err) {
    encoder.kill();
    rmSync(part, { force: true });
    throw err;
  } finally {
    src.close();
    term.dispose();
  }
}
