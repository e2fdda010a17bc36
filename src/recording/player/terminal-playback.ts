// Replays a recording into a real terminal from any point: the screen at the start time at once (keyframe + events), then output as it happened.

import { openCastSync } from '../cast-source.js';
import { lineEvent, SyncCastLines } from '../keyframes/cast-lines.js';
import { buildKeyframes } from '../keyframes/keyframe-files.js';
import { keyframeAt, readKeyframeSync } from '../keyframes/keyframe-index.js';

export interface PlaybackOptions {
  castPath: string;
  /** Start here (seconds of recording); the screen at that time is drawn at once. */
  from?: number;
  /** Playback speed (default 1). */
  speed?: number;
  /** Longest pause kept, in recording seconds (default 2; Infinity keeps pauses). */
  idleLimit?: number;
}

/** One write to the terminal, after waiting `delayMs`; `time` is its recording time. */
export interface PlaybackStep {
  delayMs: number;
  time: number;
  data: string;
}

/**
 * The writes that replay a recording. The first step resets the terminal (RIS) and draws the screen
 * at `from`; later steps carry output with their pauses, shortened to `idleLimit` and divided by
 * `speed`. Resizes cannot be applied to a real terminal and are skipped. Indexes the recording
 * first when it has no complete keyframe index (synchronous; CLI use).
 */
export function* playback(o: PlaybackOptions): Generator<PlaybackStep> {
  const from = Math.max(0, o.from ?? 0);
  const speed = o.speed ?? 1;
  const idle = o.idleLimit ?? 2;
  const index = buildKeyframes(o.castPath);
  const kf = keyframeAt(index.keyframes, from);
  let first = '\x1bc';
  if (kf) first += readKeyframeSync(o.castPath, kf);
  const src = openCastSync(o.castPath);
  try {
    const lines = new SyncCastLines(src, kf ? kf.castOffset : 0);
    let last = from;
    let started = false;
    for (let line = lines.next(); line; line = lines.next()) {
      const e = lineEvent(line.bytes);
      if (!e || e.type !== 'o') continue;
      if (!started && e.time <= from) {
        first += e.data;
        continue;
      }
      if (!started) {
        yield { delayMs: 0, time: from, data: first };
        started = true;
      }
      yield { delayMs: (Math.min(e.time - last, idle) * 1000) / speed, time: e.time, data: e.data };
      last = e.time;
    }
    if (!started) yield { delayMs: 0, time: from, data: first };
  } finally {
    src.close();
  }
}
