// Session Logs, search across sessions, command rules and Sessions for audit, through the real API over a real store.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../test/helpers/api-harness.js';
import type { SessionRecord } from '../core/types.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.close();
});

const get = async (who: Parameters<Harness['token']>[0], url: string) => h.inject('GET', url, await h.token(who));

/** A completed session that displayed `lines` and ran `commands`. */
async function sessionWith(lines: string[], commands: Array<{ command: string; criticality?: 'low' | 'medium' | 'high'; rule?: string; outcome?: 'executed' | 'denied' }>): Promise<SessionRecord> {
  const { live } = await h.startSession();
  live.output(Buffer.from(lines.map((l) => `${l}\r\n`).join('')));
  for (const [i, c] of commands.entries()) {
    await h.commands.add({
      sessionId: live.id,
      at: new Date(live.record.startedAt.getTime() + (i + 1) * 1000),
      offset: i + 1,
      command: c.command,
      source: 'shell',
      outcome: c.outcome ?? 'executed',
      ruleName: c.rule ?? null,
      criticality: c.criticality ?? null,
      action: c.rule ? (c.outcome === 'denied' ? 'deny' : 'allow_log') : null,
    });
  }
  await h.store.search.addLines([...commands.map((c, i) => ({ sessionId: live.id, offset: i + 1, kind: 'command' as const, text: c.command })), ...lines.map((text) => ({ sessionId: live.id, offset: 0.5, kind: 'output' as const, text }))]);
  return live.end({ exitStatus: 0, reason: 'exit' });
}

describe('GET /sessions/{id}/logs', () => {
  it('shows session and user info, commands with their risk, events, and writes a Log viewer event', async () => {
    const s = await sessionWith(['hello from the target'], [
      { command: 'ls -la' },
      { command: 'cat /etc/shadow', criticality: 'high', rule: 'shadow' },
      { command: 'rm -rf /', criticality: 'medium', rule: 'no-rm', outcome: 'denied' },
    ]);
    const res = await get('auditor', `/api/v1/sessions/${s.id}/logs`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.session).toMatchObject({ id: s.id, sessionId: s.sessionId, type: 'SSH shell', host: 'web01.example:22', username: 'root', status: 'completed', errorMessage: null });
    expect(body.user).toEqual({ user: 'owner', userIp: '192.0.2.10' });
    expect(body.commands.map((c: { command: string; rule: string | null; criticality: string | null; outcome: string }) => [c.command, c.rule, c.criticality, c.outcome])).toEqual([
      ['ls -la', null, null, 'executed'],
      ['cat /etc/shadow', 'shadow', 'high', 'executed'],
      ['rm -rf /', 'no-rm', 'medium', 'denied'],
    ]);
    expect(body.risk).toEqual({ score: 12, max: 'high', matches: 2 });
    expect(body.fileTransfers).toEqual([]);
    expect(body.events.map((e: { event: string; user: string }) => [e.event, e.user])).toEqual([
      ['Started', 'owner'],
      ['Terminated', 'owner'],
      ['Log viewer', 'auditor'],
    ]);
  });

  it('searches what was typed and displayed, from the recording, with times', async () => {
    const s = await sessionWith(['first line', 'the DATABASE password is in vault', 'last line'], [{ command: 'grep -i database app.conf' }]);
    const res = await get('auditor', `/api/v1/sessions/${s.id}/logs?q=database`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.search).toEqual({ q: 'database', truncated: false, source: 'recording' });
    expect(body.matches.map((m: { kind: string; text: string }) => [m.kind, m.text])).toEqual([
      ['output', 'the DATABASE password is in vault'],
      ['command', 'grep -i database app.conf'],
    ]);
    expect(new Date(body.matches[1].at).getTime()).toBe(s.startedAt.getTime() + 1000);
    expect((await h.store.events.forSession(s.id)).at(-1)).toMatchObject({ event: 'Log viewer', note: 'search: database' });
  });

  it('exports CSV, formulas defused', async () => {
    const s = await sessionWith([], [{ command: '=HYPERLINK("http://x")' }, { command: 'echo "a, b"' }]);
    const res = await get('auditor', `/api/v1/sessions/${s.id}/logs?format=csv`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toContain(`session-${s.id}-logs.csv`);
    const lines = res.body.split('\r\n');
    expect(lines[0]).toBe('section,time,offset_seconds,user,item,detail,criticality,rule');
    expect(res.body).toContain(`command,${new Date(s.startedAt.getTime() + 1000).toISOString()},1,owner,"'=HYPERLINK(""http://x"")",executed,,`);
    expect(res.body).toContain('"echo ""a, b"""');
    expect(res.body).toContain('user,,,owner,User IP,192.0.2.10,,');
  });

  it('is for completed sessions (409 while active), Logs permission or auditors of the session', async () => {
    const { live } = await h.startSession();
    expect((await get('auditor', `/api/v1/sessions/${live.id}/logs`)).statusCode).toBe(409);
    await live.end({ exitStatus: 0, reason: 'exit' });
    expect((await get('user', `/api/v1/sessions/${live.id}/logs`)).statusCode).toBe(403);
    expect((await get('owner', `/api/v1/sessions/${live.id}/logs`)).statusCode).toBe(403);
    await h.store.sessions.setAuditors(live.id, [h.users.user.id]);
    expect((await get('user', `/api/v1/sessions/${live.id}/logs`)).statusCode).toBe(200);
    expect((await get('sysadmin', '/api/v1/sessions/999999/logs')).statusCode).toBe(404);
    expect((await get('sysadmin', `/api/v1/sessions/${live.id}/logs?q=${'x'.repeat(201)}`)).statusCode).toBe(400);
  });
});

describe('GET /search', () => {
  it('finds sessions by typed or displayed text, only among those the caller may see', async () => {
    const a = await sessionWith(['kernel: unique-marker-alpha seen'], []);
    const b = await sessionWith([], [{ command: 'echo unique-marker-alpha' }]);
    const res = await get('auditor', '/api/v1/search?q=unique-marker-alpha');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.sessions.map((s: { session: { id: number } }) => s.session.id)).toEqual([b.id, a.id]);
    expect(body.sessions[0].matches[0]).toMatchObject({ kind: 'command', text: 'echo unique-marker-alpha', offset: 1 });
    expect(body.sessions[0].session.actions).toContain('logs');
    // A PAM User sees only the sessions they audit, and none at all when they audit none.
    await h.store.sessions.setAuditors(a.id, [h.users.owner.id]);
    const mine = (await get('owner', '/api/v1/search?q=unique-marker-alpha')).json();
    expect(mine.sessions.map((s: { session: { id: number } }) => s.session.id)).toEqual([a.id]);
    const created = await h.inject('POST', '/api/v1/users', await h.token('sysadmin'), { username: 'nobody', password: 'correct-horse-battery', roles: ['PAM User'] });
    expect(created.statusCode).toBe(201);
    const tok = (await h.auth.login('nobody', 'correct-horse-battery')).token;
    expect((await h.inject('GET', '/api/v1/search?q=unique', tok)).statusCode).toBe(403);
    expect((await get('auditor', '/api/v1/search?q=')).statusCode).toBe(400);
  });
});

describe('command rules', () => {
  it('are managed by administrators, read by reviewers, and validated', async () => {
    const add = async (who: 'pamadmin' | 'auditor', body: unknown) => h.inject('POST', '/api/v1/command-rules', await h.token(who), body);
    const created = await add('pamadmin', { name: 'no-rm', pattern: String.raw`^rm\s+-rf`, scope: 'device:web01', criticality: 'high', action: 'deny' });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ name: 'no-rm', scope: 'device:web01', action: 'deny', createdBy: 'pamadmin' });
    expect((await add('pamadmin', { name: 'no-rm', pattern: 'x' })).statusCode).toBe(409);
    expect((await add('pamadmin', { name: 'bad', pattern: '(a+)+' })).json().detail).toContain('exponential');
    expect((await add('pamadmin', { name: 'bad', pattern: '(' })).statusCode).toBe(400);
    expect((await add('pamadmin', { name: 'bad', pattern: 'x', scope: 'planet:mars' })).statusCode).toBe(400);
    expect((await add('auditor', { name: 'x', pattern: 'x' })).statusCode).toBe(403);
    const list = await get('auditor', '/api/v1/command-rules');
    expect(list.json().items.map((r: { name: string }) => r.name)).toEqual(['no-rm']);
    expect((await get('user', '/api/v1/command-rules')).statusCode).toBe(403);
    expect((await h.inject('DELETE', '/api/v1/command-rules/no-rm', await h.token('auditor'))).statusCode).toBe(403);
    expect((await h.inject('DELETE', '/api/v1/command-rules/no-rm', await h.token('sysadmin'))).statusCode).toBe(200);
    expect((await h.inject('DELETE', '/api/v1/command-rules/no-rm', await h.token('sysadmin'))).statusCode).toBe(404);
    const trail = await h.store.audit.list({ limit: 5 });
    expect(trail.map((e) => e.action)).toContain('command-rule.remove');
  });
});

describe('Sessions for audit', () => {
  it('lists my sessions with Audited? yes/no, takes comments (≤ 500) and the audit mark, each an event', async () => {
    const s = await sessionWith([], []);
    await h.store.sessions.setAuditors(s.id, [h.users.user.id, h.users.auditor.id]);
    const tok = await h.token('user');
    const list = (await h.inject('GET', '/api/v1/audit/sessions', tok)).json();
    expect(list.items.find((i: { id: number }) => i.id === s.id)).toMatchObject({ audited: false, auditedAt: null, actions: ['logs'] });

    const c = await h.inject('POST', `/api/v1/audit/sessions/${s.id}/comments`, tok, { text: '  Reviewed the restart.  ' });
    expect(c.statusCode).toBe(201);
    expect(c.json()).toMatchObject({ user: 'user', text: 'Reviewed the restart.' });
    // The console's older field name is accepted too.
    expect((await h.inject('POST', `/api/v1/audit/sessions/${s.id}/comments`, tok, { comment: 'second' })).statusCode).toBe(201);
    expect((await h.inject('POST', `/api/v1/audit/sessions/${s.id}/comments`, tok, { text: 'x'.repeat(501) })).statusCode).toBe(400);
    expect((await h.inject('POST', `/api/v1/audit/sessions/${s.id}/comments`, tok, { text: '   ' })).statusCode).toBe(400);
    expect((await h.inject('POST', `/api/v1/audit/sessions/${s.id}/comments`, await h.token('pamadmin'), { text: 'not mine' })).statusCode).toBe(403);

    const a = await h.inject('POST', `/api/v1/audit/sessions/${s.id}/audited`, tok);
    expect(a.statusCode).toBe(200);
    expect(a.json()).toMatchObject({ id: s.id, audited: true });
    expect((await h.inject('POST', `/api/v1/audit/sessions/${s.id}/audited`, tok)).statusCode).toBe(409);
    const again = (await h.inject('GET', '/api/v1/audit/sessions', tok)).json();
    expect(again.items.find((i: { id: number }) => i.id === s.id)).toMatchObject({ audited: true });

    const detail = (await h.inject('GET', `/api/v1/audit/sessions/${s.id}`, await h.token('auditor'))).json();
    expect(detail.auditors).toEqual([
      expect.objectContaining({ username: 'auditor', audited: false }),
      expect.objectContaining({ username: 'user', audited: true }),
    ]);
    expect(detail.comments.map((x: { user: string; text: string }) => [x.user, x.text])).toEqual([
      ['user', 'Reviewed the restart.'],
      ['user', 'second'],
    ]);
    expect((await h.inject('GET', `/api/v1/audit/sessions/${s.id}`, await h.token('owner'))).statusCode).toBe(403);
    const events = (await h.store.events.forSession(s.id)).map((e) => [e.event, e.user, e.note]);
    expect(events).toContainEqual(['Comment', 'user', 'Reviewed the restart.']);
    expect(events).toContainEqual(['Audited', 'user', '']);
    expect((await h.inject('POST', '/api/v1/audit/sessions/999999/audited', tok)).statusCode).toBe(404);
  });
});
