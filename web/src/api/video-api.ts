// Calls of the Session Video window (issue 5's endpoints): the MP4 job and the downloads.

import { api, ApiError } from './client';
import type { VideoJob } from './wire';

export const videoApi = {
  start(id: number): Promise<VideoJob> {
    return api.post<VideoJob>(`/sessions/${id}/video`);
  },
  /** The job's state, or null when none was started. */
  async status(id: number): Promise<VideoJob | null> {
    try {
      return await api.get<VideoJob>(`/sessions/${id}/video`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404 && !/no route/i.test(err.message)) return null;
      throw err;
    }
  },
  downloadUrl(id: number): string {
    return api.url(`/sessions/${id}/video`, { download: 1 });
  },
  recordingUrl(id: number): string {
    return api.url(`/sessions/${id}/recording`);
  },
};
