// Where the player reads a recording: the API's player endpoint, in bounded chunks (GET …/player, …/player/chunk).

import { api } from '../api/client';
import type { PlayerChunk, PlayerInfo } from '../api/wire';

/** A recording as the player reads it. Times are seconds from the start of the recording. */
export interface PlayerSource {
  info(): Promise<PlayerInfo>;
  /** The nearest keyframe at or before `t`, then the events after it, up to a bounded span past `t`. */
  seek(t: number): Promise<PlayerChunk>;
  /** The events strictly after `after` (a previous chunk's `next`), a bounded span of them. */
  next(after: number): Promise<PlayerChunk>;
}

/** Opening (info) writes the *Session Play* event; chunks are not logged. */
export function httpPlayerSource(sessionId: number): PlayerSource {
  const base = `/sessions/${sessionId}/player`;
  return {
    info: () => api.get<PlayerInfo>(base),
    seek: (t) => api.get<PlayerChunk>(`${base}/chunk`, { t: t.toFixed(3) }),
    next: (after) => api.get<PlayerChunk>(`${base}/chunk`, { after: String(after) }),
  };
}
