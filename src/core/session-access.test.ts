// SessionAccess against a real store and hub: visibility, authorisation (403 vs 409), blocked flag, purge protection, auditors.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SessionHub } from '../hub/session-hub.js';
import { FileRecordingStore } from '../recording/file-recording-store.js';
import { openSqliteStore, type SqliteStore } from '../store/sqlite-store.js';
import { ManualClock } from './clock.js';
import { isVigilError, type ErrorKind } from './errors.js';
import { PERMISSIONS, type Actor, type Permission } from './permissions.js';
import { checkJustification, SessionAccess } from './session-access.js';
import type { User } from './types.js';

let dir: string;
let store: SqliteStore;
let hub: SessionHub;
let access: SessionAccess;
let owner: User;
let other: User;
const clock = new ManualClock(Date.UTC(2026, 4, 1));

const actor = (u: User, roles: string[], perms: readonly Permission[]): Actor => ({ userId: u.id, username: u.username, roles, permissions: new Set(perms) });
let admin: Actor;
let plain: Actor;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-access-'));
  store = await openSqliteStore(path.join(dir, 'db.sqlite'), clock);
  hub = new SessionHub({ sessions: store.sessions, events: store.events, blocks: store.blocks, recordings: new FileRecordingStore({ dir: path.join(dir, 'rec') }), clock, logger: pino({ level: 'silent' }) });
  access = new SessionAccess({ sessions: store.sessions, users: store.users, blocks: store.blocks, audit: store.audit, events: hub, live: hub, clock });
  owner = await store.users.create({ username: 'owner', passwordHash: null, roles: [] });
  other = await store.users.create({ username: 'other', passwordHash: null, roles: [] });
  const adminUser = await store.users.create({ username: 'boss', passwordHash: null, roles: [] });
  admin = actor(adminUser, ['System Administrator'], PERMISSIONS);
  plain = actor(other, ['PAM User'], ['PAM.Access.Connect']);
});
afterEach(async () => {
  await hub.shutdown();
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const start = () =>
  hub.start({ user: { id: owner.id, username: owner.username }, originIp: '10.0.0.1', credential: { id: null, label: 'root' }, device: { id: null, name: 'db01' }, host: 'db01:22', type: 'shell', command: null });

async function kindOf(p: Promise<unknown>): Promise<ErrorKind | 'ok'> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    if (isVigilError(err)) return err.kind;
    throw err;
  }
}

describe('SessionAccess', () => {
  it('tells 404, 403 and 409 apart', async () => {
    const live = await start();
    const done = await (await start()).end({ exitStatus: 0, reason: null });
    expect(await kindOf(access.authorize(admin, 'drop', 12345))).toBe('NotFound');
    expect(await kindOf(access.authorize(plain, 'drop', live.id))).toBe('AccessDenied');
    expect(await kindOf(access.authorize(admin, 'drop', done.id))).toBe('Conflict');
    expect(await kindOf(access.authorize(admin, 'logs', live.id))).toBe('Conflict');
    expect(await kindOf(access.authorize(admin, 'drop', live.id))).toBe('ok');
  });

  it('shows no session to a user who neither has View nor audits one, then the one they are named auditor of', async () => {
    const s = await (await start()).end({ exitStatus: 0, reason: null });
    expect(await access.list(plain, {})).toMatchObject({ items: [], total: 0 });
    expect(await access.view(plain, s)).toBeNull();
    await store.sessions.setAuditors(s.id, [other.id]);
    const page = await access.list(plain, {});
    expect(page.items.map((v) => [v.session.id, v.actorIsAuditor, v.actions])).toEqual([[s.id, true, ['logs']]]);
  });

  it('shows blocked for a live blocked session and for any session of a still-blocked user', async () => {
    const live = await start();
    const done = await (await start()).end({ exitStatus: 0, reason: null });
    await hub.block(live.id, { userId: null, username: 'boss' });
    expect((await access.get(admin, live.id)).blocked).toBe(true);
    expect((await access.get(admin, done.id)).blocked).toBe(true);
    await hub.unblock(live.id, { userId: null, username: 'boss' });
    expect((await access.get(admin, live.id)).blocked).toBe(false);
  });

  it('validates justifications: trimmed, 1..1000 characters', () => {
    expect(checkJustification('  why  ')).toBe('why');
    expect(checkJustification('x'.repeat(1000))).toHaveLength(1000);
    for (const bad of [undefined, '', '   ', 'x'.repeat(1001), 7]) expect(() => checkJustification(bad)).toThrow();
  });

  it('protects from purge once, with an event and an audit entry', async () => {
    const s = await (await start()).end({ exitStatus: 0, reason: null });
    expect(await kindOf(access.preventPurge(plain, s.id, 'x'))).toBe('AccessDenied');
    expect(await kindOf(access.preventPurge(admin, s.id, ' '))).toBe('BadRequest');
    expect((await access.preventPurge(admin, s.id, 'audit 42')).session.preventPurge).toBe(true);
    expect(await kindOf(access.preventPurge(admin, s.id, 'again'))).toBe('Conflict');
    expect(await kindOf(access.allowPurge(admin, s.id, ''))).toBe('BadRequest');
    expect((await access.allowPurge(admin, s.id, 'done')).session.preventPurge).toBe(false);
    expect(await kindOf(access.allowPurge(admin, s.id, 'done'))).toBe('Conflict');
    const evs = (await store.events.forSession(s.id)).filter((e) => e.event !== 'Started' && e.event !== 'Terminated');
    expect(evs.map((e) => [e.user, e.event, e.note])).toEqual([
      ['boss', 'Prevent purge', 'audit 42'],
      ['boss', 'Allow purge', 'done'],
    ]);
    expect((await store.audit.list()).map((e) => e.action).sort()).toEqual(['session.allow-purge', 'session.prevent-purge']);
  });

  it('replaces auditors, refusing unknown ids and unauthorised callers without change', async () => {
    const s = await (await start()).end({ exitStatus: 0, reason: null });
    expect(await kindOf(access.setAuditors(plain, s.id, [other.id]))).toBe('AccessDenied');
    expect(await kindOf(access.setAuditors(admin, s.id, [other.id, 4242]))).toBe('BadRequest');
    expect(await store.sessions.auditors(s.id)).toEqual([]);
    expect(await access.setAuditors(admin, s.id, [other.id, other.id])).toEqual([{ id: other.id, username: 'other' }]);
    expect(await access.setAuditors(admin, s.id, [owner.id])).toEqual([{ id: owner.id, username: 'owner' }]);
    const notes = (await store.events.forSession(s.id)).filter((e) => e.event === 'Auditors changed').map((e) => e.note);
    expect(notes).toEqual(['added: other', 'added: owner; removed: other']);
  });
});
