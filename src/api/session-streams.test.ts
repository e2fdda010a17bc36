// The two pushed streams over a real listening server: session changes (SSE) and the Live Stream WebSocket.

import http from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createHarness, PASSWORD, type Harness } from '../../test/helpers/api-harness.js';

let h: Harness;
let base: string;
beforeEach(async () => {
  h = await createHarness();
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = h.app.server.address() as { port: number };
  base = `127.0.0.1:${addr.port}`;
});
afterEach(async () => {
  await h.close();
});

/** An open SSE stream: parsed `data:` payloads, each awaited in turn. */
function openEvents(token: string): Promise<{ status: number; next(): Promise<Record<string, unknown>>; close(): void }> {
  return new Promise((resolve, reject) => {
    const req = http.get(`http://${base}/api/v1/sessions/events`, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      const queue: Array<Record<string, unknown>> = [];
      const waiters: Array<(m: Record<string, unknown>) => void> = [];
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (!data) continue;
          const msg = JSON.parse(data.slice(6)) as Record<string, unknown>;
          const w = waiters.shift();
          if (w) w(msg);
          else queue.push(msg);
        }
      });
      resolve({
        status: res.statusCode ?? 0,
        next: () => new Promise((r) => (queue.length ? r(queue.shift()!) : waiters.push(r))),
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
  });
}

describe('GET /sessions/events', () => {
  it('pushes new and changed sessions to each caller as they may see them, and nothing else', async () => {
    const audited = await h.completedSession();
    await h.store.sessions.setAuditors(audited.id, [h.users.user.id]);
    const admin = await openEvents(await h.token('pamadmin'));
    const user = await openEvents(await h.token('user'));
    expect(admin.status).toBe(200);
    expect(user.status).toBe(200);

    const { live } = await h.startSession();
    const started = await admin.next();
    expect(started).toMatchObject({ kind: 'started', id: live.id, session: { id: live.id, status: 'active', actions: ['livestream', 'drop', 'block', 'preventPurge', 'auditors'] } });

    // The user does not see that session until made its auditor; then it arrives as an update, with their own actions.
    await h.inject('PUT', `/api/v1/sessions/${live.id}/auditors`, await h.token('pamadmin'), { userIds: [h.users.user.id] });
    expect(await admin.next()).toMatchObject({ kind: 'updated', id: live.id });
    const first = await user.next();
    expect(first).toMatchObject({ kind: 'updated', id: live.id, session: { id: live.id, actions: [] } });

    await h.inject('PUT', `/api/v1/sessions/${live.id}/auditors`, await h.token('pamadmin'), { userIds: [] });
    expect(await user.next()).toEqual({ kind: 'removed', id: live.id, session: null });

    await live.end({ exitStatus: 0, reason: 'exit' });
    await admin.next(); // the auditors change
    expect(await admin.next()).toMatchObject({ kind: 'ended', id: live.id, session: { status: 'completed' } });
    admin.close();
    user.close();
  });

  it('opens for a user who audits no session yet, and brings a session once they are named its auditor', async () => {
    const user = await openEvents(await h.token('user'));
    expect(user.status).toBe(200);
    const { live } = await h.startSession();
    await h.inject('PUT', `/api/v1/sessions/${live.id}/auditors`, await h.token('pamadmin'), { userIds: [h.users.user.id] });
    // The session's start was not theirs to see: the first event they get is the one that made it visible.
    expect(await user.next()).toMatchObject({ kind: 'updated', id: live.id, session: { id: live.id } });
    await live.end({ exitStatus: 0, reason: 'exit' });
    user.close();
  });
});

function connect(path: string, headers: Record<string, string>): Promise<{ ws: WebSocket; messages: Array<Record<string, unknown>>; next(): Promise<Record<string, unknown>>; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${base}${path}`, { headers });
    const messages: Array<Record<string, unknown>> = [];
    const waiters: Array<(m: Record<string, unknown>) => void> = [];
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as Record<string, unknown>;
      messages.push(msg);
      waiters.shift()?.(msg);
    });
    ws.on('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.on('error', reject);
    ws.on('open', () => {
      let read = 0;
      resolve({
        ws,
        messages,
        closed,
        next: () => new Promise((r) => (messages.length > read ? r(messages[read++]!) : waiters.push((m) => (read++, r(m))))),
      });
    });
  });
}

describe('GET /sessions/{id}/live', () => {
  it('sends the current screen, then live output, then the end; silent to the user and logged', async () => {
    const { live, control } = await h.startSession();
    const viewer = await connect(`/api/v1/sessions/${live.id}/live`, { authorization: `Bearer ${await h.token('auditor')}` });
    expect(await viewer.next()).toEqual({ type: 'snapshot', cols: 80, rows: 24, data: '', seq: 0 });
    live.output(Buffer.from('hello\r\n'));
    expect(await viewer.next()).toEqual({ type: 'output', data: 'hello\r\n', seq: 1 });
    live.resize(120, 40);
    expect(await viewer.next()).toEqual({ type: 'resize', cols: 120, rows: 40 });
    expect(control.notices).toEqual([]);
    const events = await h.store.events.forSession(live.id);
    expect(events.map((e) => [e.user, e.event])).toContainEqual(['auditor', 'Live Stream']);
    expect((await h.store.audit.list()).some((e) => e.action === 'session.livestream' && e.actor === 'auditor')).toBe(true);
    await live.end({ exitStatus: 0, reason: 'exit' });
    expect(await viewer.next()).toEqual({ type: 'end', status: 'ended' });
    expect(await viewer.closed).toBe(1000);
  });

  it('answers refusals before the upgrade: 403 without the right, 409 for a completed session, 401 unauthenticated', async () => {
    const { live } = await h.startSession();
    const done = await h.completedSession();
    await h.store.sessions.setAuditors(live.id, [h.users.user.id]);
    await expect(connect(`/api/v1/sessions/${live.id}/live`, { authorization: `Bearer ${await h.token('user')}` })).rejects.toThrow('HTTP 403');
    await expect(connect(`/api/v1/sessions/${done.id}/live`, { authorization: `Bearer ${await h.token('auditor')}` })).rejects.toThrow('HTTP 409');
    await expect(connect(`/api/v1/sessions/${live.id}/live`, {})).rejects.toThrow('HTTP 401');
    await expect(connect(`/api/v1/sessions/999999/live`, { authorization: `Bearer ${await h.token('auditor')}` })).rejects.toThrow('HTTP 404');
    expect((await h.store.events.forSession(live.id)).some((e) => e.event === 'Live Stream')).toBe(false);
  });

  it('accepts the browser cookie from the same origin only', async () => {
    const { live } = await h.startSession();
    const { token } = await h.auth.login('auditor', PASSWORD);
    const cookie = `vigil_session=${token}`;
    await expect(connect(`/api/v1/sessions/${live.id}/live`, { cookie, origin: 'http://evil.example' })).rejects.toThrow('HTTP 403');
    const viewer = await connect(`/api/v1/sessions/${live.id}/live`, { cookie, origin: `http://${base}` });
    expect((await viewer.next()).type).toBe('snapshot');
    viewer.ws.close();
  });
});
