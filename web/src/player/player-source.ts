// Where the player reads a recording from: the API's player endpoint in bounded chunks, or (until it exists) the raw .cast.

import { api, ApiError } from '../api/client';
import type { PlayerChunk, PlayerInfo } from '../api/wire';

/** A recording as the player reads it. Times are seconds from the start of the recording. */
export interface PlayerSource {
  info(): Promise<PlayerInfo>;
  /** The nearest keyframe at or before `t`, then the events after it, up to a bounded span past `t`. */
  seek(t: number): Promise<PlayerChunk>;
  /** The events strictly after `after`, a bounded span of them (`done` when the recording has no more). */
  next(after: number): Promise<PlayerChunk>;
}

/** PROVISIONAL paths of the player endpoint (issue 5): GET …/player and GET …/player/chunk?at=|after=. */
export function httpPlayerSource(sessionId: number): PlayerSource {
  const base = `/sessions/${sessionId}/player`;
  return {
    info: () => api.get<PlayerInfo>(base),
    seek: (t) => api.get<PlayerChunk>(`${base}/chunk`, { at: t.toFixed(3) }),
    next: (after) => api.get<PlayerChunk>(`${base}/chunk`, { after: after.toFixed(3) }),
  };
}

type CastEvent = [number, string, string];

/** Parses asciicast v2 text: the header line, then [time, code, data] lines; a torn last line is ignored. */
export function parseCast(text: string): { width: number; height: number; events: CastEvent[] } {
  const lines = text.split('\n');
  const header = JSON.parse(lines[0] ?? '{}') as { width?: number; height?: number };
  const events: CastEvent[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    try {
      const e = JSON.parse(line) as unknown;
      if (Array.isArray(e) && typeof e[0] === 'number' && typeof e[1] === 'string' && typeof e[2] === 'string') events.push([e[0], e[1], e[2]]);
    } catch {
      // A recording repaired after a crash may end in a partial line.
    }
  }
  return { width: header.width ?? 80, height: header.height ?? 24, events };
}

const IDLE_GAP = 2;
const SPAN = 60;

/** Idle periods: gaps between events longer than IDLE_GAP seconds. */
export function idlePeriods(events: ReadonlyArray<CastEvent>): PlayerInfo['idle'] {
  const idle: PlayerInfo['idle'] = [];
  for (let i = 1; i < events.length; i++) {
    const gap = events[i]![0] - events[i - 1]![0];
    if (gap > IDLE_GAP) idle.push({ start: events[i - 1]![0], end: events[i]![0] });
  }
  return idle;
}

/**
 * Fallback: the raw recording, fetched once. There are no keyframes, so seeking replays from the start
 * (fast for ordinary sessions; the player endpoint is what makes hours-long recordings open at once).
 */
export function castPlayerSource(sessionId: number): PlayerSource {
  let loaded: Promise<ReturnType<typeof parseCast>> | null = null;
  const load = () =>
    (loaded ??= api.raw('GET', `/sessions/${sessionId}/recording`, { accept: 'application/x-asciicast, */*' }).then(async (r) => parseCast(await r.text())));
  const slice = (events: CastEvent[], after: number, to: number): PlayerChunk['events'] => events.filter((e) => e[0] > after && e[0] <= to && e[1] !== 'i');
  return {
    async info() {
      const c = await load();
      return { duration: c.events.at(-1)?.[0] ?? 0, cols: c.width, rows: c.height, idle: idlePeriods(c.events), markers: [] };
    },
    async seek(t) {
      const c = await load();
      const to = t + SPAN;
      return { from: 0, to, keyframe: null, events: slice(c.events, -1, to), done: to >= (c.events.at(-1)?.[0] ?? 0) };
    },
    async next(after) {
      const c = await load();
      const to = after + SPAN;
      return { from: after, to, keyframe: null, events: slice(c.events, after, to), done: to >= (c.events.at(-1)?.[0] ?? 0) };
    },
  };
}

/** The player endpoint when the server has it, the raw recording otherwise. */
export async function openPlayerSource(sessionId: number): Promise<{ source: PlayerSource; info: PlayerInfo; chunked: boolean }> {
  const http = httpPlayerSource(sessionId);
  try {
    return { source: http, info: await http.info(), chunked: true };
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) throw err;
  }
  const cast = castPlayerSource(sessionId);
  return { source: cast, info: await cast.info(), chunked: false };
}
