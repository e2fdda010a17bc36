import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { ManualClock } from '../core/clock.js';
import type { NewSession } from '../core/ports.js';
import { openSqliteStore, type SqliteStore } from './sqlite-store.js';

const T0 = Date.UTC(2026, 0, 1, 8, 0, 0);

let dir: string;
let store: SqliteStore;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-store-'));
  store = await openSqliteStore(path.join(dir, 'vigil.db'), new ManualClock(T0));
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function session(n: number, over: Partial<NewSession> = {}): NewSession {
  return {
    sessionId: `sid-${n}`,
    userId: null,
    user: 'alice',
    originIp: '10.0.0.1',
    credentialId: null,
    credential: 'root@web01',
    deviceId: null,
    device: 'web01',
    host: 'web01:22',
    protocol: 'SSH',
    type: 'shell',
    command: null,
    status: 'active',
    startedAt: new Date(T0 + n * 60_000),
    recordingPath: null,
    cols: 80,
    rows: 24,
    ...over,
  };
}

describe('SqliteSessionRepo.query', () => {
  beforeEach(async () => {
    await store.sessions.create(session(1));
    await store.sessions.create(session(2, { user: 'bob', originIp: '10.0.0.2', device: 'db01', credential: 'postgres@db01' }));
    await store.sessions.create(session(3, { user: 'alice2', protocol: 'SFTP', type: 'sftp' }));
    await store.sessions.create(session(4, { user: 'bob', sessionId: 'odd%_id' }));
    const s5 = await store.sessions.create(session(5, { user: 'carol' }));
    await store.sessions.end(s5.id, {
      status: 'dropped',
      endedAt: new Date(T0 + 6 * 60_000),
      exitStatus: null,
      bytesIn: 10,
      bytesOut: 2000,
      endReason: 'dropped by admin',
      errorMessage: null,
      droppedBy: 'admin',
      recordingSize: 1234,
      recordingDuration: 60,
      recordingSha256: 'ab'.repeat(32),
    });
  });

  const ids = (r: { items: { sessionId: string }[] }) => r.items.map((s) => s.sessionId);

  it('sorts newest first by default and pages with a total', async () => {
    expect(ids(await store.sessions.query({}))).toEqual(['sid-5', 'odd%_id', 'sid-3', 'sid-2', 'sid-1']);
    const page2 = await store.sessions.query({ sort: 'startedAt', order: 'desc', pageSize: 2, page: 2 });
    expect(ids(page2)).toEqual(['sid-3', 'sid-2']);
    expect(page2.total).toBe(5);
    expect(ids(await store.sessions.query({ pageSize: 2, page: 3 }))).toEqual(['sid-1']);
    expect(ids(await store.sessions.query({ sort: 'user', order: 'asc' }))).toEqual(['sid-1', 'sid-3', 'sid-2', 'odd%_id', 'sid-5']);
  });

  it('filters by each field, matching text literally', async () => {
    expect(ids(await store.sessions.query({ user: 'bob' }))).toEqual(['odd%_id', 'sid-2']);
    expect((await store.sessions.query({ user: 'alice' })).total).toBe(2); // substring: alice, alice2
    expect(ids(await store.sessions.query({ status: 'dropped' }))).toEqual(['sid-5']);
    expect(ids(await store.sessions.query({ device: 'db' }))).toEqual(['sid-2']);
    expect(ids(await store.sessions.query({ credential: 'postgres' }))).toEqual(['sid-2']);
    expect(ids(await store.sessions.query({ originIp: '10.0.0.2' }))).toEqual(['sid-2']);
    expect(ids(await store.sessions.query({ protocol: 'SFTP' }))).toEqual(['sid-3']);
    expect(ids(await store.sessions.query({ sessionId: '%_' }))).toEqual(['odd%_id']);
    expect(ids(await store.sessions.query({ sessionId: '_' }))).toEqual(['odd%_id']);
    const from = new Date(T0 + 2 * 60_000);
    const to = new Date(T0 + 3 * 60_000);
    expect(ids(await store.sessions.query({ startFrom: from, startTo: to }))).toEqual(['sid-3', 'sid-2']);
    expect(ids(await store.sessions.query({ user: 'bob', status: 'active', pageSize: 1 }))).toEqual(['odd%_id']);
  });

  it('filters by prevent purge and by auditor, and stores the end of a session', async () => {
    const s2 = (await store.sessions.bySessionId('sid-2'))!;
    await store.sessions.setPreventPurge(s2.id, true);
    expect(ids(await store.sessions.query({ preventPurge: true }))).toEqual(['sid-2']);
    expect((await store.sessions.query({ preventPurge: false })).total).toBe(4);
    const u = await store.users.create({ username: 'auditor', passwordHash: null, roles: [] });
    await store.sessions.setAuditors(s2.id, [u.id]);
    expect(ids(await store.sessions.query({ auditorUserId: u.id }))).toEqual(['sid-2']);
    const s5 = (await store.sessions.bySessionId('sid-5'))!;
    expect(s5).toMatchObject({ status: 'dropped', droppedBy: 'admin', bytesOut: 2000, recordingSize: 1234, recordingDuration: 60 });
    expect(s5.endedAt?.toISOString()).toBe(new Date(T0 + 6 * 60_000).toISOString());
    expect((await store.sessions.listActive()).map((s) => s.sessionId)).toEqual(['sid-1', 'sid-2', 'sid-3', 'odd%_id']);
  });
});

describe('SqliteAuditRepo', () => {
  async function appendThree() {
    for (const target of ['a', 'b', 'c']) {
      await store.audit.append({ at: new Date(T0), actor: 'root', action: 'user.add', target, details: '{}' });
    }
  }

  it('chains entries and verifies an intact trail', async () => {
    await appendThree();
    const entries = await store.audit.list();
    expect(entries.map((e) => e.id)).toEqual([3, 2, 1]);
    expect(entries[0]!.prevHash).toBe(entries[1]!.hash);
    expect(await store.audit.verify()).toEqual([]);
  });

  it('refuses updates and deletes at the database level', async () => {
    await appendThree();
    const db = store.database.db;
    await expect(sql`UPDATE audit_log SET target = 'x' WHERE id = 2`.execute(db)).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM audit_log WHERE id = 2`.execute(db)).rejects.toThrow(/append-only/);
  });

  it('detects an edited entry', async () => {
    await appendThree();
    const db = store.database.db;
    await sql`DROP TRIGGER audit_log_no_update`.execute(db);
    await sql`UPDATE audit_log SET details = '{"forged":true}' WHERE id = 2`.execute(db);
    expect(await store.audit.verify()).toEqual(['entry 2: content does not match its hash (edited)']);
  });

  it('detects a deleted entry', async () => {
    await appendThree();
    const db = store.database.db;
    await sql`DROP TRIGGER audit_log_no_delete`.execute(db);
    await sql`DELETE FROM audit_log WHERE id = 2`.execute(db);
    const problems = await store.audit.verify();
    expect(problems).toContain('entry 2 missing (deleted)');
    expect(problems).toContain('entry 3: previous-hash link broken');
  });
});

describe('SqliteSettingsRepo', () => {
  it('round-trips JSON values and falls back when unset', async () => {
    expect(await store.settings.get('retentionDays', 90)).toBe(90);
    await store.settings.set('retentionDays', 30);
    await store.settings.set('banner', { text: 'Authorised use only', enabled: true });
    expect(await store.settings.get('retentionDays', 90)).toBe(30);
    await store.settings.set('retentionDays', 7);
    expect(await store.settings.all()).toEqual({ retentionDays: 7, banner: { text: 'Authorised use only', enabled: true } });
  });
});

describe('SqliteBlockRepo', () => {
  it('blocks a user until released, once', async () => {
    const u = await store.users.create({ username: 'alice', passwordHash: null, roles: [] });
    expect(await store.blocks.activeFor(u.id)).toBeNull();
    const b = await store.blocks.add({ userId: u.id, sessionId: null, blockedBy: 'admin', blockedAt: new Date(T0) });
    expect(b).toMatchObject({ userId: u.id, user: 'alice', blockedBy: 'admin', releasedBy: null, releasedAt: null });
    expect((await store.blocks.activeFor(u.id))?.id).toBe(b.id);
    expect(await store.blocks.release(u.id, 'security', new Date(T0 + 1000))).toBe(true);
    expect(await store.blocks.release(u.id, 'security', new Date(T0 + 2000))).toBe(false);
    expect(await store.blocks.activeFor(u.id)).toBeNull();
    const [listed] = await store.blocks.list();
    expect(listed).toMatchObject({ releasedBy: 'security', releasedAt: new Date(T0 + 1000) });
  });
});

describe('SqliteUserRepo login record', () => {
  it('counts failures, clears them on a success, and writes nothing for a success after a clean record', async () => {
    const u = await store.users.create({ username: 'alice', passwordHash: null, roles: [] });
    const db = store.database.db;
    const changes = async () => (await sql<{ n: number }>`select total_changes() as n`.execute(db)).rows[0]!.n;
    expect(await store.users.recordFailure(u.id, () => null)).toBe(1);
    expect(await store.users.recordFailure(u.id, (n) => (n >= 2 ? new Date(T0 + 60_000) : null))).toBe(2);
    expect((await store.users.get(u.id))?.lockedUntil).toEqual(new Date(T0 + 60_000));
    await store.users.recordSuccess(u.id);
    const row = await db.selectFrom('users').select(['failed_logins', 'locked_until']).where('id', '=', u.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ failed_logins: 0, locked_until: null });
    const before = await changes();
    await store.users.recordSuccess(u.id);
    expect(await changes()).toBe(before);
  });
});

describe('SqliteSessionRepo counters', () => {
  it('updates the counters of many sessions in one call, past the statement chunk, and leaves the others alone', async () => {
    const made = [];
    for (let i = 0; i < 650; i++) made.push(await store.sessions.create(session(100 + i)));
    const rows = made.slice(0, 640).map((s, i) => ({ id: s.id, bytesIn: i * 3 + 1, bytesOut: i * 7 + 2 }));
    await store.sessions.updateCounters(rows);
    const after = await store.sessions.getMany(made.map((s) => s.id));
    const byId = new Map(after.map((s) => [s.id, s]));
    for (const [i, r] of rows.entries()) expect(byId.get(r.id), `row ${i}`).toMatchObject({ bytesIn: r.bytesIn, bytesOut: r.bytesOut });
    for (const s of made.slice(640)) expect(byId.get(s.id)).toMatchObject({ bytesIn: 0, bytesOut: 0 });
    await store.sessions.updateCounters([]);
  });
});

