// Runs ffmpeg to turn timestamped raw frames (Matroska on stdin) into an H.264/yuv420p MP4 that browsers and common players open.
//
// Flags (FACTS.md, "Terminal to MP4"): only changed frames are sent, with their timestamps, so the
// output must keep variable frame rate (`-fps_mode vfr`; mp4 otherwise silently goes constant),
// without B-frames (they shorten the reported duration with VFR), and with a keyframe at least
// every 10 s of video (VFR keyframes can otherwise be minutes apart, making seeks slow).

import { spawn, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import { mkvFramePrefix, mkvHeader } from './mkv-writer.js';

export interface FfmpegEncoderOptions {
  /** The ffmpeg binary (default "ffmpeg" on PATH). */
  ffmpeg?: string;
  width: number;
  height: number;
  outPath: string;
  /** x264 threads (default: ffmpeg's choice). One keeps a busy gateway's other core free. */
  threads?: number;
  /** Niceness of the ffmpeg process (default 10: the gateway comes first). */
  nice?: number;
}

const STDERR_TAIL = 4096;

export class FfmpegEncoder {
  private readonly proc: ChildProcess;
  private readonly exited: Promise<number | null>;
  private stderr = '';
  private failure: Error | null = null;
  private lastMs = -1;

  constructor(private readonly o: FfmpegEncoderOptions) {
    const args = [
      '-hide_banner', '-loglevel', 'error', '-y',
      '-f', 'matroska', '-i', 'pipe:0',
      '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-bf', '0',
      '-fps_mode', 'vfr', '-force_key_frames', 'expr:gte(t,n_forced*10)',
      ...(o.threads ? ['-threads', String(o.threads)] : []),
      '-movflags', '+faststart', '-f', 'mp4', o.outPath,
    ];
    this.proc = spawn(o.ffmpeg ?? 'ffmpeg', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    this.exited = new Promise((resolve) => {
      this.proc.on('error', (err) => {
        this.failure ??= new Error(`cannot run ffmpeg: ${err.message}`);
        resolve(null);
      });
      this.proc.on('exit', (code) => resolve(code));
    });
    this.proc.stderr!.setEncoding('utf8');
    this.proc.stderr!.on('data', (s: string) => {
      this.stderr = (this.stderr + s).slice(-STDERR_TAIL);
    });
    // EPIPE when ffmpeg dies early: the exit code and stderr tell why.
    this.proc.stdin!.on('error', (err) => {
      this.failure ??= new Error(`ffmpeg stopped reading: ${err.message}`);
    });
    if (this.proc.pid !== undefined) {
      try {
        setPriority(this.proc.pid, o.nice ?? 10);
      } catch {
        // Not allowed here (containers may forbid it): run at normal priority.
      }
    }
    this.proc.stdin!.write(mkvHeader(o.width, o.height));
  }

  /**
   * Sends one frame shown from `ms` (video milliseconds, increasing). The frame is copied, so the
   * caller may keep painting into its buffer; resolves at once unless the pipe is full.
   */
  async frame(ms: number, rgb: Buffer): Promise<void> {
    if (this.failure) await this.finish();
    const at = Math.max(Math.round(ms), this.lastMs + 1);
    this.lastMs = at;
    const stdin = this.proc.stdin!;
    stdin.write(mkvFramePrefix(at, rgb.length));
    if (!stdin.write(Buffer.from(rgb))) {
      await new Promise<void>((resolve) => {
        const done = () => {
          stdin.off('drain', done);
          stdin.off('close', done);
          resolve();
        };
        stdin.on('drain', done);
        stdin.on('close', done);
      });
    }
  }

  /** Video milliseconds of the last frame sent. */
  get lastFrameMs(): number {
    return this.lastMs;
  }

  /** Ends the input and waits for ffmpeg; rejects with its error output when it fails. */
  async finish(): Promise<void> {
    this.proc.stdin!.end();
    const code = await this.exited;
    if (code !== 0 || this.failure) {
      const why = this.stderr.trim() || this.failure?.message || 'no error output';
      throw new Error(`ffmpeg failed (exit ${code ?? 'none'}): ${why}`);
    }
  }

  /** Stops ffmpeg (cancelled job). */
  kill(): void {
    this.proc.kill('SIGKILL');
  }
}
