// Audit > Sessions for audit: the sessions where I am an auditor (audited or not), comments (≤ 500 characters), Audit,
// and Session audit (the auditors and their comments). Each comment and audit is a session event and an audit entry.

import type { Clock } from './clock.js';
import { VigilError } from './errors.js';
import { hasPermission, type Actor } from './permissions.js';
import type { AuditRepo, SessionRepo, UserRepo } from './ports.js';
import type { SessionEventSink } from './session-access.js';
import type { SessionRecord } from './types.js';

export const COMMENT_MAX = 500;

export interface SessionComment {
  id: number;
  sessionId: number;
  userId: number;
  username: string;
  at: Date;
  text: string;
}

/** Comments and audit marks of auditors. */
export interface AuditNoteRepo {
  addComment(c: Omit<SessionComment, 'id'>): Promise<SessionComment>;
  comments(sessionId: number): Promise<SessionComment[]>;
  /** Returns false when this user had already marked the session audited. */
  markAudited(sessionId: number, userId: number, at: Date): Promise<boolean>;
  /** When each user marked the session audited. */
  audits(sessionId: number): Promise<Array<{ userId: number; at: Date }>>;
  /** Of `sessionIds`, those `userId` marked audited, with when. */
  auditedBy(userId: number, sessionIds: readonly number[]): Promise<Map<number, Date>>;
}

export interface AuditSessionItem {
  session: SessionRecord;
  audited: boolean;
  auditedAt: Date | null;
}

export interface SessionAuditView {
  session: SessionRecord;
  auditors: Array<{ id: number; username: string; audited: boolean; auditedAt: Date | null; comments: Array<{ id: number; at: Date; text: string }> }>;
  /** Comments by users who are no longer auditors of the session (kept: the trail is not rewritten). */
  otherComments: SessionComment[];
}

export interface AuditSessionsOptions {
  sessions: Pick<SessionRepo, 'get' | 'query' | 'isAuditor' | 'auditors'>;
  users: Pick<UserRepo, 'get'>;
  notes: AuditNoteRepo;
  events: SessionEventSink;
  audit: Pick<AuditRepo, 'append'>;
  clock: Clock;
}

/** A comment: trimmed, 1..500 characters, else BadRequest. */
export function checkComment(raw: unknown): string {
  const text = typeof raw === 'string' ? raw.trim() : '';
  if (!text) throw VigilError.badRequest('a comment is required', { field: 'text' });
  if (text.length > COMMENT_MAX) throw VigilError.badRequest(`a comment must be at most ${COMMENT_MAX} characters`, { field: 'text' });
  return text;
}

export class AuditSessions {
  constructor(private readonly o: AuditSessionsOptions) {}

  /** The sessions where the actor is an auditor, newest first, with whether the actor marked each audited. */
  async list(actor: Actor, page = 1, pageSize = 30): Promise<{ items: AuditSessionItem[]; total: number; page: number; pageSize: number }> {
    const { items, total } = await this.o.sessions.query({ auditorUserId: actor.userId, sort: 'startedAt', order: 'desc', page, pageSize });
    const marks = await this.o.notes.auditedBy(actor.userId, items.map((s) => s.id));
    return { items: items.map((s) => ({ session: s, audited: marks.has(s.id), auditedAt: marks.get(s.id) ?? null })), total, page, pageSize };
  }

  /** Comment session: auditors of the session only. */
  async comment(actor: Actor, id: number, raw: unknown): Promise<SessionComment> {
    const s = await this.requireAuditor(actor, id);
    const text = checkComment(raw);
    const c = await this.o.notes.addComment({ sessionId: id, userId: actor.userId, username: actor.username, at: this.o.clock.now(), text });
    await this.o.events.event(id, actor.userId, actor.username, 'Comment', text);
    await this.trail(actor, 'session.audit.comment', s, { comment: text });
    return c;
  }

  /** Audit: marks the session audited by the actor (409 when already). */
  async markAudited(actor: Actor, id: number): Promise<AuditSessionItem> {
    const s = await this.requireAuditor(actor, id);
    const at = this.o.clock.now();
    if (!(await this.o.notes.markAudited(id, actor.userId, at))) throw VigilError.conflict('you already marked this session audited');
    await this.o.events.event(id, actor.userId, actor.username, 'Audited', '');
    await this.trail(actor, 'session.audit.audited', s);
    return { session: s, audited: true, auditedAt: at };
  }

  /** Session audit: its auditors, whether each audited it, and their comments. For its auditors and for reviewers (Auditors or Logs permission). */
  async detail(actor: Actor, id: number): Promise<SessionAuditView> {
    const s = await this.o.sessions.get(id);
    if (!s) throw VigilError.notFound('session');
    const isAuditor = await this.o.sessions.isAuditor(id, actor.userId);
    const reviewer = hasPermission(actor, 'PAM.SessionManagement.Auditors') || hasPermission(actor, 'PAM.SessionManagement.Logs');
    if (!isAuditor && !reviewer) throw VigilError.denied();
    const [ids, comments, audits] = await Promise.all([this.o.sessions.auditors(id), this.o.notes.comments(id), this.o.notes.audits(id)]);
    const users = await Promise.all(ids.map((uid) => this.o.users.get(uid)));
    const auditors = users
      .filter((u) => u !== null)
      .map((u) => {
        const mark = audits.find((a) => a.userId === u!.id);
        return {
          id: u!.id,
          username: u!.username,
          audited: mark !== undefined,
          auditedAt: mark?.at ?? null,
          comments: comments.filter((c) => c.userId === u!.id).map((c) => ({ id: c.id, at: c.at, text: c.text })),
        };
      });
    return { session: s, auditors, otherComments: comments.filter((c) => !ids.includes(c.userId)) };
  }

  private async requireAuditor(actor: Actor, id: number): Promise<SessionRecord> {
    const s = await this.o.sessions.get(id);
    if (!s) throw VigilError.notFound('session');
    if (!(await this.o.sessions.isAuditor(id, actor.userId))) throw VigilError.denied('You are not an auditor of this session');
    return s;
  }

  private async trail(actor: Actor, action: string, s: SessionRecord, details: Record<string, unknown> = {}): Promise<void> {
    await this.o.audit.append({ at: this.o.clock.now(), actor: actor.username, action, target: `session ${s.id} (${s.sessionId})`, details: JSON.stringify({ user: s.user, ...details }) });
  }
}
