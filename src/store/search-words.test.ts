import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IndexedLine } from '../core/session-logs.js';
import { openSearchDb, SearchTextWriter } from './search-index.js';
import { WordBackfill, wordsPending } from './search-words.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-words-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Random lines of ASCII words and punctuation, and now and then letters FTS5 folds its own way (case, diacritics, other scripts). */
function randomLines(seed: number, n: number): IndexedLine[] {
  let x = seed;
  const rnd = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), (x >>> 0) / 4294967296);
  const pick = <T>(a: readonly T[]) => a[Math.floor(rnd() * a.length)]!;
  const ascii = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const other = ['É', 'é', 'ﬁ', 'ß', 'ẞ', 'İ', 'ı', 'Σ', 'ς', 'Ω', 'Å', 'ø', 'Ł', 'ǅ', 'ŉ', 'e\u0301', 'a\u0308\u0323', '\u0301', 'Ａ', '１', '٣', 'Ⅻ', '²', '漢', '字', 'ア', '한', 'Ж', 'я', '😀', '\u00ad', '\u200b', '\uE000', 'ℌ', 'ꞵ', '𝔸'];
  const punct = [' ', ' ', ' ', '-', '_', '/', '.', ':', '\t', '\x00', '$', '\u00a0', '—', '«', '·'];
  const lines: IndexedLine[] = [];
  for (let i = 0; i < n; i++) {
    const unicode = rnd() < 0.2;
    let text = '';
    const len = 5 + Math.floor(rnd() * 60);
    for (let j = 0; j < len; j++) text += rnd() < 0.15 ? pick(punct) : unicode && rnd() < 0.3 ? pick(other) : pick(ascii.split(''));
    lines.push({ sessionId: 1 + (i % 7), offset: i, kind: i % 5 === 0 ? 'command' : 'output', text });
  }
  return lines;
}

function vocabWords(db: BetterSqlite3.Database): string[] {
  return db.prepare(`SELECT term FROM session_text_vocab_col WHERE col = 'text'`).pluck().all() as string[];
}

function tableWords(db: BetterSqlite3.Database): string[] {
  return db.prepare('SELECT term FROM indexed_words_vocab').pluck().all() as string[];
}

describe('indexed_words', () => {
  it('holds exactly the words FTS5 indexes in the text column, ASCII and Unicode lines alike', () => {
    const db = openSearchDb(path.join(dir, 'search.db'));
    const w = new SearchTextWriter(db);
    const lines = randomLines(12345, 4000);
    for (let i = 0; i < lines.length; i += 300) w.insert(lines.slice(i, i + 300));
    w.fromRecording(9, '/r.cast', 10, true, [{ sessionId: 9, offset: 1, kind: 'output', text: 'x'.repeat(1200) + ' tail' }]);
    const words = tableWords(db);
    expect(words.length).toBeGreaterThan(3000);
    expect(words).toEqual(vocabWords(db));
    expect(words).not.toContain('tail');
    db.close();
  });

  it('lists the same completions as fts5vocab did', async () => {
    const db = openSearchDb(path.join(dir, 'search.db'));
    const w = new SearchTextWriter(db);
    w.insert(randomLines(777, 3000));
    const words = tableWords(db);
    const fromVocab = db.prepare(`SELECT term FROM session_text_vocab_col WHERE term >= ? AND term < ? AND col = 'text' LIMIT 17`).pluck();
    const fromTable = db.prepare('SELECT term FROM indexed_words_vocab WHERE term >= ? AND term < ? LIMIT 17').pluck();
    const prefixes = new Set(words.flatMap((x) => [1, 2, 3].map((n) => [...x].slice(0, n).join(''))));
    for (const p of prefixes) expect(fromTable.all(`${p}0`, `${p}\u{10FFFF}`)).toEqual(fromVocab.all(`${p}0`, `${p}\u{10FFFF}`));
    db.close();
  });

  it('writes a word once, however many lines and batches have it', () => {
    const db = openSearchDb(path.join(dir, 'search.db'));
    const w = new SearchTextWriter(db);
    for (let i = 0; i < 50; i++) w.insert([{ sessionId: 1, offset: i, kind: 'output', text: `configuration reloaded ${i}` }, { sessionId: 2, offset: i, kind: 'output', text: 'Configuration' }]);
    expect(db.prepare(`SELECT doc FROM indexed_words_vocab WHERE term = 'configuration'`).pluck().get()).toBe(1);
    expect(db.prepare(`SELECT doc FROM session_text_vocab_col WHERE term = 'configuration' AND col = 'text'`).pluck().get()).toBe(100);
    db.close();
  });

  it('keeps a purged session’s words; a completion of them matches nothing', () => {
    const db = openSearchDb(path.join(dir, 'search.db'));
    const w = new SearchTextWriter(db);
    w.insert([{ sessionId: 4, offset: 1, kind: 'output', text: 'secretword here' }]);
    w.forget([4], 100);
    expect(tableWords(db)).toEqual(['here', 'secretword']);
    expect(db.prepare(`SELECT count(*) FROM session_text WHERE session_text MATCH 'text : secretword'`).pluck().get()).toBe(0);
    db.close();
  });

  it('is filled from the word index of a file written before it existed, step by step, with new lines meanwhile', () => {
    const file = path.join(dir, 'search.db');
    // A file of the version before: the same FTS5 table, no indexed_words.
    const old = new BetterSqlite3(file);
    old.exec(`CREATE VIRTUAL TABLE session_text USING fts5(text, sid, session_id UNINDEXED, offset_s UNINDEXED, kind UNINDEXED, tokenize = 'unicode61 remove_diacritics 2', detail = column)`);
    const ins = old.prepare('INSERT INTO session_text (text, sid, session_id, offset_s, kind) VALUES (?, ?, ?, ?, ?)');
    old.transaction(() => {
      for (const l of randomLines(99, 2000)) ins.run(l.text, `s${l.sessionId}`, l.sessionId, l.offset, 'o');
    })();
    old.close();

    const db = openSearchDb(file);
    expect(wordsPending(db)).toBe(true);
    expect(tableWords(db)).toEqual([]);
    const again = openSearchDb(file);
    const backfill = new WordBackfill(again);
    new SearchTextWriter(db).insert(randomLines(5, 200));
    // Steps cut short by their time budget (here: after the first word) resume where they stopped.
    for (let i = 0; i < 20; i++) expect(backfill.step(100, 0)).toBe(true);
    let steps = 1;
    while (backfill.step(100, 1000)) steps++;
    expect(steps).toBeGreaterThan(10);
    expect(wordsPending(db)).toBe(false);
    expect(backfill.step(100, 1000)).toBe(false);
    expect(tableWords(db)).toEqual(vocabWords(db));
    again.close();
    db.close();
  });

  it('needs no backfill in a new file, nor after it is over', () => {
    const file = path.join(dir, 'search.db');
    const db = openSearchDb(file);
    expect(wordsPending(db)).toBe(false);
    new SearchTextWriter(db).insert(randomLines(3, 10));
    db.close();
    const reopened = openSearchDb(file);
    expect(wordsPending(reopened)).toBe(false);
    reopened.close();
  });
});
