// Calls of Audit > Sessions for audit: my sessions to audit, comments, marking audited, and the session audit.

import { api } from './client';
import type { AuditSessionItem, SessionAudit } from './wire';

export const COMMENT_MAX = 500;

export const auditApi = {
  sessions(page: number): Promise<{ items: AuditSessionItem[]; total: number; page: number; pageSize: number }> {
    return api.get('/audit/sessions', { page, pageSize: 30 });
  },
  detail(id: number): Promise<SessionAudit> {
    return api.get<SessionAudit>(`/audit/sessions/${id}`);
  },
  comment(id: number, text: string): Promise<unknown> {
    return api.post(`/audit/sessions/${id}/comments`, { text });
  },
  markAudited(id: number): Promise<unknown> {
    return api.post(`/audit/sessions/${id}/audited`);
  },
};
