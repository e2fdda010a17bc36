// Drop, block/unblock, the session-blocks report, Prevent Purge and Configure Auditors through the API, against a real hub and store.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../test/helpers/api-harness.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.close();
});

const events = async (id: number) => (await h.store.events.forSession(id)).map((e) => ({ user: e.user, event: e.event, note: e.note }));
const auditActions = async () => (await h.store.audit.list({ limit: 1000 })).map((e) => e.action);

describe('drop', () => {
  it('disconnects the user, ends the session as dropped by the caller, and records it', async () => {
    const { live, control } = await h.startSession();
    const res = await h.inject('POST', `/api/v1/sessions/${live.id}/drop`, await h.token('pamadmin'), { reason: 'policy violation' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: live.id, status: 'dropped', droppedBy: 'pamadmin', actions: ['logs', 'video', 'preventPurge', 'auditors'] });
    expect(control.disconnects).toEqual(['You have been disconnected']);
    const stored = await h.store.sessions.get(live.id);
    expect(stored).toMatchObject({ status: 'dropped', droppedBy: 'pamadmin' });
    expect(await events(live.id)).toContainEqual({ user: 'pamadmin', event: 'Drop session', note: 'policy violation' });
    const entry = (await h.store.audit.list()).find((e) => e.action === 'session.drop');
    expect(entry).toMatchObject({ actor: 'pamadmin', target: `session ${live.id} (${live.record.sessionId})` });
    expect(JSON.parse(entry!.details)).toMatchObject({ user: 'owner', reason: 'policy violation' });
  });

  it('refuses to drop a completed session with 409 and changes nothing', async () => {
    const s = await h.completedSession();
    const before = await events(s.id);
    const auditBefore = await auditActions();
    const res = await h.inject('POST', `/api/v1/sessions/${s.id}/drop`, await h.token('sysadmin'), {});
    expect(res.statusCode).toBe(409);
    expect(await h.store.sessions.get(s.id)).toMatchObject({ status: 'completed', droppedBy: null });
    expect(await events(s.id)).toEqual(before);
    expect(await auditActions()).toEqual(auditBefore);
  });
});

describe('block and unblock', () => {
  it('revokes interactivity in every live session of the user, blocks new sessions, and releases with the exact messages', async () => {
    const a = await h.startSession();
    const b = await h.startSession();
    const token = await h.token('pamadmin');
    const blocked = await h.inject('POST', `/api/v1/sessions/${a.live.id}/block`, token);
    expect(blocked.statusCode).toBe(200);
    expect(blocked.json()).toMatchObject({ blocked: true });
    expect(a.control.notices).toEqual(['Session interaction revoked']);
    expect(b.control.notices).toEqual(['Session interaction revoked']);
    expect(a.live.input(Buffer.from('ls\r'))).toBe(false);
    expect(await h.hub.blockMessage(h.users.owner.id)).toBe('User has been prevented to start sessions by pamadmin on 2026-03-01 09:00:00 UTC');
    expect((await h.inject('GET', `/api/v1/sessions/${b.live.id}`, token)).json().blocked).toBe(true);

    // Blocking twice is a conflict.
    expect((await h.inject('POST', `/api/v1/sessions/${a.live.id}/block`, token)).statusCode).toBe(409);

    const report = (await h.inject('GET', '/api/v1/session-blocks', token)).json();
    expect(report.items).toEqual([
      expect.objectContaining({ userId: h.users.owner.id, user: 'owner', sessionId: a.live.id, blockedBy: 'pamadmin', blockedAt: '2026-03-01T09:00:00.000Z', releasedBy: null, releasedAt: null, active: true }),
    ]);

    h.clock.advance(60_000);
    const released = await h.inject('POST', `/api/v1/sessions/${a.live.id}/unblock`, await h.token('sysadmin'));
    expect(released.statusCode).toBe(200);
    expect(released.json().blocked).toBe(false);
    expect(a.control.notices).toEqual(['Session interaction revoked', 'Interactivity restored. User may interact with the session!']);
    expect(b.control.notices).toEqual(['Session interaction revoked', 'Interactivity restored. User may interact with the session!']);
    expect(a.live.input(Buffer.from('ls\r'))).toBe(true);
    expect(await h.hub.blockMessage(h.users.owner.id)).toBeNull();
    const after = (await h.inject('GET', '/api/v1/session-blocks', token)).json();
    expect(after.items[0]).toMatchObject({ releasedBy: 'sysadmin', releasedAt: '2026-03-01T09:01:00.000Z', active: false });
    expect(await events(a.live.id)).toEqual(
      expect.arrayContaining([
        { user: 'pamadmin', event: 'Interactivity blocked', note: 'user owner' },
        { user: 'sysadmin', event: 'Interactivity unlocked', note: '' },
      ]),
    );
    expect(await auditActions()).toEqual(expect.arrayContaining(['session.block', 'session.unblock']));
    // Nothing to release any more.
    expect((await h.inject('POST', `/api/v1/sessions/${a.live.id}/unblock`, token)).statusCode).toBe(409);
  });

  it('releases a blocked user from the Users with session block report, even after the session ended', async () => {
    const a = await h.startSession();
    const token = await h.token('pamadmin');
    await h.inject('POST', `/api/v1/sessions/${a.live.id}/block`, token);
    await a.live.end({ exitStatus: 0, reason: 'exit' });
    // Unblock on the session is for live sessions; the report releases the user.
    expect((await h.inject('POST', `/api/v1/sessions/${a.live.id}/unblock`, token)).statusCode).toBe(409);
    expect((await h.inject('POST', `/api/v1/session-blocks/${h.users.owner.id}/release`, await h.token('auditor'))).statusCode).toBe(403);
    const res = await h.inject('POST', `/api/v1/session-blocks/${h.users.owner.id}/release`, token);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ user: 'owner', releasedBy: 'pamadmin', active: false });
    expect(await h.hub.blockMessage(h.users.owner.id)).toBeNull();
    expect((await h.inject('POST', `/api/v1/session-blocks/${h.users.owner.id}/release`, token)).statusCode).toBe(409);
    expect((await h.inject('POST', `/api/v1/session-blocks/999999/release`, token)).statusCode).toBe(404);
    expect(await auditActions()).toContain('user.block.release');
  });
});

describe('prevent purge', () => {
  it('refuses a missing, empty or too long justification with 400 and changes nothing', async () => {
    const s = await h.completedSession();
    const token = await h.token('pamadmin');
    const before = { events: await events(s.id), audit: await auditActions() };
    for (const body of [undefined, {}, { justification: '' }, { justification: '    ' }, { justification: 'x'.repeat(1001) }, { justification: 42 }]) {
      const res = await h.inject('POST', `/api/v1/sessions/${s.id}/prevent-purge`, token, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect((await h.store.sessions.get(s.id))?.preventPurge).toBe(false);
    expect(await events(s.id)).toEqual(before.events);
    expect(await auditActions()).toEqual(before.audit);
  });

  it('protects and unprotects with a justification, as events and audit entries; the list filter finds them', async () => {
    const s = await h.completedSession();
    const other = await h.completedSession();
    const token = await h.token('pamadmin');
    const long = `  ${'j'.repeat(1000)}  `;
    const res = await h.inject('POST', `/api/v1/sessions/${s.id}/prevent-purge`, token, { justification: long });
    expect(res.statusCode).toBe(200);
    expect(res.json().preventPurge).toBe(true);
    expect((await h.inject('POST', `/api/v1/sessions/${s.id}/prevent-purge`, token, { justification: 'again' })).statusCode).toBe(409);
    const protectedIds = (await h.inject('GET', '/api/v1/sessions?preventPurge=true', token)).json().items.map((i: { id: number }) => i.id);
    expect(protectedIds).toEqual([s.id]);
    const unprotected = (await h.inject('GET', '/api/v1/sessions?preventPurge=false', token)).json().items.map((i: { id: number }) => i.id);
    expect(unprotected).toContain(other.id);
    expect(unprotected).not.toContain(s.id);

    const allowed = await h.inject('DELETE', `/api/v1/sessions/${s.id}/prevent-purge`, token, { justification: 'case closed' });
    expect(allowed.statusCode).toBe(200);
    expect(allowed.json().preventPurge).toBe(false);
    expect(await events(s.id)).toEqual(
      expect.arrayContaining([
        { user: 'pamadmin', event: 'Prevent purge', note: 'j'.repeat(1000) },
        { user: 'pamadmin', event: 'Allow purge', note: 'case closed' },
      ]),
    );
    expect(await auditActions()).toEqual(expect.arrayContaining(['session.prevent-purge', 'session.allow-purge']));
  });

  it('works on an active session too, and refuses callers without the permission', async () => {
    const { live } = await h.startSession();
    expect((await h.inject('POST', `/api/v1/sessions/${live.id}/prevent-purge`, await h.token('auditor'), { justification: 'keep' })).statusCode).toBe(403);
    expect((await h.store.sessions.get(live.id))?.preventPurge).toBe(false);
    expect((await h.inject('POST', `/api/v1/sessions/${live.id}/prevent-purge`, await h.token('sysadmin'), { justification: 'keep' })).statusCode).toBe(200);
  });
});

describe('auditors', () => {
  it('refuses an unauthorised caller with 403 and changes nothing', async () => {
    const s = await h.completedSession();
    await h.store.sessions.setAuditors(s.id, [h.users.user.id]);
    for (const who of ['auditor', 'user'] as const) {
      const res = await h.inject('PUT', `/api/v1/sessions/${s.id}/auditors`, await h.token(who), { userIds: [h.users.auditor.id] });
      expect(res.statusCode).toBe(403);
    }
    expect(await h.store.sessions.auditors(s.id)).toEqual([h.users.user.id]);
    expect((await events(s.id)).some((e) => e.event === 'Auditors changed')).toBe(false);
  });

  it('refuses unknown user ids with 400 and changes nothing', async () => {
    const s = await h.completedSession();
    const res = await h.inject('PUT', `/api/v1/sessions/${s.id}/auditors`, await h.token('pamadmin'), { userIds: [h.users.user.id, 999999] });
    expect(res.statusCode).toBe(400);
    expect(res.json().unknownUserIds).toEqual([999999]);
    expect(await h.store.sessions.auditors(s.id)).toEqual([]);
  });

  it('saves the full list, recording who was added and removed', async () => {
    const s = await h.completedSession();
    const token = await h.token('pamadmin');
    const put = (ids: number[]) => h.inject('PUT', `/api/v1/sessions/${s.id}/auditors`, token, { userIds: ids });
    expect((await put([h.users.user.id, h.users.auditor.id])).json().auditors).toEqual([
      { id: h.users.auditor.id, username: 'auditor' },
      { id: h.users.user.id, username: 'user' },
    ]);
    await put([h.users.auditor.id]);
    await put([h.users.auditor.id]);
    const changes = (await events(s.id)).filter((e) => e.event === 'Auditors changed');
    expect(changes).toEqual([
      { user: 'pamadmin', event: 'Auditors changed', note: 'added: user, auditor' },
      { user: 'pamadmin', event: 'Auditors changed', note: 'removed: user' },
    ]);
    expect((await h.inject('GET', `/api/v1/sessions/${s.id}/auditors`, token)).json()).toEqual({ auditors: [{ id: h.users.auditor.id, username: 'auditor' }] });
    expect((await auditActions()).filter((a) => a === 'session.auditors.set')).toHaveLength(2);
  });
});

describe('sessions for an auditor', () => {
  it('shows an auditor without View exactly their sessions, with Session Logs for completed ones', async () => {
    const mine1 = await h.completedSession();
    const mine2 = await h.startSession();
    const notMine = await h.completedSession();
    await h.store.sessions.setAuditors(mine1.id, [h.users.user.id]);
    await h.store.sessions.setAuditors(mine2.live.id, [h.users.user.id]);
    const token = await h.token('user');
    const list = (await h.inject('GET', '/api/v1/sessions', token)).json();
    expect(list.total).toBe(2);
    expect(list.items.map((i: { id: number }) => i.id).sort()).toEqual([mine1.id, mine2.live.id].sort());
    const byId = Object.fromEntries(list.items.map((i: { id: number; actions: string[] }) => [i.id, i.actions]));
    expect(byId[mine1.id]).toEqual(['logs']);
    expect(byId[mine2.live.id]).toEqual([]);
    expect((await h.inject('GET', `/api/v1/sessions/${notMine.id}`, token)).statusCode).toBe(403);
    expect((await h.inject('GET', `/api/v1/sessions/${mine1.id}`, token)).statusCode).toBe(200);
    // A filter cannot widen what they see.
    expect((await h.inject('GET', `/api/v1/sessions?id=${notMine.id}`, token)).json().total).toBe(0);
  });

  it('shows an empty list to a user who neither has View nor audits any session, and their session once named auditor', async () => {
    const s = await h.completedSession();
    const token = await h.token('user');
    const empty = await h.inject('GET', '/api/v1/sessions', token);
    expect(empty.statusCode).toBe(200);
    expect(empty.json()).toMatchObject({ items: [], total: 0 });
    expect((await h.inject('GET', `/api/v1/sessions/${s.id}`, token)).statusCode).toBe(403);
    await h.store.sessions.setAuditors(s.id, [h.users.user.id]);
    expect((await h.inject('GET', '/api/v1/sessions', token)).json().items.map((i: { id: number }) => i.id)).toEqual([s.id]);
  });

  it('pages 30 by default, sorts, and filters', async () => {
    for (let i = 0; i < 32; i++) {
      h.clock.advance(1000);
      await h.completedSession();
    }
    const token = await h.token('auditor');
    const first = (await h.inject('GET', '/api/v1/sessions', token)).json();
    expect(first).toMatchObject({ total: 32, page: 1, pageSize: 30 });
    expect(first.items).toHaveLength(30);
    const second = (await h.inject('GET', '/api/v1/sessions?page=2', token)).json();
    expect(second.items).toHaveLength(2);
    const asc = (await h.inject('GET', '/api/v1/sessions?sort=startedAt&order=asc&pageSize=3', token)).json();
    expect(asc.items.map((i: { startedAt: string }) => i.startedAt)).toEqual(['2026-03-01T09:00:01.000Z', '2026-03-01T09:00:02.000Z', '2026-03-01T09:00:03.000Z']);
    expect((await h.inject('GET', '/api/v1/sessions?status=active', token)).json().total).toBe(0);
    const ranged = (await h.inject('GET', '/api/v1/sessions?startFrom=2026-03-01T09:00:30Z&startTo=2026-03-01', token)).json();
    expect(ranged.total).toBe(3);
    const item = first.items[0];
    expect(Object.keys(item).sort()).toEqual(
      [
        'id', 'sessionId', 'user', 'originIp', 'credential', 'device', 'host', 'protocol', 'type', 'command', 'status', 'startedAt', 'endedAt', 'durationSeconds',
        'exitStatus', 'bytesIn', 'bytesOut', 'endReason', 'errorMessage', 'droppedBy', 'recordingSize', 'recordingDuration', 'recordingSha256', 'recordingStoredSize', 'preventPurge', 'purgedAt', 'blocked', 'actions',
      ].sort(),
    );
    expect(item).toMatchObject({ user: 'owner', device: 'web01', credential: 'root', originIp: '192.0.2.10', protocol: 'SSH', status: 'completed', recordingSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });
});
