// Reconstructed commands and the full-text index of typed and displayed lines (FTS5), in SQLite.

import { sql, type Kysely } from 'kysely';
import type { Criticality, RuleAction } from '../core/command-rules.js';
import { VigilError } from '../core/errors.js';
import type { CommandEntry, CommandOutcome, CommandRepo, CommandSource, IndexedLine, NewCommand, SearchHit, SearchIndex } from '../core/session-logs.js';
import type { Database } from './schema.js';
import { toDb } from './database.js';

/** Candidate rows read from the word index per round, and at most this many in all per query (bounds a query's cost). */
const PAGE = 500;
const MAX_SCANNED = 20_000;
/** Longest line kept in the index; longer output lines are cut. */
export const MAX_INDEXED_LINE = 1000;

/** The word-index query for a search term: all its words, the last one as a prefix. Null when it has no word. */
export function ftsQuery(text: string): string | null {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu);
  if (!words) return null;
  const last = /[\p{L}\p{N}]$/u.test(text);
  return `text : (${words.map((w, i) => `"${w}"${last && i === words.length - 1 ? '*' : ''}`).join(' AND ')})`;
}

/** Above this many audited sessions, the caller's sessions are filtered after the match instead of in the index query. */
const MAX_SESSION_TERMS = 500;
/** Rows per INSERT statement (5 values a row; well under SQLite's variable limit). */
const ROWS_PER_INSERT = 500;

type FtsRow = { rowid: number; text: string; session_id: number; offset_s: number; kind: string };

export class SqliteCommandRepo implements CommandRepo, SearchIndex {
  constructor(private readonly db: Kysely<Database>) {}

  async add(c: NewCommand): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const r = await trx
        .insertInto('session_commands')
        .values({
          session_id: c.sessionId,
          at: toDb(c.at),
          offset_s: c.offset,
          command: c.command,
          source: c.source,
          outcome: c.outcome,
          rule_name: c.ruleName,
          criticality: c.criticality,
          action: c.action,
          output: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await insertText(trx, [{ sessionId: c.sessionId, offset: c.offset, kind: 'command', text: c.command }]);
      return r.id;
    });
  }

  async setOutput(id: number, output: string): Promise<void> {
    await this.db.updateTable('session_commands').set({ output }).where('id', '=', id).execute();
  }

  async forSession(sessionId: number): Promise<CommandEntry[]> {
    const rows = await this.db.selectFrom('session_commands').selectAll().where('session_id', '=', sessionId).orderBy('id').execute();
    return rows.map((r) => ({
      id: r.id,
      sessionId: r.session_id,
      at: new Date(r.at),
      offset: r.offset_s,
      command: r.command,
      source: r.source as CommandSource,
      outcome: r.outcome as CommandOutcome,
      ruleName: r.rule_name,
      criticality: r.criticality as Criticality | null,
      action: r.action as RuleAction | null,
      output: r.output,
    }));
  }

  /** One transaction per batch: the indexer calls this with bounded batches, off the relay path. */
  async addLines(lines: readonly IndexedLine[]): Promise<void> {
    if (lines.length === 0) return;
    await this.db.transaction().execute((trx) => insertText(trx, lines));
  }

  async search(q: { text: string; auditorUserId?: number; sessionId?: number; limit: number }): Promise<SearchHit[]> {
    const match = ftsQuery(q.text);
    if (!match) throw VigilError.badRequest('the search term needs at least one letter or digit', { field: 'q' });
    const needle = q.text.toLowerCase();
    let scope = sql``;
    if (q.sessionId !== undefined) scope = sql`AND session_text MATCH ${`sid : s${q.sessionId}`}`;
    else if (q.auditorUserId !== undefined) {
      const mine = await this.db.selectFrom('session_auditors').select('session_id').where('user_id', '=', q.auditorUserId).execute();
      if (mine.length === 0) return [];
      scope =
        mine.length <= MAX_SESSION_TERMS
          ? sql`AND session_text MATCH ${`sid : (${mine.map((m) => `s${m.session_id}`).join(' OR ')})`}`
          : sql`AND session_id IN (SELECT session_id FROM session_auditors WHERE user_id = ${q.auditorUserId})`;
    }
    const found: FtsRow[] = [];
    let before = Number.MAX_SAFE_INTEGER;
    // Newest first by rowid; the word index narrows, the substring test decides.
    for (let scanned = 0; found.length < q.limit && scanned < MAX_SCANNED; scanned += PAGE) {
      const rows = await sql<FtsRow>`
        SELECT rowid, text, session_id, offset_s, kind FROM session_text
        WHERE session_text MATCH ${match} ${scope} AND rowid < ${before}
        ORDER BY rowid DESC LIMIT ${PAGE}`.execute(this.db);
      for (const r of rows.rows) if (r.text.toLowerCase().includes(needle) && found.length < q.limit) found.push(r);
      if (rows.rows.length < PAGE) break;
      before = rows.rows[rows.rows.length - 1].rowid;
    }
    const ids = [...new Set(found.map((r) => r.session_id))];
    const starts = new Map<number, number>();
    if (ids.length) {
      const rows = await this.db.selectFrom('sessions').select(['id', 'started_at']).where('id', 'in', ids).execute();
      for (const r of rows) starts.set(r.id, Date.parse(r.started_at));
    }
    return found.map((r) => ({
      sessionId: r.session_id,
      offset: r.offset_s,
      kind: r.kind === 'c' ? 'command' : 'output',
      text: r.text,
      at: new Date((starts.get(r.session_id) ?? 0) + Math.round(r.offset_s * 1000)),
    }));
  }
}

/** Multi-row inserts: one statement per few hundred lines keeps the per-line cost down to FTS5's own. */
async function insertText(db: Kysely<Database>, lines: readonly IndexedLine[]): Promise<void> {
  for (let i = 0; i < lines.length; i += ROWS_PER_INSERT) {
    const rows = lines.slice(i, i + ROWS_PER_INSERT).map((l) => sql`(${l.text.slice(0, MAX_INDEXED_LINE)}, ${`s${l.sessionId}`}, ${l.sessionId}, ${l.offset}, ${l.kind === 'command' ? 'c' : 'o'})`);
    await sql`INSERT INTO session_text (text, sid, session_id, offset_s, kind) VALUES ${sql.join(rows)}`.execute(db);
  }
}
