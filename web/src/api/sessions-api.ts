// Calls of the Remote Sessions screen and its windows, one function per endpoint.

import { api, type QueryValue } from './client';
import type { AuditorsResponse, SessionItem, SessionListQuery, SessionPage } from './wire';

export const sessionsApi = {
  list(q: SessionListQuery, signal?: AbortSignal): Promise<SessionPage> {
    return api.get<SessionPage>('/sessions', q as Record<string, QueryValue>, signal);
  },
  get(id: number): Promise<SessionItem> {
    return api.get<SessionItem>(`/sessions/${id}`);
  },
  eventsUrl(): string {
    return api.url('/sessions/events');
  },
  liveUrl(id: number): string {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${proto}//${location.host}${api.url(`/sessions/${id}/live`)}`;
  },
  drop(id: number, reason?: string): Promise<unknown> {
    return api.post(`/sessions/${id}/drop`, reason ? { reason } : {});
  },
  block(id: number): Promise<unknown> {
    return api.post(`/sessions/${id}/block`);
  },
  unblock(id: number): Promise<unknown> {
    return api.post(`/sessions/${id}/unblock`);
  },
  preventPurge(id: number, justification: string): Promise<unknown> {
    return api.post(`/sessions/${id}/prevent-purge`, { justification });
  },
  allowPurge(id: number, justification: string): Promise<unknown> {
    return api.delete(`/sessions/${id}/prevent-purge`, { justification });
  },
  auditors(id: number): Promise<AuditorsResponse> {
    return api.get<AuditorsResponse>(`/sessions/${id}/auditors`);
  },
  setAuditors(id: number, userIds: number[]): Promise<AuditorsResponse> {
    return api.put<AuditorsResponse>(`/sessions/${id}/auditors`, { userIds });
  },
};
