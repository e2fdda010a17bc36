// The Remote Sessions list query (filters, sort, page, total) over the sessions table, in SQLite; its "contains"
// filters are answered from the term dictionary (migration 004) instead of testing every session's text.
//
// A contains filter (Session ID, User, Origin IP, Credential, Device) means what `column LIKE '%term%'` means in
// SQLite: the term as typed (no wildcards), ASCII letters in any case. It is resolved in two steps:
//   1. the distinct values of the column that contain the term, from session_terms: through the trigram index when
//      the term has 3 or more characters, else by testing the column's values (there are far fewer values than
//      sessions for every column but Session ID); the trigram match is only a candidate test (it also folds the case
//      of non-ASCII letters), LIKE decides;
//   2. the sessions with one of those values, through the column's index.
// When more than MAX_VALUES values match (a short or very common term over Session ID or Origin IP), listing them
// would cost more than reading the column: the filter becomes the plain LIKE over the column's index instead.
// Either way the work is bounded by the number of matching sessions or by one pass over an index, never by a scan
// of the table per filter.

import { sql, type Kysely, type Selectable, type SelectQueryBuilder } from 'kysely';
import type { SessionQuery, SessionSortField } from '../core/ports.js';
import type { Database, SessionsTable } from './schema.js';
import { toDb } from './database.js';

/** Matching dictionary values above which a filter tests the column with LIKE instead of listing the values. */
export const MAX_VALUES = 1000;
/** Matching sessions up to which a page is read by sorting them all (see listSessions). */
const SORT_AT_MOST = 5000;

type TermField = 'session_id' | 'username' | 'origin_ip' | 'credential' | 'device';
type Base = SelectQueryBuilder<Database, 'sessions', object>;

const CONTAINS: ReadonlyArray<[keyof SessionQuery, TermField]> = [
  ['sessionId', 'session_id'],
  ['user', 'username'],
  ['originIp', 'origin_ip'],
  ['credential', 'credential'],
  ['device', 'device'],
];

const SORT_COLUMNS: Record<SessionSortField, keyof SessionsTable> = {
  id: 'id',
  sessionId: 'session_id',
  user: 'username',
  originIp: 'origin_ip',
  credential: 'credential',
  device: 'device',
  protocol: 'protocol',
  startedAt: 'started_at',
  endedAt: 'ended_at',
  status: 'status',
};

/** The LIKE pattern of "contains `value`": its wildcards and the escape character escaped (ESCAPE '\'). */
export function containsPattern(value: string): string {
  return `%${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** An FTS5 query for the phrase `term` in column `field` (the trigram tokenizer splits the phrase). */
function trigramQuery(field: TermField, term: string): string {
  return `${field} : "${term.replace(/"/g, '""')}"`;
}

/** How a contains filter selects sessions: by listing the matching values, or by testing the column. */
type Resolved = { field: TermField; values: string[] } | { field: TermField; pattern: string };

/** Step 1: the values of `field` that contain `term`, or the LIKE pattern when more than MAX_VALUES do. */
async function resolve(db: Kysely<Database>, field: TermField, term: string): Promise<Resolved> {
  const pattern = containsPattern(term);
  // The trigram index answers only terms of 3 characters (code points) or more.
  const rows = [...term].length >= 3
    ? await sql<{ value: string }>`
        SELECT t.value FROM session_terms_text x CROSS JOIN session_terms t ON t.id = x.rowid
        WHERE session_terms_text MATCH ${trigramQuery(field, term)} AND t.field = ${field} AND t.value LIKE ${pattern} ESCAPE '\\'
        LIMIT ${MAX_VALUES + 1}`.execute(db)
    : await sql<{ value: string }>`
        SELECT value FROM session_terms WHERE field = ${field} AND value LIKE ${pattern} ESCAPE '\\' LIMIT ${MAX_VALUES + 1}`.execute(db);
  const values = rows.rows.map((r) => r.value);
  return values.length > MAX_VALUES ? { field, pattern } : { field, values };
}

/**
 * Runs the list query: one page of sessions, and how many match in all.
 *
 * SQLite's planner cannot weigh how soon a LIMIT ends a walk in sort order: left to itself it reads through a
 * filter's index and sorts everything the filter matches even when nearly every session matches (300 ms for
 * "Prevent purge: No" at 100,000 sessions), or walks a whole index for a filter that matches a few. So:
 *  - when a filter has an index (a listed contains filter, Status, Protocol, Prevent purge, the start range, ID,
 *    auditor), the ids of the matches are read first, at most SORT_AT_MOST of them: if that is all of them, they
 *    are the total, and the page is a sort of those rows alone (the filters are not evaluated twice);
 *  - otherwise the count is left to the planner (it counts through the most selective index), and the page is read
 *    walking the sort column's index and testing the filters (expected rows read: (offset + page size) × sessions /
 *    total), unless sorting the matches costs less (a filter with an index, and a deep page); sorted by the column
 *    a filter pins, always walking (the walk reads only the matches).
 * Unary `+` keeps SQLite from using the index of a column the chosen way does not want.
 */
export async function listSessions(db: Kysely<Database>, q: SessionQuery, tuning: { sortAtMost?: number } = {}): Promise<{ rows: Array<Selectable<SessionsTable>>; total: number }> {
  const resolved: Resolved[] = [];
  for (const [key, field] of CONTAINS) {
    const term = q[key];
    if (typeof term === 'string' && term !== '') resolved.push(await resolve(db, field, term));
  }
  // A term no value contains: nothing to count or read.
  if (resolved.some((r) => 'values' in r && r.values.length === 0)) return { rows: [], total: 0 };

  const col = SORT_COLUMNS[q.sort ?? 'id'];
  const order = q.order ?? 'desc';
  const pageSize = q.pageSize ?? 30;
  const offset = ((q.page ?? 1) - 1) * pageSize;
  const sortAtMost = tuning.sortAtMost ?? SORT_AT_MOST;
  const indexed =
    resolved.some((r) => 'values' in r) || q.id !== undefined || !!q.protocol || !!q.status || !!q.startFrom || !!q.startTo || q.preventPurge !== undefined || q.auditorUserId !== undefined;
  // Sorted by a column a filter pins (Status sorted by status, the start range by start): the walk of its index reads
  // the matches in order, and nothing else.
  const pinned =
    (col === 'status' && !!q.status) || (col === 'protocol' && !!q.protocol) || (col === 'started_at' && !!(q.startFrom || q.startTo)) || (col === 'id' && q.id !== undefined);
  if (indexed && !pinned && sortAtMost > 0) {
    const ids = await filtered(db, q, resolved, null).select('id').limit(sortAtMost + 1).execute();
    if (ids.length <= sortAtMost) {
      if (offset >= ids.length) return { rows: [], total: ids.length };
      const rows = await db
        .selectFrom('sessions')
        .selectAll()
        .where('id', 'in', sql<number>`(SELECT value FROM json_each(${JSON.stringify(ids.map((r) => r.id))}))`)
        .orderBy(sql`+${sql.ref(col)}`, order)
        .orderBy('id', order)
        .limit(pageSize)
        .offset(offset)
        .execute();
      return { rows, total: ids.length };
    }
  }
  const total = Number((await filtered(db, q, resolved, null).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  if (total === 0 || offset >= total) return { rows: [], total };
  const size = Number((await db.selectFrom('sessions').select((eb) => eb.fn.max('id').as('n')).executeTakeFirstOrThrow()).n ?? 0);
  // Without an index for the filters, sorting their matches means reading every session anyway; a walk reads fewer.
  const walk = !indexed || pinned || total * total >= (offset + pageSize) * size;
  const rows = await filtered(db, q, resolved, walk ? col : undefined)
    .selectAll()
    .orderBy(walk ? sql.ref(col) : sql`+${sql.ref(col)}`, order)
    .orderBy('id', order)
    .limit(pageSize)
    .offset(offset)
    .execute();
  return { rows, total };
}

/**
 * The sessions matching the filters. `walkBy`: the page is read in the order of that column's index, so the other
 * filters must not pick an index (unary +); undefined: they may (the order is then a sort); null: the count.
 */
function filtered(db: Kysely<Database>, q: SessionQuery, resolved: readonly Resolved[], walkBy: keyof SessionsTable | null | undefined): Base {
  const ref = (c: keyof SessionsTable) => (walkBy && c !== walkBy ? sql<unknown>`+${sql.ref(c)}` : sql<unknown>`${sql.ref(c)}`);
  let base: Base = db.selectFrom('sessions');
  for (const r of resolved) {
    base = 'values' in r ? base.where(ref(r.field), 'in', r.values) : base.where(ref(r.field), 'like', sql<string>`${r.pattern} ESCAPE '\\'`);
  }
  if (q.id !== undefined) base = base.where(ref('id'), '=', q.id);
  if (q.protocol) base = base.where(ref('protocol'), '=', q.protocol);
  if (q.status) base = base.where(ref('status'), '=', q.status);
  if (q.startFrom) base = base.where(ref('started_at'), '>=', toDb(q.startFrom));
  if (q.startTo) base = base.where(ref('started_at'), '<=', toDb(q.startTo));
  if (q.preventPurge !== undefined) base = base.where(ref('prevent_purge'), '=', q.preventPurge ? 1 : 0);
  if (q.auditorUserId !== undefined) {
    const uid = q.auditorUserId;
    base = base.where(ref('id'), 'in', db.selectFrom('session_auditors').select('session_id').where('user_id', '=', uid));
  }
  return base;
}
