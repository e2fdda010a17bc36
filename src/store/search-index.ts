// The full-text index of typed and displayed lines (SQLite FTS5), in its own file beside the database: derived data,
// about twice the size of the text, written by the search worker thread without contending with the main database.

import BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { VigilError } from '../core/errors.js';
import type { IndexedLine, SearchHit, SearchIndex } from '../core/session-logs.js';
import type { Database } from './schema.js';

/** Longest line kept in the index; longer output lines are cut. */
export const MAX_INDEXED_LINE = 1000;
/** At most this many candidate rows are read from the word index per search (bounds a query's cost). */
const MAX_SCANNED = 5_000;
/** Above this many audited sessions, the caller's sessions are filtered after the match instead of in the index query. */
const MAX_SESSION_TERMS = 500;

/**
 * Opens (creating) the index file. The word index (unicode61) finds candidates; the search then keeps only lines that
 * contain the term as typed, so positions are not stored (detail=column: a smaller index). `sid` ("s<id>") is indexed
 * so that a caller who sees only the sessions they audit is answered from the index.
 */
export function openSearchDb(file: string): BetterSqlite3.Database {
  const db = new BetterSqlite3(file, { timeout: 5000 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`
    CREATE VIRTUAL TABLE IF NOT EXISTS session_text USING fts5(text, sid, session_id UNINDEXED, offset_s UNINDEXED, kind UNINDEXED, tokenize = 'unicode61 remove_diacritics 2', detail = column);
    CREATE TABLE IF NOT EXISTS recording_progress (session_id INTEGER PRIMARY KEY, path TEXT NOT NULL, offset INTEGER NOT NULL, done INTEGER NOT NULL DEFAULT 0);
  `);
  return db;
}

/**
 * The word-index queries for a search term: its words as whole words, then (when it ends in a letter or digit, so
 * that its last word may be cut short) with the last one as a prefix. Whole words first: a prefix query merges the
 * lists of every word it starts, which is slow for short common ones ("get*"), and a whole word usually suffices.
 * Empty when the term has no word.
 */
export function ftsQueries(text: string): string[] {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu);
  if (!words) return [];
  const q = (prefix: boolean) => `text : (${words.map((w, i) => `"${w}"${prefix && i === words.length - 1 ? '*' : ''}`).join(' AND ')})`;
  return /[\p{L}\p{N}]$/u.test(text) ? [q(false), q(true)] : [q(false)];
}

/** Synchronous writes (the worker thread; and small writes of commands in the main thread). */
export class SearchTextWriter {
  private readonly insertRow: BetterSqlite3.Statement;
  private readonly setProgress: BetterSqlite3.Statement;
  private readonly insertMany: (lines: readonly IndexedLine[]) => void;
  private readonly withProgress: (sessionId: number, path: string, offset: number, done: boolean, lines: readonly IndexedLine[]) => void;

  constructor(private readonly db: BetterSqlite3.Database) {
    this.insertRow = db.prepare('INSERT INTO session_text (text, sid, session_id, offset_s, kind) VALUES (?, ?, ?, ?, ?)');
    this.setProgress = db.prepare('INSERT INTO recording_progress (session_id, path, offset, done) VALUES (?, ?, ?, ?) ON CONFLICT(session_id) DO UPDATE SET offset = excluded.offset, done = excluded.done');
    const rows = (lines: readonly IndexedLine[]) => {
      for (const l of lines) this.insertRow.run(l.text.slice(0, MAX_INDEXED_LINE), `s${l.sessionId}`, l.sessionId, l.offset, l.kind === 'command' ? 'c' : 'o');
    };
    this.insertMany = db.transaction(rows);
    this.withProgress = db.transaction((sessionId: number, path: string, offset: number, done: boolean, lines: readonly IndexedLine[]) => {
      rows(lines);
      this.setProgress.run(sessionId, path, offset, done ? 1 : 0);
    });
  }

  insert(lines: readonly IndexedLine[]): void {
    if (lines.length) this.insertMany(lines);
  }

  /** Lines read from a recording and how far it was read, committed together (a restart resumes there). */
  fromRecording(sessionId: number, path: string, offset: number, done: boolean, lines: readonly IndexedLine[]): void {
    this.withProgress(sessionId, path, offset, done, lines);
  }

  /** Where reading of a recording stopped, if it was started. */
  progress(sessionId: number): { offset: number; done: boolean } | null {
    const r = this.db.prepare('SELECT offset, done FROM recording_progress WHERE session_id = ?').get(sessionId) as { offset: number; done: number } | undefined;
    return r ? { offset: r.offset, done: r.done === 1 } : null;
  }

  /** Recordings whose reading was not finished (Vigil stopped meanwhile). */
  unfinished(): Array<{ sessionId: number; path: string; offset: number }> {
    const rows = this.db.prepare('SELECT session_id, path, offset FROM recording_progress WHERE done = 0').all() as Array<{ session_id: number; path: string; offset: number }>;
    return rows.map((r) => ({ sessionId: r.session_id, path: r.path, offset: r.offset }));
  }
}

type FtsRow = { rowid: number; text: string; session_id: number; offset_s: number; kind: string };

/** Queries of the index (and small writes: commands), with session facts from the main database. */
export class SqliteSearchIndex implements SearchIndex {
  private readonly writer: SearchTextWriter;
  private readonly query: BetterSqlite3.Statement;
  private readonly queryIn: BetterSqlite3.Statement;

  constructor(private readonly db: BetterSqlite3.Database, private readonly main: Kysely<Database>) {
    this.writer = new SearchTextWriter(db);
    const cols = 'SELECT rowid, text, session_id, offset_s, kind FROM session_text';
    this.query = db.prepare(`${cols} WHERE session_text MATCH ? ORDER BY rowid DESC`);
    this.queryIn = db.prepare(`${cols} WHERE session_text MATCH ? AND session_id IN (SELECT value FROM json_each(?)) ORDER BY rowid DESC`);
  }

  async addLines(lines: readonly IndexedLine[]): Promise<void> {
    this.writer.insert(lines);
  }

  async search(q: { text: string; auditorUserId?: number; sessionId?: number; limit: number; perSession?: number }): Promise<SearchHit[]> {
    const queries = ftsQueries(q.text);
    if (queries.length === 0) throw VigilError.badRequest('the search term needs at least one letter or digit', { field: 'q' });
    let scope = '';
    let only: string | null = null;
    if (q.sessionId !== undefined) scope = ` AND sid : s${q.sessionId}`;
    else if (q.auditorUserId !== undefined) {
      const mine = await this.main.selectFrom('session_auditors').select('session_id').where('user_id', '=', q.auditorUserId).execute();
      if (mine.length === 0) return [];
      if (mine.length <= MAX_SESSION_TERMS) scope = ` AND sid : (${mine.map((m) => `s${m.session_id}`).join(' OR ')})`;
      else only = JSON.stringify(mine.map((m) => m.session_id));
    }
    const needle = q.text.toLowerCase();
    const found: FtsRow[] = [];
    const seen = new Set<number>();
    const perSession = new Map<number, number>();
    // Bounded work: at most MAX_SCANNED candidate rows in all, so a very common term answers fast, with fewer sessions.
    let scanned = 0;
    for (const words of queries) {
      const match = `(${words})${scope}`;
      // Newest first by rowid, streamed: the word index narrows, the substring test decides, and reading stops as
      // soon as there are enough (one cursor: a prefix's word lists are merged once, not once a page).
      const rows = (only === null ? this.query.iterate(match) : this.queryIn.iterate(match, only)) as IterableIterator<FtsRow>;
      for (const r of rows) {
        if (found.length >= q.limit || ++scanned > MAX_SCANNED) break;
        if (seen.has(r.rowid) || !r.text.toLowerCase().includes(needle)) continue;
        const n = (perSession.get(r.session_id) ?? 0) + 1;
        if (q.perSession !== undefined && n > q.perSession) continue;
        perSession.set(r.session_id, n);
        seen.add(r.rowid);
        found.push(r);
      }
      if (found.length >= q.limit || scanned > MAX_SCANNED) break;
    }
    const ids = [...new Set(found.map((r) => r.session_id))];
    const starts = new Map<number, number>();
    if (ids.length) {
      const rows = await this.main.selectFrom('sessions').select(['id', 'started_at']).where('id', 'in', ids).execute();
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

  close(): void {
    this.db.close();
  }
}
