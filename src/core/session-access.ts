// Who sees which sessions and may act on them (through the rule table of permissions.ts), plus Prevent Purge and Configure Auditors.

import type { Clock } from './clock.js';
import { VigilError } from './errors.js';
import { allowedActions, canSeeSession, hasPermission, refusal, type Actor, type SessionAction, type SessionFacts } from './permissions.js';
import type { AuditRepo, BlockRepo, SessionQuery, SessionRepo, UserRepo } from './ports.js';
import type { SessionEventName, SessionRecord } from './types.js';

/** Writes session events (the hub's `event`). */
export interface SessionEventSink {
  event(sessionId: number, userId: number | null, user: string, event: SessionEventName, note: string): Promise<void>;
}

/** The live side of sessions, as far as access needs it (the hub's `get`). */
export interface LiveSessions {
  get(id: number): { readonly blocked: boolean } | undefined;
}

export interface SessionAccessOptions {
  sessions: SessionRepo;
  users: UserRepo;
  blocks: BlockRepo;
  audit: AuditRepo;
  events: SessionEventSink;
  live: LiveSessions;
  clock: Clock;
}

/** A session as one actor sees it. */
export interface SessionView {
  session: SessionRecord;
  /** The session's user has lost interactivity (live) or is blocked from starting sessions. */
  blocked: boolean;
  actorIsAuditor: boolean;
  /** What this actor may do with it now, in Action-column order. */
  actions: SessionAction[];
}

export interface SessionPage {
  items: SessionView[];
  total: number;
  page: number;
  pageSize: number;
}

/** A user named as auditor of a session. */
export interface AuditorRef {
  id: number;
  username: string;
}

export const JUSTIFICATION_MAX = 1000;
export const MAX_AUDITORS = 100;
export const DEFAULT_PAGE_SIZE = 30;
export const MAX_PAGE_SIZE = 200;

export class SessionAccess {
  constructor(private readonly o: SessionAccessOptions) {}

  /**
   * The sessions the actor may see: all with View, else those they audit — possibly none, which is an
   * empty page rather than a refusal, so that the console's list (and its event stream) simply fills
   * in when the user is named auditor of a session.
   */
  async list(actor: Actor, query: Omit<SessionQuery, 'auditorUserId'>): Promise<SessionPage> {
    const page = query.page ?? 1;
    const pageSize = Math.min(query.pageSize ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
    const q: SessionQuery = { ...query, page, pageSize };
    if (!hasPermission(actor, 'PAM.SessionManagement.View')) q.auditorUserId = actor.userId;
    const { items, total } = await this.o.sessions.query(q);
    const blockedUsers = new Map<number, Promise<boolean>>();
    const views = await Promise.all(items.map((s) => this.build(actor, s, blockedUsers)));
    return { items: views, total, page, pageSize };
  }

  /** One session as the actor sees it: 404 when unknown, 403 when not visible. */
  async get(actor: Actor, id: number): Promise<SessionView> {
    const s = await this.o.sessions.get(id);
    if (!s) throw VigilError.notFound('session');
    const v = await this.view(actor, s);
    if (!v) throw VigilError.denied('You may not view this session');
    return v;
  }

  /** The actor's view of a session record, or null when they may not see it (used to filter pushed changes). */
  async view(actor: Actor, s: SessionRecord): Promise<SessionView | null> {
    const v = await this.build(actor, s, new Map());
    return canSeeSession(actor, this.facts(s, v.actorIsAuditor)) ? v : null;
  }

  /** Throws 404/403, or 409 when only the session's state forbids it (drop a completed session, logs of an active one). */
  async authorize(actor: Actor, action: SessionAction, id: number): Promise<SessionView> {
    const s = await this.o.sessions.get(id);
    if (!s) throw VigilError.notFound('session');
    const v = await this.build(actor, s, new Map());
    const why = refusal(actor, action, this.facts(s, v.actorIsAuditor));
    if (why === 'state') throw VigilError.conflict(s.status === 'active' ? 'session is still active' : `session is not active (${s.status})`);
    if (why === 'denied') {
      // Someone who may not even see the session learns nothing more than "no".
      throw VigilError.denied();
    }
    return v;
  }

  /** Protects a session's recording from purge, with a justification (a *Prevent purge* event). */
  async preventPurge(actor: Actor, id: number, justification: string): Promise<SessionView> {
    const v = await this.authorize(actor, 'preventPurge', id);
    const why = checkJustification(justification);
    if (v.session.preventPurge) throw VigilError.conflict('session is already protected from purge');
    if (v.session.purgedAt) throw VigilError.conflict('the recording of this session was already purged');
    await this.o.sessions.setPreventPurge(id, true);
    await this.o.events.event(id, actor.userId, actor.username, 'Prevent purge', why);
    await this.auditSession(actor, 'session.prevent-purge', v.session, { justification: why });
    return this.get(actor, id);
  }

  /** Allows purge again, with a justification (an *Allow purge* event). */
  async allowPurge(actor: Actor, id: number, justification: string): Promise<SessionView> {
    const v = await this.authorize(actor, 'preventPurge', id);
    const why = checkJustification(justification);
    if (!v.session.preventPurge) throw VigilError.conflict('session is not protected from purge');
    await this.o.sessions.setPreventPurge(id, false);
    await this.o.events.event(id, actor.userId, actor.username, 'Allow purge', why);
    await this.auditSession(actor, 'session.allow-purge', v.session, { justification: why });
    return this.get(actor, id);
  }

  async getAuditors(actor: Actor, id: number): Promise<AuditorRef[]> {
    await this.authorize(actor, 'auditors', id);
    return this.auditorRefs(id);
  }

  /** Replaces the auditors with exactly `userIds` (the console's Save); an *Auditors changed* event names who was added and removed. */
  async setAuditors(actor: Actor, id: number, userIds: readonly number[]): Promise<AuditorRef[]> {
    const v = await this.authorize(actor, 'auditors', id);
    const wanted = [...new Set(userIds)];
    if (wanted.length > MAX_AUDITORS) throw VigilError.badRequest(`at most ${MAX_AUDITORS} auditors`);
    const users = await Promise.all(wanted.map((uid) => (Number.isSafeInteger(uid) && uid > 0 ? this.o.users.get(uid) : Promise.resolve(null))));
    const unknown = wanted.filter((_, i) => users[i] === null);
    if (unknown.length) throw VigilError.badRequest(`unknown user id ${unknown.join(', ')}`, { unknownUserIds: unknown });
    const before = await this.auditorRefs(id);
    const beforeIds = new Set(before.map((a) => a.id));
    const added = users.filter((u) => u !== null && !beforeIds.has(u.id)).map((u) => u!.username);
    const removed = before.filter((a) => !wanted.includes(a.id)).map((a) => a.username);
    if (added.length === 0 && removed.length === 0) return before;
    await this.o.sessions.setAuditors(id, wanted);
    const note = [added.length ? `added: ${added.join(', ')}` : '', removed.length ? `removed: ${removed.join(', ')}` : ''].filter(Boolean).join('; ');
    await this.o.events.event(id, actor.userId, actor.username, 'Auditors changed', note);
    await this.auditSession(actor, 'session.auditors.set', v.session, { added, removed });
    return this.auditorRefs(id);
  }

  /** Appends an audit-trail entry about a session action (drop, block, live stream...). */
  async auditSession(actor: Actor, action: string, s: SessionRecord, details: Record<string, unknown> = {}): Promise<void> {
    await this.o.audit.append({
      at: this.o.clock.now(),
      actor: actor.username,
      action,
      target: `session ${s.id} (${s.sessionId})`,
      details: JSON.stringify({ user: s.user, ...details }),
    });
  }

  private async auditorRefs(id: number): Promise<AuditorRef[]> {
    const ids = await this.o.sessions.auditors(id);
    const users = await Promise.all(ids.map((uid) => this.o.users.get(uid)));
    return users.filter((u) => u !== null).map((u) => ({ id: u!.id, username: u!.username }));
  }

  private facts(s: SessionRecord, actorIsAuditor: boolean): SessionFacts {
    return { active: s.status === 'active', actorIsAuditor };
  }

  private async build(actor: Actor, s: SessionRecord, blockedUsers: Map<number, Promise<boolean>>): Promise<SessionView> {
    const actorIsAuditor = await this.o.sessions.isAuditor(s.id, actor.userId);
    return { session: s, blocked: await this.isBlocked(s, blockedUsers), actorIsAuditor, actions: allowedActions(actor, this.facts(s, actorIsAuditor)) };
  }

  private async isBlocked(s: SessionRecord, cache: Map<number, Promise<boolean>>): Promise<boolean> {
    if (this.o.live.get(s.id)?.blocked) return true;
    if (s.userId === null) return false;
    let p = cache.get(s.userId);
    if (!p) {
      p = this.o.blocks.activeFor(s.userId).then((b) => b !== null);
      cache.set(s.userId, p);
    }
    return p;
  }
}

/** A justification: trimmed, 1..1000 characters, else BadRequest. */
export function checkJustification(raw: unknown): string {
  const text = typeof raw === 'string' ? raw.trim() : '';
  if (text.length === 0) throw VigilError.badRequest('a justification is required', { field: 'justification' });
  if (text.length > JUSTIFICATION_MAX) throw VigilError.badRequest(`the justification must be at most ${JUSTIFICATION_MAX} characters`, { field: 'justification' });
  return text;
}
