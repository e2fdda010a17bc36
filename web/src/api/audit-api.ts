// Calls of Audit > Sessions for audit (issue 4's endpoints).

import { asList } from './admin-api';
import { api } from './client';
import type { AuditSessionItem, SessionAudit } from './wire';

export const COMMENT_MAX = 500;

export const auditApi = {
  async sessions(): Promise<AuditSessionItem[]> {
    return asList<AuditSessionItem>(await api.get('/audit/sessions'));
  },
  detail(id: number): Promise<SessionAudit> {
    return api.get<SessionAudit>(`/audit/sessions/${id}`);
  },
  comment(id: number, comment: string): Promise<unknown> {
    return api.post(`/audit/sessions/${id}/comments`, { comment });
  },
  markAudited(id: number): Promise<unknown> {
    return api.post(`/audit/sessions/${id}/audited`);
  },
};
