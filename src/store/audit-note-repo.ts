// Auditors' comments on sessions and their "audited" marks, in SQLite.

import type { Kysely } from 'kysely';
import type { AuditNoteRepo, SessionComment } from '../core/audit-sessions.js';
import type { Database } from './schema.js';
import { toDb } from './database.js';

export class SqliteAuditNoteRepo implements AuditNoteRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async addComment(c: Omit<SessionComment, 'id'>): Promise<SessionComment> {
    const r = await this.db
      .insertInto('session_comments')
      .values({ session_id: c.sessionId, user_id: c.userId, username: c.username, at: toDb(c.at), text: c.text })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id: r.id, ...c };
  }

  async comments(sessionId: number): Promise<SessionComment[]> {
    const rows = await this.db.selectFrom('session_comments').selectAll().where('session_id', '=', sessionId).orderBy('id').execute();
    return rows.map((r) => ({ id: r.id, sessionId: r.session_id, userId: r.user_id, username: r.username, at: new Date(r.at), text: r.text }));
  }

  async markAudited(sessionId: number, userId: number, at: Date): Promise<boolean> {
    const r = await this.db
      .insertInto('session_audit_marks')
      .values({ session_id: sessionId, user_id: userId, audited_at: toDb(at) })
      .onConflict((oc) => oc.columns(['session_id', 'user_id']).doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async audits(sessionId: number): Promise<Array<{ userId: number; at: Date }>> {
    const rows = await this.db.selectFrom('session_audit_marks').select(['user_id', 'audited_at']).where('session_id', '=', sessionId).orderBy('audited_at').execute();
    return rows.map((r) => ({ userId: r.user_id, at: new Date(r.audited_at) }));
  }

  async auditedBy(userId: number, sessionIds: readonly number[]): Promise<Map<number, Date>> {
    const out = new Map<number, Date>();
    if (sessionIds.length === 0) return out;
    const rows = await this.db
      .selectFrom('session_audit_marks')
      .select(['session_id', 'audited_at'])
      .where('user_id', '=', userId)
      .where('session_id', 'in', [...sessionIds])
      .execute();
    for (const r of rows) out.set(r.session_id, new Date(r.audited_at));
    return out;
  }
}
