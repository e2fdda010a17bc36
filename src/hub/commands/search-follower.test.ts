import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { ManualClock } from '../../core/clock.js';
import type { SessionRecord } from '../../core/types.js';
import { openSqliteStore, searchDbPath, type SqliteStore } from '../../store/sqlite-store.js';
import { SearchFollower } from './search-follower.js';

let dir: string;
let store: SqliteStore;
const logger = pino({ level: 'silent' });

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-follow-'));
  store = await openSqliteStore(path.join(dir, 'vigil.db'), new ManualClock());
});
afterAll(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function session(n: number): Promise<SessionRecord> {
  return store.sessions.create({
    sessionId: String(n).padStart(32, '0'), userId: null, user: 'alice', originIp: '192.0.2.1', credentialId: null, credential: 'root', deviceId: null,
    device: 'web01', host: 'h:22', protocol: 'SSH', type: 'shell', command: null, status: 'active', startedAt: new Date(Date.UTC(2026, 2, 1)), recordingPath: path.join(dir, `${n}.cast`), cols: 80, rows: 24,
  });
}

const event = (t: number, type: string, data: string) => JSON.stringify([t, type, data]) + '\n';

describe('SearchFollower (worker thread)', () => {
  it('indexes a recording as it is written, from its displayed text only, and finishes it after the end', async () => {
    const s = await session(1);
    const file = s.recordingPath!;
    fs.writeFileSync(file, JSON.stringify({ version: 2, width: 80, height: 24 }) + '\n' + event(0.5, 'o', '\x1b[1;32mop@web01\x1b[0m:~# ') + event(1, 'i', 'secret-keystrokes\r'));
    const f = SearchFollower.start({ file: searchDbPath(path.join(dir, 'vigil.db')) }, logger);
    try {
      f.follow(s.id, file);
      fs.appendFileSync(file, event(2.25, 'o', 'first line of output\r\nhalf a li'));
      await f.flush();
      expect((await store.search.search({ text: 'first line', limit: 10 })).map((h) => [h.offset, h.text])).toEqual([[2.25, 'op@web01:~# first line of output']]);
      fs.appendFileSync(file, event(3.5, 'o', 'ne, then more\r\n') + event(4, 'o', '\x1b[?1049hfull-screen-text\x1b[?1049l'));
      await f.addLines([{ sessionId: s.id, offset: 3, kind: 'command', text: 'cat notes.txt' }]);
      f.ended(s.id, 0);
      await f.flush();
      expect((await store.search.search({ text: 'half a line', limit: 10 })).map((h) => h.offset)).toEqual([3.5]);
      expect(await store.search.search({ text: 'cat notes', limit: 10 })).toMatchObject([{ kind: 'command', text: 'cat notes.txt' }]);
      expect(await store.search.search({ text: 'secret', limit: 10 })).toEqual([]);
      expect(await store.search.search({ text: 'full-screen', limit: 10 })).toEqual([]);
    } finally {
      await f.stop();
    }
  });

  it('resumes a recording a previous run did not finish, without indexing it twice', async () => {
    const s = await session(2);
    const file = s.recordingPath!;
    fs.writeFileSync(file, JSON.stringify({ version: 2, width: 80, height: 24 }) + '\n' + event(1, 'o', 'before the crash\r\n'));
    const first = SearchFollower.start({ file: searchDbPath(path.join(dir, 'vigil.db')) }, logger);
    first.follow(s.id, file);
    await first.flush();
    await first.stop();
    fs.appendFileSync(file, event(2, 'o', 'after the crash\r\n'));
    const second = SearchFollower.start({ file: searchDbPath(path.join(dir, 'vigil.db')) }, logger);
    try {
      await second.flush();
      expect((await store.search.search({ text: 'the crash', limit: 10 })).map((h) => h.text)).toEqual(['after the crash', 'before the crash']);
    } finally {
      await second.stop();
    }
  });
});
