// Session events, session blocks and settings, in SQLite.

import type { Kysely } from 'kysely';
import type { BlockRepo, EventRepo, SettingsRepo } from '../core/ports.js';
import type { SessionBlock, SessionEvent, SessionEventName } from '../core/types.js';
import type { Database } from './schema.js';
import { fromDb, toDb } from './database.js';

export class SqliteEventRepo implements EventRepo {
  constructor(private readonly db: Kysely<Database>) {}
  async add(e: { sessionId: number; userId: number | null; user: string; at: Date; event: SessionEventName; note: string }): Promise<SessionEvent> {
    const r = await this.db
      .insertInto('session_events')
      .values({ session_id: e.sessionId, user_id: e.userId, username: e.user, at: toDb(e.at), event: e.event, note: e.note })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id: r.id, ...e };
  }
  async forSession(sessionId: number): Promise<SessionEvent[]> {
    const rows = await this.db.selectFrom('session_events').selectAll().where('session_id', '=', sessionId).orderBy('id').execute();
    return rows.map((r) => ({ id: r.id, sessionId: r.session_id, userId: r.user_id, user: r.username, at: new Date(r.at), event: r.event as SessionEventName, note: r.note }));
  }
}

export class SqliteBlockRepo implements BlockRepo {
  constructor(private readonly db: Kysely<Database>) {}
  private base() {
    return this.db
      .selectFrom('session_blocks')
      .innerJoin('users', 'users.id', 'session_blocks.user_id')
      .selectAll('session_blocks')
      .select('users.username as username');
  }
  private map(r: { id: number; user_id: number; username: string; session_id: number | null; blocked_by: string; blocked_at: string; released_by: string | null; released_at: string | null }): SessionBlock {
    return { id: r.id, userId: r.user_id, user: r.username, sessionId: r.session_id, blockedBy: r.blocked_by, blockedAt: new Date(r.blocked_at), releasedBy: r.released_by, releasedAt: fromDb(r.released_at) };
  }
  async add(b: { userId: number; sessionId: number | null; blockedBy: string; blockedAt: Date }): Promise<SessionBlock> {
    const r = await this.db
      .insertInto('session_blocks')
      .values({ user_id: b.userId, session_id: b.sessionId, blocked_by: b.blockedBy, blocked_at: toDb(b.blockedAt), released_by: null, released_at: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    return this.map((await this.base().where('session_blocks.id', '=', r.id).executeTakeFirstOrThrow()) as Parameters<SqliteBlockRepo['map']>[0]);
  }
  async activeFor(userId: number): Promise<SessionBlock | null> {
    const r = await this.base().where('session_blocks.user_id', '=', userId).where('session_blocks.released_at', 'is', null).orderBy('session_blocks.id', 'desc').executeTakeFirst();
    return r ? this.map(r as Parameters<SqliteBlockRepo['map']>[0]) : null;
  }
  async release(userId: number, releasedBy: string, at: Date): Promise<boolean> {
    const r = await this.db
      .updateTable('session_blocks')
      .set({ released_by: releasedBy, released_at: toDb(at) })
      .where('user_id', '=', userId)
      .where('released_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
  async list(): Promise<SessionBlock[]> {
    const rows = await this.base().orderBy('session_blocks.id', 'desc').execute();
    return rows.map((r) => this.map(r as Parameters<SqliteBlockRepo['map']>[0]));
  }
}

export class SqliteSettingsRepo implements SettingsRepo {
  constructor(private readonly db: Kysely<Database>) {}
  async get<T>(key: string, fallback: T): Promise<T> {
    const r = await this.db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
    return r ? (JSON.parse(r.value) as T) : fallback;
  }
  async set(key: string, value: unknown): Promise<void> {
    const v = JSON.stringify(value);
    await this.db.insertInto('settings').values({ key, value: v }).onConflict((oc) => oc.column('key').doUpdateSet({ value: v })).execute();
  }
  async all(): Promise<Record<string, unknown>> {
    const rows = await this.db.selectFrom('settings').selectAll().execute();
    return Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value)]));
  }
}
