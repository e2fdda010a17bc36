import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, sql, SqliteDialect } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import type { SessionQuery, SessionSortField } from '../core/ports.js';
import type { SessionStatus } from '../core/types.js';
import { MIGRATIONS } from './migrations.js';
import type { Database } from './schema.js';
import { containsPattern, listSessions, MAX_VALUES } from './session-list.js';
import { openSqliteStore, type SqliteStore } from './sqlite-store.js';

const T0 = Date.UTC(2026, 0, 1);
const dirs: string[] = [];
const stores: SqliteStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function open(dir?: string): Promise<{ dir: string; store: SqliteStore }> {
  dir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-list-'));
  dirs.push(dir);
  const store = await openSqliteStore(path.join(dir, 'vigil.db'), new ManualClock(T0));
  stores.push(store);
  return { dir, store };
}

/** A deterministic generator (xorshift), so that a failure can be replayed. */
function random(seed: number) {
  let x = seed >>> 0 || 1;
  const next = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), (x >>> 0) / 4294967296);
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(a: readonly T[]): T => a[int(a.length)]!;
  return { next, int, pick };
}

// Letters in both cases, LIKE's metacharacters and its escape, quotes, and letters LIKE does not fold (é/É, ß, an emoji).
const ALPHABET = ['a', 'b', 'A', 'B', 'x', 'X', '0', '1', '.', '-', '@', '%', '_', '\\', "'", '"', 'é', 'É', 'ß', '😀', ' '];
const STATUSES: SessionStatus[] = ['active', 'completed', 'dropped', 'failed'];

type Row = { session_id: string; username: string; origin_ip: string; credential: string; device: string; status: string; protocol: string; started_at: string; ended_at: string | null; prevent_purge: number };

function randomRows(r: ReturnType<typeof random>, n: number): Row[] {
  const word = (max: number) => Array.from({ length: 1 + r.int(max) }, () => r.pick(ALPHABET)).join('');
  // A few shared values per column (as users and devices are), and some unique ones (as Session IDs are).
  const pool = Array.from({ length: 12 }, () => word(6));
  const value = () => (r.next() < 0.6 ? r.pick(pool) : word(8));
  return Array.from({ length: n }, (_, i) => {
    const at = new Date(T0 + r.int(1000) * 60_000).toISOString();
    return {
      session_id: `${word(5)}#${i}`, username: value(), origin_ip: value(), credential: value(), device: value(), status: r.pick(STATUSES),
      protocol: r.pick(['SSH', 'SFTP']), started_at: at, ended_at: r.next() < 0.3 ? null : at, prevent_purge: r.int(2),
    };
  });
}

async function insert(store: SqliteStore, rows: Row[]): Promise<void> {
  const full = rows.map((x) => ({
    ...x, user_id: null, credential_id: null, device_id: null, host: 'h:22', type: 'shell', command: null, exit_status: null, bytes_in: 0, bytes_out: 0,
    end_reason: null, error_message: null, dropped_by: null, recording_path: null, recording_size: null, recording_duration: null, recording_sha256: null,
    purged_at: null, cols: null, rows: null,
  }));
  for (let i = 0; i < full.length; i += 200) await store.database.db.insertInto('sessions').values(full.slice(i, i + 200)).execute();
}

const FIELDS: ReadonlyArray<[keyof SessionQuery & ('sessionId' | 'user' | 'originIp' | 'credential' | 'device'), keyof Row]> = [
  ['sessionId', 'session_id'], ['user', 'username'], ['originIp', 'origin_ip'], ['credential', 'credential'], ['device', 'device'],
];
const SORT: Record<SessionSortField, string> = {
  id: 'id', sessionId: 'session_id', user: 'username', originIp: 'origin_ip', credential: 'credential', device: 'device', protocol: 'protocol', startedAt: 'started_at', endedAt: 'ended_at', status: 'status',
};

/** The list as the plain LIKE query answers it (the meaning of a contains filter): the ids of the page and the total. */
async function byLike(db: Kysely<Database>, q: SessionQuery): Promise<{ ids: number[]; total: number }> {
  const where: ReturnType<typeof sql>[] = [sql`1 = 1`];
  for (const [key, col] of FIELDS) if (q[key]) where.push(sql`${sql.ref(col)} LIKE ${containsPattern(q[key] as string)} ESCAPE '\\'`);
  if (q.status) where.push(sql`status = ${q.status}`);
  if (q.protocol) where.push(sql`protocol = ${q.protocol}`);
  if (q.preventPurge !== undefined) where.push(sql`prevent_purge = ${q.preventPurge ? 1 : 0}`);
  if (q.startFrom) where.push(sql`started_at >= ${q.startFrom.toISOString()}`);
  const cond = sql.join(where, sql` AND `);
  const order = sql.raw(q.order ?? 'desc');
  const size = q.pageSize ?? 30;
  const total = await sql<{ n: number }>`SELECT count(*) AS n FROM sessions NOT INDEXED WHERE ${cond}`.execute(db);
  const page = await sql<{ id: number }>`SELECT id FROM sessions NOT INDEXED WHERE ${cond} ORDER BY ${sql.ref(SORT[q.sort ?? 'id'])} ${order}, id ${order} LIMIT ${size} OFFSET ${((q.page ?? 1) - 1) * size}`.execute(db);
  return { ids: page.rows.map((r) => r.id), total: total.rows[0]!.n };
}

async function byRepo(store: SqliteStore, q: SessionQuery): Promise<{ ids: number[]; total: number }> {
  const { items, total } = await store.sessions.query(q);
  return { ids: items.map((s) => s.id), total };
}

/** A term a user might type for a column: part of a stored value (sometimes in another case), or random text. */
function termFor(r: ReturnType<typeof random>, rows: Row[], col: keyof Row): string {
  const roll = r.next();
  if (roll < 0.6) {
    const v = String(r.pick(rows)[col]);
    const chars = [...v];
    const from = r.int(chars.length);
    let t = chars.slice(from, from + 1 + r.int(6)).join('');
    if (r.next() < 0.4) t = t.replace(/[a-z]/g, (c) => (r.next() < 0.5 ? c.toUpperCase() : c)).replace(/[A-Z]/g, (c) => (r.next() < 0.5 ? c.toLowerCase() : c));
    if (r.next() < 0.15) t = t.toUpperCase(); // É for é: LIKE does not fold it, and neither must the filter
    return t;
  }
  return Array.from({ length: 1 + r.int(4) }, () => r.pick(ALPHABET)).join('');
}

describe('Remote Sessions list: contains filters', () => {
  it('returns exactly what LIKE "%term%" returns, for random data, terms, sorts and pages', async () => {
    const { store } = await open();
    const r = random(20260301);
    const rows = randomRows(r, 600);
    await insert(store, rows);
    const sorts = Object.keys(SORT) as SessionSortField[];
    let nonEmpty = 0;
    for (let i = 0; i < 400; i++) {
      const q: SessionQuery = { sort: r.pick(sorts), order: r.pick(['asc', 'desc'] as const), page: 1 + r.int(3), pageSize: r.pick([5, 30]) };
      const [key, col] = r.pick(FIELDS);
      q[key] = termFor(r, rows, col);
      if (r.next() < 0.3) {
        const [k2, c2] = r.pick(FIELDS);
        q[k2] = termFor(r, rows, c2);
      }
      if (r.next() < 0.3) q.status = r.pick(STATUSES);
      if (r.next() < 0.2) q.preventPurge = r.next() < 0.5;
      if (r.next() < 0.2) q.protocol = 'SFTP';
      if (r.next() < 0.2) q.startFrom = new Date(T0 + r.int(1000) * 60_000);
      const expected = await byLike(store.database.db, q);
      if (expected.total > 0) nonEmpty++;
      expect(await byRepo(store, q), JSON.stringify(q)).toEqual(expected);
      // The other way of reading a page (walking the sort order), which only larger totals take by themselves.
      const walked = await listSessions(store.database.db, q, { sortAtMost: 0 });
      expect({ ids: walked.rows.map((x) => x.id), total: walked.total }, `walked: ${JSON.stringify(q)}`).toEqual(expected);
    }
    // The random terms must mostly find something, or the comparison proves little.
    expect(nonEmpty).toBeGreaterThan(200);
  });

  it('takes the typed text literally: % _ \\ and quotes are characters, not patterns or syntax', async () => {
    const { store } = await open();
    const base = { host: 'h:22', protocol: 'SSH' as const, type: 'shell' as const, command: null, status: 'completed' as const, startedAt: new Date(T0), recordingPath: null, cols: 80, rows: 24, userId: null, credentialId: null, deviceId: null, originIp: '10.0.0.1', credential: 'root', device: 'web01' };
    const names = ['100%_sure', '100 percent', 'a_b', 'axb', `o'brien`, 'say "hi"', 'back\\slash', 'NEAR(x) OR y*'];
    for (const [i, user] of names.entries()) await store.sessions.create({ ...base, sessionId: `s${i}`, user });
    const users = async (term: string) => (await store.sessions.query({ user: term, sort: 'user', order: 'asc' })).items.map((s) => s.user);
    expect(await users('%')).toEqual(['100%_sure']);
    expect(await users('0%_')).toEqual(['100%_sure']);
    expect(await users('_')).toEqual(['100%_sure', 'a_b']);
    expect(await users('a_b')).toEqual(['a_b']);
    expect(await users(`o'b`)).toEqual([`o'brien`]);
    expect(await users('"hi"')).toEqual(['say "hi"']);
    expect(await users('\\')).toEqual(['back\\slash']);
    expect(await users('k\\s')).toEqual(['back\\slash']);
    expect(await users('near(x) or')).toEqual(['NEAR(x) OR y*']);
    expect(await users('OR Y*')).toEqual(['NEAR(x) OR y*']);
  });

  it('keeps the dictionary current: new sessions, changed values, and more matching values than it lists', async () => {
    const { store } = await open();
    const db = store.database.db;
    // More distinct matching values than MAX_VALUES: the filter falls back to testing the column.
    const many = Array.from({ length: MAX_VALUES + 50 }, (_, i) => ({ ...randomRows(random(i + 1), 1)[0]!, origin_ip: `192.168.${i >> 8}.${i & 255}`, session_id: `many-${i}` }));
    await insert(store, many);
    expect((await store.sessions.query({ originIp: '192.168.' })).total).toBe(MAX_VALUES + 50);
    expect((await store.sessions.query({ originIp: '68.3.1' })).total).toBe(many.filter((m) => m.origin_ip.includes('68.3.1')).length);
    expect((await store.sessions.query({ originIp: '.' })).total).toBe(MAX_VALUES + 50);
    const s = await store.sessions.create({
      sessionId: 'fresh-one', userId: null, user: 'Zelda', originIp: '203.0.113.9', credentialId: null, credential: 'admin@fw01', deviceId: null, device: 'fw01',
      host: 'fw01:22', protocol: 'SSH', type: 'shell', command: null, status: 'active', startedAt: new Date(T0), recordingPath: null, cols: 80, rows: 24,
    });
    expect((await store.sessions.query({ user: 'zel' })).items.map((x) => x.id)).toEqual([s.id]);
    expect((await store.sessions.query({ device: 'w0' })).items.map((x) => x.id)).toEqual([s.id]);
    await db.updateTable('sessions').set({ username: 'Link' }).where('id', '=', s.id).execute();
    expect((await store.sessions.query({ user: 'zel' })).total).toBe(0);
    expect((await store.sessions.query({ user: 'LIN' })).items.map((x) => x.id)).toEqual([s.id]);
  });

  it('the migration indexes sessions stored before it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-list-'));
    dirs.push(dir);
    // A database as the previous version left it: migrations up to 003, with sessions in it.
    const raw = new BetterSqlite3(path.join(dir, 'vigil.db'));
    const old = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
    const before = Object.fromEntries(Object.entries(MIGRATIONS).filter(([name]) => name < '004'));
    const { error } = await new Migrator({ db: old, provider: { getMigrations: async () => before } }).migrateToLatest();
    expect(error).toBeUndefined();
    const rows = randomRows(random(7), 300);
    const values = rows.map((x) => ({
      ...x, user_id: null, credential_id: null, device_id: null, host: 'h:22', type: 'shell', command: null, exit_status: null, bytes_in: 0, bytes_out: 0,
      end_reason: null, error_message: null, dropped_by: null, recording_path: null, recording_size: null, recording_duration: null, recording_sha256: null,
      purged_at: null, cols: null, rows: null,
    }));
    await old.insertInto('sessions').values(values).execute();
    await old.destroy();

    const { store } = await open(dir);
    const r = random(8);
    for (let i = 0; i < 100; i++) {
      const [key, col] = r.pick(FIELDS);
      const q: SessionQuery = { [key]: termFor(r, rows, col), pageSize: 200 };
      expect(await byRepo(store, q), JSON.stringify(q)).toEqual(await byLike(store.database.db, q));
    }
    const user = rows[0]!.username;
    // LIKE folds the case of ASCII letters only.
    const fold = (v: string) => v.replace(/[A-Z]/g, (c) => c.toLowerCase());
    expect((await store.sessions.query({ user, pageSize: 200 })).total).toBe(rows.filter((x) => fold(x.username).includes(fold(user))).length);
  });
});
