// The purge's side of the sessions table: candidates, claims and the purged mark with its event and audit entry, in SQLite.

import type { ExpressionBuilder, Kysely } from 'kysely';
import type { KnownSession, PurgeActor, PurgeCandidate, PurgeCursor, PurgeFinish, PurgeRepo } from '../core/purge-service.js';
import type { SessionEventName } from '../core/types.js';
import type { Database } from './schema.js';
import { auditHash } from './audit-repo.js';
import { fromDb, toDb } from './database.js';
import { LEFTOVERS_DONE, type SearchTextWriter } from './search-index.js';

/** The previous hash of the first audit entry (as SqliteAuditRepo chains it). */
const AUDIT_GENESIS = '0'.repeat(64);
const FILES_PURGED: SessionEventName = 'Files purged';
/** Session IDs per IN (...) list; well under SQLite's bound-parameter limit. */
const IN_CHUNK = 500;

type Eb = ExpressionBuilder<Database, 'sessions'>;

/**
 * The one definition of a purge candidate: completed (any status but active), not protected, not purged, not
 * claimed, with a recording, and ended (or, without an end, started) before the cutoff. `started_at < cutoff`
 * is implied (a session ends after it starts) and lets SQLite range-scan the partial index sessions_purge_pending.
 */
function candidate(cutoff: string) {
  return (eb: Eb) =>
    eb.and([
      eb('purged_at', 'is', null),
      eb('purge_started_at', 'is', null),
      eb('prevent_purge', '=', 0),
      eb('status', '!=', 'active'),
      eb('recording_path', 'is not', null),
      eb('started_at', '<', cutoff),
      eb(eb.fn.coalesce('ended_at', 'started_at'), '<', cutoff),
    ]);
}

const COLUMNS = ['id', 'session_id', 'recording_path', 'started_at', 'ended_at'] as const;

function map(r: { id: number; session_id: string; recording_path: string | null; started_at: string; ended_at: string | null }): PurgeCandidate {
  return { id: r.id, sessionId: r.session_id, recordingPath: r.recording_path ?? '', startedAt: new Date(r.started_at), endedAt: fromDb(r.ended_at) };
}

/** Purged sessions read per step of the sweep of text left in the search index by older versions. */
const LEFTOVER_SESSIONS = 200;

export class SqlitePurgeRepo implements PurgeRepo {
  /** `text`: the search index's writer (search.db), where what sessions displayed is indexed. */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly text: SearchTextWriter,
  ) {}

  async candidates(cutoff: Date, limit: number, after?: PurgeCursor): Promise<PurgeCandidate[]> {
    let q = this.db.selectFrom('sessions').select(COLUMNS).where(candidate(toDb(cutoff)));
    if (after) q = q.where((eb) => eb(eb.refTuple('started_at', 'id'), '>', eb.tuple(toDb(after.startedAt), after.id)));
    const rows = await q.orderBy('started_at').orderBy('id').limit(limit).execute();
    return rows.map(map);
  }

  async unfinished(limit: number, afterId: number): Promise<PurgeCandidate[]> {
    const rows = await this.db
      .selectFrom('sessions')
      .select(COLUMNS)
      .where('purge_started_at', 'is not', null)
      .where('purged_at', 'is', null)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(map);
  }

  async claim(ids: number[], cutoff: Date, at: Date): Promise<number[]> {
    if (ids.length === 0) return [];
    // One UPDATE is one transaction: the candidate test (protection included) and the claim cannot be split by
    // another writer, so a Prevent Purge committed before it wins and one committed after it finds the claim.
    const rows = await this.db
      .updateTable('sessions')
      .set({ purge_started_at: toDb(at) })
      .where('id', 'in', ids)
      .where(candidate(toDb(cutoff)))
      .returning('id')
      .execute();
    return rows.map((r) => r.id).sort((a, b) => a - b);
  }

  async finish(items: PurgeFinish[], at: Date, actor: PurgeActor): Promise<number[]> {
    if (items.length === 0) return [];
    const when = toDb(at);
    return this.db.transaction().execute(async (trx) => {
      // Only claimed, unmarked sessions: a rerun or a concurrent run never writes a second event for one session.
      const marked = await trx
        .updateTable('sessions')
        .set({ purged_at: when })
        .where('id', 'in', items.map((i) => i.id))
        .where('purge_started_at', 'is not', null)
        .where('purged_at', 'is', null)
        .returning('id')
        .execute();
      const ids = new Set(marked.map((r) => r.id));
      const done = items.filter((i) => ids.has(i.id));
      if (done.length === 0) return [];
      await trx
        .insertInto('session_events')
        .values(done.map((i) => ({ session_id: i.id, user_id: actor.userId, username: actor.name, at: when, event: FILES_PURGED, note: i.note })))
        .execute();
      // The audit chain is extended here, inside this transaction, so that the mark and its audit entries commit together.
      const last = await trx.selectFrom('audit_log').select(['id', 'hash']).orderBy('id', 'desc').limit(1).executeTakeFirst();
      let id = last?.id ?? 0;
      let prevHash = last?.hash ?? AUDIT_GENESIS;
      const entries = done.map((i) => {
        id++;
        const e = { id, at: when, actor: actor.name, action: 'session.purge', target: i.target, details: i.details, prevHash };
        const hash = auditHash(e);
        prevHash = hash;
        return { id: e.id, at: e.at, actor: e.actor, action: e.action, target: e.target, details: e.details, prev_hash: e.prevHash, hash };
      });
      await trx.insertInto('audit_log').values(entries).execute();
      return done.map((i) => i.id);
    });
  }

  async forgetText(ids: number[], limit: number): Promise<number> {
    return this.text.forget(ids, limit);
  }

  async forgetLeftoverText(limit: number): Promise<boolean> {
    const cursor = this.text.leftoverCursor() ?? 0;
    if (cursor === LEFTOVERS_DONE) return false;
    const rows = await this.db.selectFrom('sessions').select('id').where('purged_at', 'is not', null).where('id', '>', cursor).orderBy('id').limit(LEFTOVER_SESSIONS).execute();
    if (rows.length === 0) {
      // Every session purged from now on has its text removed before it is marked (step 2).
      this.text.leftoversDone();
      return false;
    }
    this.text.forgetLeftovers(rows.map((r) => r.id), limit);
    return true;
  }

  async known(sessionIds: string[]): Promise<Map<string, KnownSession>> {
    const out = new Map<string, KnownSession>();
    for (let i = 0; i < sessionIds.length; i += IN_CHUNK) {
      const chunk = sessionIds.slice(i, i + IN_CHUNK);
      const rows = await this.db.selectFrom('sessions').select(['session_id', 'purged_at', 'purge_started_at']).where('session_id', 'in', chunk).execute();
      for (const r of rows) out.set(r.session_id, r.purged_at !== null ? 'purged' : r.purge_started_at !== null ? 'purging' : 'present');
    }
    return out;
  }
}
