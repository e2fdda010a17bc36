// The distinct words of the search index's text column (indexed_words), kept beside the FTS5 index so that listing
// the words a cut-short word starts reads a few short entries, whatever the size of the index and however often those
// words occur (session_text's fts5vocab reads every entry of each word it lists: 58 ms for a word in 2.8 M lines).

import type BetterSqlite3 from 'better-sqlite3';

/** The FTS5 tokenizer of session_text; indexed_words holds exactly the tokens it makes of the text column. */
export const TOKENIZER = 'unicode61 remove_diacritics 2';
/** Words a writer remembers as written, per generation (two generations: a word seen in either stays remembered). */
const KNOWN_WORDS = 100_000;

/**
 * Creates indexed_words (and, when the file already holds text, the backfill that fills it from the word index: see
 * WordBackfill). One immediate transaction, so of two connections opening the file only one finds it missing.
 *
 * indexed_words is itself a contentless FTS5 table (detail=none) whose documents are lists of words, each word
 * written when its writer does not remember writing it, so a word's list holds a few entries however many lines have
 * it. Not a plain table (word TEXT PRIMARY KEY): the new words of a batch of lines fall all over such a B-tree, each
 * rewriting a page, and over 5 GB of text (31 M words) that cost 216 ms of CPU per MB of text, more than indexing the
 * text itself (~150 ms); FTS5 writes new words as a small sorted segment and merges segments later.
 *
 * Words are added, never removed: a purge takes sessions' lines out of the index but leaves their words here, as
 * other sessions may use them too and knowing would cost a look-up in the index per word. A completion that no line
 * has any more is harmless: it is one more word of the OR query, and it matches nothing.
 */
export function createWordTables(db: BetterSqlite3.Database): void {
  db.transaction(() => {
    const exists = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'indexed_words'`).get() !== undefined;
    db.exec(`
      CREATE VIRTUAL TABLE IF NOT EXISTS indexed_words USING fts5(words, content = '', tokenize = 'ascii', detail = none);
      CREATE VIRTUAL TABLE IF NOT EXISTS indexed_words_vocab USING fts5vocab(indexed_words, 'row');
      CREATE TABLE IF NOT EXISTS indexed_words_backfill (id INTEGER PRIMARY KEY CHECK (id = 0), after TEXT NOT NULL);
      CREATE VIRTUAL TABLE IF NOT EXISTS session_text_vocab_col USING fts5vocab(session_text, 'col');
    `);
    if (!exists && db.prepare('SELECT 1 FROM session_text LIMIT 1').get() !== undefined) {
      db.prepare(`INSERT OR IGNORE INTO indexed_words_backfill (id, after) VALUES (0, '')`).run();
    }
  }).immediate();
}

/** Whether indexed_words lacks words of lines indexed before it existed (its backfill is not over). */
export function wordsPending(db: BetterSqlite3.Database): boolean {
  return db.prepare('SELECT 1 FROM indexed_words_backfill').get() !== undefined;
}

/**
 * Words as one document of indexed_words: separated by spaces, which its 'ascii' tokenizer splits on and which no
 * word has (a word of unicode61 is letters, digits and other non-ASCII characters, ASCII ones lowercase: the 'ascii'
 * tokenizer keeps each whole and as it is).
 */
function wordsDocument(words: readonly string[]): string {
  return words.join(' ');
}

/**
 * Adds the words of indexed lines to indexed_words, inside the caller's transaction. FTS5 itself splits them, so that
 * they are exactly the index's (Unicode categories, case folding and diacritics as SQLite's unicode61 has them): the
 * lines of a batch go, joined by newlines (a separator, which no token spans), as one document into a contentless
 * FTS5 table with the same tokenizer in the connection's temp schema, which is read and emptied. The words not
 * remembered as written (most words of a batch are common ones) go into indexed_words as one document.
 */
export class WordWriter {
  private readonly split: BetterSqlite3.Statement;
  private readonly splitWords: BetterSqlite3.Statement;
  private readonly clear: BetterSqlite3.Statement;
  private readonly write: BetterSqlite3.Statement;
  private known = new Set<string>();
  private older = new Set<string>();

  constructor(db: BetterSqlite3.Database) {
    // The temp schema in memory, not in a temp file: the split table is written and emptied a batch at a time (and
    // nothing else of this connection's uses a temp schema).
    db.pragma('temp_store = MEMORY');
    db.exec(`
      CREATE VIRTUAL TABLE IF NOT EXISTS temp.word_split USING fts5(text, content = '', tokenize = '${TOKENIZER}', detail = none);
      CREATE VIRTUAL TABLE IF NOT EXISTS temp.word_split_vocab USING fts5vocab(temp, word_split, 'row');
    `);
    this.split = db.prepare('INSERT INTO temp.word_split (text) VALUES (?)');
    this.splitWords = db.prepare('SELECT term FROM temp.word_split_vocab').pluck();
    this.clear = db.prepare(`INSERT INTO temp.word_split (word_split) VALUES ('delete-all')`);
    this.write = db.prepare('INSERT INTO indexed_words (words) VALUES (?)');
  }

  /** The words of these texts (as written to the text column). Call inside the transaction that indexes them. */
  add(texts: readonly string[]): void {
    if (texts.length === 0) return;
    this.split.run(texts.join('\n'));
    const words = this.splitWords.all() as string[];
    this.clear.run();
    const fresh: string[] = [];
    for (const w of words) {
      if (this.known.has(w)) continue;
      if (!this.older.has(w)) fresh.push(w);
      this.remember(w);
    }
    if (fresh.length) this.write.run(wordsDocument(fresh));
  }

  /** After a transaction that called add was rolled back: what add remembered may not have been written. */
  rolledBack(): void {
    this.known = new Set();
    this.older = new Set();
  }

  private remember(w: string): void {
    if (this.known.size >= KNOWN_WORDS) {
      this.older = this.known;
      this.known = new Set();
    }
    this.known.add(w);
  }
}

/**
 * Fills indexed_words from the word index of a file indexed before it existed, in steps (one transaction each, words
 * in order after a saved cursor), so it is resumable, and the search worker runs it between its other work. The
 * writers add the words of new lines meanwhile; until it is over, searches list completions from fts5vocab.
 */
export class WordBackfill {
  private readonly cursor: BetterSqlite3.Statement;
  private readonly terms: BetterSqlite3.Statement;
  private readonly insert: BetterSqlite3.Statement;
  private readonly save: BetterSqlite3.Statement;
  private readonly finish: BetterSqlite3.Statement;
  private readonly write: BetterSqlite3.Transaction<(after: string, words: readonly string[], last: boolean) => void>;

  constructor(db: BetterSqlite3.Database) {
    this.cursor = db.prepare('SELECT after FROM indexed_words_backfill').pluck();
    // fts5vocab returns terms in order; no ORDER BY, which would make SQLite read them all before the LIMIT.
    this.terms = db.prepare(`SELECT term FROM session_text_vocab_col WHERE term > ? AND col = 'text' LIMIT ?`).pluck();
    this.insert = db.prepare('INSERT INTO indexed_words (words) VALUES (?)');
    this.save = db.prepare('UPDATE indexed_words_backfill SET after = ? WHERE after = ?');
    this.finish = db.prepare('DELETE FROM indexed_words_backfill WHERE after = ?');
    this.write = db.transaction((after: string, words: readonly string[], last: boolean) => {
      // Only where the cursor still is: a step of another connection that got here first copied the same words.
      if ((last ? this.finish.run(after) : this.save.run(words[words.length - 1], after)).changes === 0) return;
      if (words.length) this.insert.run(wordsDocument(words));
    });
  }

  /**
   * Copies at most `limit` more words, reading for about `budgetMs` at most; returns whether any may be left. Reading
   * a word costs a read of its whole list, so the time a step takes is bounded rather than its words (over 5 GB of
   * text, the last step of 20,000 words, over the 4,000 words starting with "w" that most lines have, took 40 s). The words are read before the write transaction, which must not hold up the file's writers that long.
   */
  step(limit: number, budgetMs: number): boolean {
    const after = this.cursor.get() as string | undefined;
    if (after === undefined) return false;
    const words: string[] = [];
    const start = performance.now();
    let cut = false;
    for (const w of this.terms.iterate(after, limit) as IterableIterator<string>) {
      words.push(w);
      if (performance.now() - start > budgetMs) {
        cut = true;
        break;
      }
    }
    const last = !cut && words.length < limit;
    this.write.immediate(after, words, last);
    return !last;
  }
}
