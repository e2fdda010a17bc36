// The full-text index of typed and displayed lines (SQLite FTS5), in its own file beside the database: derived data,
// about twice the size of the text, written by the search worker thread without contending with the main database.

import BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { VigilError } from '../core/errors.js';
import type { IndexedLine, SearchHit, SearchIndex } from '../core/session-logs.js';
import type { Database } from './schema.js';
import { createWordTables, TOKENIZER, WordWriter, wordsPending } from './search-words.js';

/** Longest line kept in the index; longer output lines are cut. */
export const MAX_INDEXED_LINE = 1000;
/** At most this many candidate rows are read from the word index per search (bounds a query's cost). */
const MAX_SCANNED = 5_000;
/** Above this many audited sessions, the caller's sessions are filtered after the match instead of in the index query. */
const MAX_SESSION_TERMS = 500;
/** Indexed words a cut-short last word is looked for as, at most (see SqliteSearchIndex.completions). */
const MAX_COMPLETIONS = 16;
/** search_meta key: the sweep of sessions purged by versions that left their text in the index. */
const LEFTOVER_CURSOR = 'purged_leftovers_cursor';
/** Its value once the sweep is over. */
export const LEFTOVERS_DONE = -1;

/**
 * Opens (creating) the index file. The word index (unicode61) finds candidates; the search then keeps only lines that
 * contain the term as typed, so positions are not stored (detail=column: a smaller index). `sid` ("s<id>") is indexed
 * so that a caller who sees only the sessions they audit is answered from the index.
 */
export function openSearchDb(file: string): BetterSqlite3.Database {
  const db = new BetterSqlite3(file, { timeout: 5000 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // A purged line's text is overwritten in the file, not only unlinked (see forget). Not FTS5's 'secure-delete',
  // which also takes the words out of the index at once: 0.5 ms a line, 50× slower, on the purge's thread; the
  // words of deleted lines stay in older index segments (without their text) until FTS5 merges them.
  db.pragma('secure_delete = ON');
  db.exec(`
    CREATE VIRTUAL TABLE IF NOT EXISTS session_text USING fts5(text, sid, session_id UNINDEXED, offset_s UNINDEXED, kind UNINDEXED, tokenize = '${TOKENIZER}', detail = column);
    CREATE TABLE IF NOT EXISTS recording_progress (session_id INTEGER PRIMARY KEY, path TEXT NOT NULL, offset INTEGER NOT NULL, done INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE IF NOT EXISTS purged_sessions (session_id INTEGER PRIMARY KEY);
    CREATE TABLE IF NOT EXISTS search_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
  `);
  createWordTables(db);
  return db;
}

/**
 * The words of a search term (lowercase letters and digits, as the word index has them), and whether its last word
 * may be cut short (the term ends in a letter or digit). Null when the term has no word.
 */
export function searchWords(text: string): { words: string[]; open: boolean } | null {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu);
  return words ? { words, open: /[\p{L}\p{N}]$/u.test(text) } : null;
}

/**
 * A word-index query that cannot be read as FTS5 syntax: every word as a whole word; with `completions`, the last
 * word is any of them instead (the indexed words it starts, see SqliteSearchIndex.completions).
 */
export function wordQuery(words: readonly string[], completions?: readonly string[]): string {
  const quoted = (w: string) => `"${w.replace(/"/g, '""')}"`;
  const parts = completions ? [...words.slice(0, -1).map(quoted), `(${completions.map(quoted).join(' OR ')})`] : words.map(quoted);
  return `text : (${parts.join(' AND ')})`;
}

/** `sid : (s1 OR s2 ...)`: the word-index query for the lines of these sessions. */
function sessionsQuery(sessionIds: readonly number[]): string {
  return `sid : (${sessionIds.map((id) => `s${id}`).join(' OR ')})`;
}

/**
 * Synchronous writes (the worker thread; and small writes of commands in the main thread); and the purge's removal
 * of what sessions displayed (their recordings' text), which any process holding the data directory may run.
 *
 * A purged session is remembered (purged_sessions), in the same transaction that removes its first lines: from then
 * on no output line of it is written, so a worker still reading its recording (or resuming it after a restart) can
 * never put back what the purge removed. Its commands stay: they are the session's logs, which a purge keeps (SPEC §6).
 */
export class SearchTextWriter {
  private readonly insertRow: BetterSqlite3.Statement;
  private readonly setProgress: BetterSqlite3.Statement;
  private readonly isPurged: BetterSqlite3.Statement;
  private readonly words: WordWriter;
  private readonly insertMany: (lines: readonly IndexedLine[]) => void;
  private readonly withProgress: (sessionId: number, path: string, offset: number, done: boolean, lines: readonly IndexedLine[]) => boolean;
  private readonly forgetTx: (sessionIds: readonly number[], limit: number) => number;
  private readonly leftoversTx: (sessionIds: readonly number[], limit: number) => number;

  constructor(private readonly db: BetterSqlite3.Database) {
    this.insertRow = db.prepare('INSERT INTO session_text (text, sid, session_id, offset_s, kind) VALUES (?, ?, ?, ?, ?)');
    this.setProgress = db.prepare('INSERT INTO recording_progress (session_id, path, offset, done) VALUES (?, ?, ?, ?) ON CONFLICT(session_id) DO UPDATE SET offset = excluded.offset, done = excluded.done');
    this.isPurged = db.prepare('SELECT 1 FROM purged_sessions WHERE session_id = ?').pluck();
    this.words = new WordWriter(db);
    const tombstone = db.prepare('INSERT OR IGNORE INTO purged_sessions (session_id) SELECT value FROM json_each(?)');
    const stopReading = db.prepare('UPDATE recording_progress SET done = 1 WHERE session_id IN (SELECT value FROM json_each(?))');
    // The rowids first (the word index finds a session's lines), then the deletes: FTS5 is not changed under a cursor.
    const outputRows = db.prepare(`SELECT rowid FROM session_text WHERE session_text MATCH ? AND kind = 'o' LIMIT ?`).pluck();
    const deleteRow = db.prepare('DELETE FROM session_text WHERE rowid = ?');
    const setMeta = db.prepare('INSERT INTO search_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
    const rows = (lines: readonly IndexedLine[]) => {
      const purged = new Map<number, boolean>();
      const texts: string[] = [];
      for (const l of lines) {
        if (l.kind === 'output') {
          let p = purged.get(l.sessionId);
          if (p === undefined) purged.set(l.sessionId, (p = this.isPurged.get(l.sessionId) !== undefined));
          if (p) continue;
        }
        const text = l.text.slice(0, MAX_INDEXED_LINE);
        this.insertRow.run(text, `s${l.sessionId}`, l.sessionId, l.offset, l.kind === 'command' ? 'c' : 'o');
        texts.push(text);
      }
      this.words.add(texts);
    };
    const forget = (sessionIds: readonly number[], limit: number): number => {
      const ids = JSON.stringify(sessionIds);
      tombstone.run(ids);
      stopReading.run(ids);
      const found = outputRows.all(sessionsQuery(sessionIds), limit) as number[];
      for (const rowid of found) deleteRow.run(rowid);
      return found.length;
    };
    this.insertMany = db.transaction(rows);
    this.withProgress = db.transaction((sessionId: number, path: string, offset: number, done: boolean, lines: readonly IndexedLine[]) => {
      if (this.isPurged.get(sessionId) !== undefined) {
        this.setProgress.run(sessionId, path, offset, 1);
        return false;
      }
      rows(lines);
      this.setProgress.run(sessionId, path, offset, done ? 1 : 0);
      return true;
    });
    this.forgetTx = db.transaction(forget);
    this.leftoversTx = db.transaction((sessionIds: readonly number[], limit: number) => {
      const removed = forget(sessionIds, limit);
      // All of these are clean once fewer lines than asked for were left: the next step starts after them.
      if (removed < limit) setMeta.run(LEFTOVER_CURSOR, sessionIds[sessionIds.length - 1]!);
      return removed;
    });
  }

  insert(lines: readonly IndexedLine[]): void {
    if (lines.length) this.written(() => this.insertMany(lines));
  }

  /**
   * Lines read from a recording and how far it was read, committed together (a restart resumes there). Returns false,
   * writing no line and marking the recording read, when the session was purged meanwhile: stop reading it.
   */
  fromRecording(sessionId: number, path: string, offset: number, done: boolean, lines: readonly IndexedLine[]): boolean {
    return this.written(() => this.withProgress(sessionId, path, offset, done, lines));
  }

  /** A transaction that indexes lines; when it fails (rolled back), the words it wrote are no longer remembered as written. */
  private written<T>(tx: () => T): T {
    try {
      return tx();
    } catch (err) {
      this.words.rolledBack();
      throw err;
    }
  }

  /**
   * Removes at most `limit` output lines of these sessions, and keeps any more from being written; returns how many
   * were removed (fewer than `limit`: none is left). One transaction; run it again until it returns less than `limit`.
   */
  forget(sessionIds: readonly number[], limit: number): number {
    return sessionIds.length ? this.forgetTx(sessionIds, limit) : 0;
  }

  /** Where the sweep of sessions purged before purges cleaned the index stands: the last session id done, or null when it never ran. */
  leftoverCursor(): number | null {
    const v = this.db.prepare('SELECT value FROM search_meta WHERE key = ?').pluck().get(LEFTOVER_CURSOR) as number | undefined;
    return v ?? null;
  }

  /** {@link forget} for a step of that sweep: when they are all clean, the cursor moves past `sessionIds` (ascending) in the same transaction. */
  forgetLeftovers(sessionIds: readonly number[], limit: number): number {
    return this.leftoversTx(sessionIds, limit);
  }

  /** Marks the sweep finished: every session purged so far has no output line left. */
  leftoversDone(): void {
    this.db.prepare('INSERT INTO search_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(LEFTOVER_CURSOR, LEFTOVERS_DONE);
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
  private readonly query: BetterSqlite3.Statement;
  private readonly queryIn: BetterSqlite3.Statement;
  private readonly vocab: BetterSqlite3.Statement;
  private readonly words: BetterSqlite3.Statement;
  /** indexed_words holds every indexed word (its backfill is over; it never starts again once over). */
  private wordsReady = false;

  /** Writes, for the purge (SqlitePurgeRepo) and the commands. */
  readonly writer: SearchTextWriter;

  constructor(private readonly db: BetterSqlite3.Database, private readonly main: Kysely<Database>) {
    this.writer = new SearchTextWriter(db);
    const cols = 'SELECT rowid, text, session_id, offset_s, kind FROM session_text';
    this.query = db.prepare(`${cols} WHERE session_text MATCH ? ORDER BY rowid DESC`);
    this.queryIn = db.prepare(`${cols} WHERE session_text MATCH ? AND session_id IN (SELECT value FROM json_each(?)) ORDER BY rowid DESC`);
    this.vocab = db.prepare(`SELECT term FROM session_text_vocab_col WHERE term >= ? AND term < ? AND col = 'text' LIMIT ?`).pluck();
    this.words = db.prepare('SELECT term FROM indexed_words_vocab WHERE term >= ? AND term < ? LIMIT ?').pluck();
  }

  async addLines(lines: readonly IndexedLine[]): Promise<void> {
    this.writer.insert(lines);
  }

  async search(q: { text: string; auditorUserId?: number; sessionId?: number; limit: number; perSession?: number }): Promise<SearchHit[]> {
    const terms = searchWords(q.text);
    if (!terms) throw VigilError.badRequest('the search term needs at least one letter or digit', { field: 'q' });
    const queries = this.wordQueries(terms);
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

  /**
   * The word-index queries of a search, in order; each is built only when the previous ones did not answer: whole
   * words first (a whole word usually suffices, and its list is read lazily, newest first). Then the last word cut
   * short: as the words it starts; when it starts too many and other words go with it, as those others alone (the
   * substring test decides); else as the first MAX_COMPLETIONS words it starts. Listing those words is a range scan of
   * indexed_words (see completions); it is still skipped when the whole words were enough.
   */
  private *wordQueries(terms: { words: string[]; open: boolean }): Generator<string> {
    yield wordQuery(terms.words);
    if (!terms.open) return;
    const more = this.completions(terms.words[terms.words.length - 1]!);
    if (more.length > MAX_COMPLETIONS && terms.words.length > 1) yield wordQuery(terms.words.slice(0, -1));
    else if (more.length) yield wordQuery(terms.words, more.slice(0, MAX_COMPLETIONS));
  }

  /**
   * The indexed words that `word` starts (itself excepted), in order, at most MAX_COMPLETIONS + 1 (more than
   * MAX_COMPLETIONS: there are more). Not FTS5's own prefix query ("word"*), which merges the lists of every word the
   * prefix starts into one before returning a row: 4 s for a two-letter prefix over 1 GB of text. They are read from
   * indexed_words (a word's entries there are few, however many lines have it), or, until its backfill is over, from
   * session_text's fts5vocab, which reads the whole list of each word it returns (58 ms for a word in 2.8 M lines). Words of the text column only: the
   * query looks for them there (fts5vocab's 'row' table also had the `sid` tokens s1, s10, ..., which took the places
   * of text words after a prefix such as "s1"). An OR of them is then read lazily, newest first.
   */
  private completions(word: string): string[] {
    // As the index holds words: without diacritics (remove_diacritics 2).
    const w = word.normalize('NFD').replace(/\p{M}/gu, '');
    if (!this.wordsReady) this.wordsReady = !wordsPending(this.db);
    // From w + "0", the least letter or digit (a word is made of nothing else): `w` itself is the whole-word query's.
    // (With fts5vocab, starting at `w` would also count its list: 170 ms for a word in a quarter of the lines of 1 GB.)
    return (this.wordsReady ? this.words : this.vocab).all(`${w}0`, `${w}\u{10FFFF}`, MAX_COMPLETIONS + 1) as string[];
  }

  close(): void {
    this.db.close();
  }
}
