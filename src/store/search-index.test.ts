import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { isVigilError } from '../core/errors.js';
import type { SessionRecord } from '../core/types.js';
import { openSearchDb, SearchTextWriter, searchWords, wordQuery } from './search-index.js';
import { openSqliteStore, searchDbPath, type SqliteStore } from './sqlite-store.js';

let dir: string;
let store: SqliteStore;
const sessions: SessionRecord[] = [];
const t0 = Date.UTC(2026, 2, 1, 9);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-search-'));
  store = await openSqliteStore(path.join(dir, 'vigil.db'), new ManualClock());
  for (const n of [1, 2, 3]) {
    sessions.push(
      await store.sessions.create({
        sessionId: String(n).padStart(32, '0'), userId: null, user: 'alice', originIp: '192.0.2.1', credentialId: null, credential: 'root', deviceId: null,
        device: 'web01', host: 'h:22', protocol: 'SSH', type: 'shell', command: null, status: 'completed', startedAt: new Date(t0 + n * 1000), recordingPath: null, cols: 80, rows: 24,
      }),
    );
  }
  const [s1, s2, s3] = sessions;
  await store.search.addLines([
    { sessionId: s1.id, offset: 2, kind: 'output', text: 'root:x:0:0:root:/root:/bin/bash' },
    { sessionId: s1.id, offset: 3, kind: 'command', text: 'rm -rf /tmp/build' },
    { sessionId: s2.id, offset: 4, kind: 'output', text: 'cat /etc/passwd: permission denied' },
    { sessionId: s2.id, offset: 5, kind: 'output', text: 'passwords are not here' },
    { sessionId: s3.id, offset: 1, kind: 'output', text: 'ETC passwd, far apart: etc and passwd' },
  ]);
});
afterAll(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('SqliteSearchIndex', () => {
  it('finds the term as typed (case-insensitive substring from a word start), newest first, with times', async () => {
    const [, s2] = sessions;
    const hits = await store.search.search({ text: '/ETC/passwd', limit: 10 });
    expect(hits).toEqual([{ sessionId: s2.id, offset: 4, kind: 'output', text: 'cat /etc/passwd: permission denied', at: new Date(s2.startedAt.getTime() + 4000) }]);
    // The last word may be a prefix; the words alone would also match the far-apart line of session 3.
    expect((await store.search.search({ text: 'passw', limit: 10 })).map((h) => h.text)).toEqual(['ETC passwd, far apart: etc and passwd', 'passwords are not here', 'cat /etc/passwd: permission denied']);
    expect((await store.search.search({ text: 'rm -rf', limit: 10 })).map((h) => [h.kind, h.text])).toEqual([['command', 'rm -rf /tmp/build']]);
    expect(await store.search.search({ text: 'passwd', limit: 1 })).toHaveLength(1);
    await expect(store.search.search({ text: '/// --', limit: 10 })).rejects.toSatisfy((e) => isVigilError(e, 'BadRequest'));
  });

  it('limits to one session, or to the sessions a user audits', async () => {
    const [s1, s2, s3] = sessions;
    expect(await store.search.search({ text: 'passwd', limit: 10, sessionId: s1.id })).toEqual([]);
    expect((await store.search.search({ text: 'root', limit: 10, sessionId: s1.id })).map((h) => h.text)).toEqual(['root:x:0:0:root:/root:/bin/bash']);
    const user = await store.users.create({ username: 'aud', passwordHash: null, roles: [] });
    expect(await store.search.search({ text: 'passwd', limit: 10, auditorUserId: user.id })).toEqual([]);
    await store.sessions.setAuditors(s2.id, [user.id]);
    await store.sessions.setAuditors(s3.id, [user.id]);
    expect((await store.search.search({ text: 'passwd', limit: 10, auditorUserId: user.id })).map((h) => h.sessionId)).toEqual([s3.id, s2.id]);
  });

  it('spreads matches over sessions: at most perSession lines of each', async () => {
    const [s1, s2, s3] = sessions;
    await store.search.addLines([1, 2, 3, 4].map((i) => ({ sessionId: s3.id, offset: 10 + i, kind: 'output' as const, text: `breadth line ${i}` })));
    await store.search.addLines([{ sessionId: s2.id, offset: 20, kind: 'output', text: 'breadth in s2' }, { sessionId: s1.id, offset: 20, kind: 'output', text: 'breadth in s1' }]);
    const hits = await store.search.search({ text: 'breadth', limit: 10, perSession: 2 });
    expect(hits.map((h) => h.sessionId).sort()).toEqual([s1.id, s2.id, s3.id, s3.id].sort());
  });

  it('builds word queries that cannot be read as FTS syntax', () => {
    const w = searchWords('a "quoted" OR NEAR(x)')!;
    expect(w).toEqual({ words: ['a', 'quoted', 'or', 'near', 'x'], open: false });
    expect(wordQuery(w.words)).toBe('text : ("a" AND "quoted" AND "or" AND "near" AND "x")');
    expect(searchWords('rm -rf /tm')).toEqual({ words: ['rm', 'rf', 'tm'], open: true });
    expect(wordQuery(['rm', 'rf', 'tm'], ['tmp', 'tmux'])).toBe('text : ("rm" AND "rf" AND ("tmp" OR "tmux"))');
    expect(searchWords('-- //')).toBeNull();
  });

  it('finds a cut-short last word however many indexed words it starts, and whatever they are', async () => {
    const [s1] = sessions;
    // 40 words starting with "zpre" (more than are looked for at once), one of the last in a line with "needle".
    await store.search.addLines(Array.from({ length: 40 }, (_, i) => ({ sessionId: s1.id, offset: 30 + i, kind: 'output' as const, text: `zpre${String(i).padStart(2, '0')}x filler` })));
    await store.search.addLines([{ sessionId: s1.id, offset: 80, kind: 'output', text: 'needle zpre37x here' }, { sessionId: s1.id, offset: 81, kind: 'output', text: 'needle zpre03x too' }]);
    expect((await store.search.search({ text: 'needle zpre', limit: 10 })).map((h) => h.text)).toEqual(['needle zpre03x too', 'needle zpre37x here']);
    expect((await store.search.search({ text: 'needle zpre3', limit: 10 })).map((h) => h.text)).toEqual(['needle zpre37x here']);
    expect((await store.search.search({ text: 'zpre0', limit: 100 })).map((h) => h.text).sort()).toEqual([
      'needle zpre03x too', ...Array.from({ length: 10 }, (_, i) => `zpre0${i}x filler`),
    ].sort());
    // A word alone that starts more words than are looked for: the first of them, in the index's order.
    expect(await store.search.search({ text: 'zpre', limit: 100 })).toHaveLength(17);
    // The index holds words without their diacritics.
    await store.search.addLines([{ sessionId: s1.id, offset: 90, kind: 'output', text: 'Caféteria opens' }]);
    expect((await store.search.search({ text: 'café', limit: 10 })).map((h) => h.text)).toEqual(['Caféteria opens']);
  });

  it('remembers how far a recording was read, with its lines, and which ones are unfinished', () => {
    const db = openSearchDb(searchDbPath(path.join(dir, 'vigil.db')));
    try {
      const w = new SearchTextWriter(db);
      w.fromRecording(sessions[0].id, '/r/a.cast', 1200, false, [{ sessionId: sessions[0].id, offset: 9, kind: 'output', text: 'resumable line' }]);
      w.fromRecording(sessions[1].id, '/r/b.cast', 50, true, []);
      expect(w.progress(sessions[0].id)).toEqual({ offset: 1200, done: false });
      expect(w.unfinished()).toEqual([{ sessionId: sessions[0].id, path: '/r/a.cast', offset: 1200 }]);
    } finally {
      db.close();
    }
  });
});
