// Calls of the Session logs window (issue 4's endpoints).

import { api } from './client';
import type { LogSearchResult, SessionLogs } from './wire';

export const logsApi = {
  get(id: number): Promise<SessionLogs> {
    return api.get<SessionLogs>(`/sessions/${id}/logs`);
  },
  search(id: number, q: string): Promise<LogSearchResult> {
    return api.get<LogSearchResult>(`/sessions/${id}/logs`, { q });
  },
  async csv(id: number, q?: string): Promise<Blob> {
    const res = await api.raw('GET', `/sessions/${id}/logs`, { query: { format: 'csv', q }, accept: 'text/csv' });
    return res.blob();
  },
};
