// Calls of the Session Video window: the MP4 job (Generate video for download) and the two downloads.

import { api, ApiError } from './client';
import type { VideoJob } from './wire';

export const videoApi = {
  /** Queues the MP4 (202), or answers at once when it exists (200). */
  start(id: number): Promise<VideoJob> {
    return api.post<VideoJob>(`/sessions/${id}/video`);
  },
  /** The job's state, or null when no video was requested for this session. */
  async status(id: number): Promise<VideoJob | null> {
    try {
      return await api.get<VideoJob>(`/sessions/${id}/video`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404 && !/no route/i.test(err.problem?.detail ?? '')) return null;
      throw err;
    }
  },
  /** The MP4 (writes a *Video Download* event). */
  fileUrl(id: number): string {
    return api.url(`/sessions/${id}/video/file`);
  },
  /** The raw asciicast (writes a *Video Download* event, note "recording (.cast)"). */
  recordingUrl(id: number): string {
    return api.url(`/sessions/${id}/recording`);
  },
};
