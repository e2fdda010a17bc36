// Calls of the Session logs window: GET /sessions/{id}/logs, its ?q= search and its ?format=csv export.

import { api } from './client';
import type { SessionLogs } from './wire';

export const logsApi = {
  /** Opening the logs writes a *Log viewer* session event. */
  get(id: number): Promise<SessionLogs> {
    return api.get<SessionLogs>(`/sessions/${id}/logs`);
  },
  /** The logs with `matches`: commands and displayed lines containing `q`, in time order. */
  search(id: number, q: string): Promise<SessionLogs> {
    return api.get<SessionLogs>(`/sessions/${id}/logs`, { q });
  },
  async csv(id: number, q?: string): Promise<Blob> {
    const res = await api.raw('GET', `/sessions/${id}/logs`, { query: { format: 'csv', q }, accept: 'text/csv' });
    return res.blob();
  },
};
