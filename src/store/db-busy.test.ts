// The store while another process holds SQLite's write lock (a backup, a migration, a long CLI write): every kind of
// write waits for the lock up to the busy timeout and then succeeds, or fails with a SQLITE_BUSY error having written
// nothing; the audit chain and the file stay sound (issue 8, faults).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { holdWriteLock, type HeldLock } from '../../test/helpers/sqlite-lock.js';
import { checkSqliteFile } from '../../test/helpers/sqlite-check.js';
import { SqliteAuditRepo } from './audit-repo.js';
import { openDatabase, type OpenDatabase } from './database.js';
import { SqliteSettingsRepo } from './event-repos.js';
import { SqliteUserRepo } from './user-repo.js';

const T0 = Date.UTC(2026, 0, 1, 8, 0, 0);

let dir: string;
let file: string;
let database: OpenDatabase | null;
let lock: HeldLock | null;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-busy-'));
  file = path.join(dir, 'vigil.db');
  database = null;
  lock = null;
});
afterEach(async () => {
  await lock?.release().catch(() => undefined);
  await database?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function open(busyTimeoutMs: number) {
  database = await openDatabase({ file, busyTimeoutMs });
  const clock = new ManualClock(T0);
  const repos = { settings: new SqliteSettingsRepo(database.db), audit: new SqliteAuditRepo(database.db), users: new SqliteUserRepo(database.db, clock) };
  // Something to build on: a user whose failed logins are counted, and the start of the audit chain.
  const alice = await repos.users.create({ username: 'alice', passwordHash: null, roles: [] });
  await repos.audit.append({ at: new Date(T0), actor: 'test', action: 'setup', target: 'store', details: '{}' });
  return { ...repos, alice };
}

type Repos = Awaited<ReturnType<typeof open>>;

/** One write of each shape the repositories use: a plain statement, a transaction that writes first, one that reads first. */
const WRITES: Array<{ name: string; run: (r: Repos, n: number) => Promise<unknown> }> = [
  { name: 'a plain statement (settings.set)', run: (r, n) => r.settings.set(`busy.${n}`, n) },
  { name: 'a transaction that writes first (users.create)', run: (r, n) => r.users.create({ username: `user${n}`, passwordHash: null, roles: [] }) },
  { name: 'a transaction that reads, then writes (audit.append)', run: (r, n) => r.audit.append({ at: new Date(T0), actor: 'test', action: `busy.${n}`, target: 'store', details: '{}' }) },
  { name: 'a transaction that reads, then writes (users.recordFailure)', run: (r) => r.users.recordFailure(r.alice.id, () => null) },
];

/** What the writes above leave in the database, for "nothing was written" checks. */
async function footprint(r: Repos) {
  return {
    settings: await r.settings.all(),
    users: (await r.users.list()).map((u) => u.username).sort(),
    audit: (await r.audit.list({ limit: 1000 })).map((e) => e.action),
    aliceFailures: (await database!.db.selectFrom('users').select('failed_logins').where('id', '=', r.alice.id).executeTakeFirstOrThrow()).failed_logins,
  };
}

describe('store writes while another process holds the write lock', () => {
  it.each(WRITES.map((w, n) => [w.name, n] as const))('%s waits for a lock released within the busy timeout, then succeeds', async (_name, n) => {
    const repos = await open(10_000);
    // The locker lets go by itself: this thread is blocked inside SQLite while it waits.
    lock = await holdWriteLock(file, { holdMs: 600 });
    await WRITES[n].run(repos, n);
    const done = Date.now();
    // It waited for the other process to let go (rather than slipping past its lock).
    expect(done).toBeGreaterThanOrEqual(await lock.release());
    expect(await repos.audit.verify()).toEqual([]);
  });

  it.each(WRITES.map((w, n) => [w.name, n] as const))('%s fails with SQLITE_BUSY past the busy timeout and writes nothing', async (_name, n) => {
    const repos = await open(300);
    const before = await footprint(repos);
    lock = await holdWriteLock(file);
    const started = performance.now();
    const err = await WRITES[n].run(repos, n).then(
      () => null,
      (e: unknown) => e as Error & { code?: string },
    );
    const waited = performance.now() - started;
    expect(err?.code).toMatch(/^SQLITE_BUSY/);
    // It waited the busy timeout before giving up (a transaction that read first must too: nothing is gained by failing at once).
    expect(waited).toBeGreaterThanOrEqual(250);
    await lock.release();
    expect(await footprint(repos)).toEqual(before);
    // The connection is usable again and the same write now goes through.
    await WRITES[n].run(repos, n);
    expect(await repos.audit.verify()).toEqual([]);
    await database!.close();
    database = null;
    expect(checkSqliteFile(file)).toEqual({ integrity: ['ok'], foreignKeys: [] });
  });
});
