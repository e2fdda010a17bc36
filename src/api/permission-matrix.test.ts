// The permission matrix of SPEC section 1: every route × each seeded role × auditor or not × active or completed session.
// Expectations are written out by hand from the SPEC (not derived from permissions.ts), so a wrong rule table fails here.

import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createHarness, type Harness, type RoleKey } from '../../test/helpers/api-harness.js';

/** 'hidden': answered 200, but the session is not in what the caller gets (lists). */
type Outcome = 'ok' | 'hidden' | 403 | 409;
type State = 'active' | 'completed';
/** Expected outcome for [auditor of the session][state]. */
type ByFacts = { auditor: Record<State, Outcome>; other: Record<State, Outcome> };

const all = (o: Outcome): ByFacts => ({ auditor: { active: o, completed: o }, other: { active: o, completed: o } });
/** Only while active (409 once completed), whether auditor or not. */
const activeOnly: ByFacts = { auditor: { active: 'ok', completed: 409 }, other: { active: 'ok', completed: 409 } };
/** Visible to an auditor of the session only. */
const auditorOnly: ByFacts = { auditor: { active: 'ok', completed: 'ok' }, other: { active: 403, completed: 403 } };
/** In a list only for an auditor of the session; others get a list without it. */
const listedForAuditorOnly: ByFacts = { auditor: { active: 'ok', completed: 'ok' }, other: { active: 'hidden', completed: 'hidden' } };
/** Session Logs: completed sessions only (409 while active). */
const completedOnly: ByFacts = { auditor: { active: 409, completed: 'ok' }, other: { active: 409, completed: 'ok' } };
const completedAuditorOnly: ByFacts = { auditor: { active: 409, completed: 'ok' }, other: { active: 403, completed: 403 } };
/** 201 Created counts as ok. */
const created = (code: number) => (code === 201 ? 200 : code);

interface SessionRoute {
  name: string;
  /** Issues the request for session `id` as `token`; returns the HTTP status (101 for an accepted WebSocket). */
  call(id: number, token: string): Promise<number>;
  /** Prepares the session (e.g. block it before unblock). */
  setup?(id: number, state: State): Promise<void>;
  /** For list-like routes: whether the answer must contain the session. */
  lists?: boolean;
  expect: Record<RoleKey, ByFacts>;
}

let h: Harness;
let base: string;
const req = (method: string, url: string, token: string, body?: unknown) => h.inject(method, url, token, body);

/** Status of an SSE request, without reading the stream. */
function sseStatus(token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const r = http.get(`http://${base}/api/v1/sessions/events`, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      resolve(res.statusCode ?? 0);
      r.destroy();
    });
    r.on('error', (err) => (err.message.includes('socket hang up') ? undefined : reject(err)));
  });
}

/** 101 when the WebSocket opened, else the HTTP status of the refusal. */
function wsStatus(id: number, token: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://${base}/api/v1/sessions/${id}/live`, { headers: { authorization: `Bearer ${token}` } });
    ws.on('upgrade', () => resolve(101));
    ws.on('open', () => ws.close());
    ws.on('unexpected-response', (_q, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    ws.on('error', () => undefined);
  });
}

const SESSION_ROUTES: SessionRoute[] = [
  {
    name: 'GET /sessions/{id}',
    call: async (id, t) => (await req('GET', `/api/v1/sessions/${id}`, t)).statusCode,
    expect: { sysadmin: all('ok'), pamadmin: all('ok'), auditor: all('ok'), user: auditorOnly },
  },
  {
    name: 'GET /sessions',
    lists: true,
    call: async (id, t) => {
      const res = await req('GET', `/api/v1/sessions?pageSize=200`, t);
      if (res.statusCode !== 200) return res.statusCode;
      return res.json().items.some((i: { id: number }) => i.id === id) ? 200 : -1;
    },
    expect: { sysadmin: all('ok'), pamadmin: all('ok'), auditor: all('ok'), user: listedForAuditorOnly },
  },
  {
    // Open to every signed-in user; what each one receives is filtered (session-streams.test.ts).
    name: 'GET /sessions/events',
    call: (_id, t) => sseStatus(t),
    expect: { sysadmin: all('ok'), pamadmin: all('ok'), auditor: all('ok'), user: all('ok') },
  },
  {
    name: 'GET /sessions/{id}/live',
    call: (id, t) => wsStatus(id, t),
    expect: { sysadmin: activeOnly, pamadmin: activeOnly, auditor: activeOnly, user: all(403) },
  },
  {
    name: 'POST /sessions/{id}/drop',
    call: async (id, t) => (await req('POST', `/api/v1/sessions/${id}/drop`, t, {})).statusCode,
    expect: { sysadmin: activeOnly, pamadmin: activeOnly, auditor: all(403), user: all(403) },
  },
  {
    name: 'POST /sessions/{id}/block',
    call: async (id, t) => (await req('POST', `/api/v1/sessions/${id}/block`, t)).statusCode,
    expect: { sysadmin: activeOnly, pamadmin: activeOnly, auditor: all(403), user: all(403) },
  },
  {
    name: 'POST /sessions/{id}/unblock',
    setup: async (id, state) => {
      if (state === 'active') await h.hub.block(id, { userId: null, username: 'setup' });
    },
    call: async (id, t) => (await req('POST', `/api/v1/sessions/${id}/unblock`, t)).statusCode,
    expect: { sysadmin: activeOnly, pamadmin: activeOnly, auditor: all(403), user: all(403) },
  },
  {
    name: 'POST /sessions/{id}/prevent-purge',
    call: async (id, t) => (await req('POST', `/api/v1/sessions/${id}/prevent-purge`, t, { justification: 'legal hold' })).statusCode,
    expect: { sysadmin: all('ok'), pamadmin: all('ok'), auditor: all(403), user: all(403) },
  },
  {
    name: 'DELETE /sessions/{id}/prevent-purge',
    setup: (id) => h.store.sessions.setPreventPurge(id, true),
    call: async (id, t) => (await req('DELETE', `/api/v1/sessions/${id}/prevent-purge`, t, { justification: 'released' })).statusCode,
    expect: { sysadmin: all('ok'), pamadmin: all('ok'), auditor: all(403), user: all(403) },
  },
  {
    name: 'GET /sessions/{id}/auditors',
    call: async (id, t) => (await req('GET', `/api/v1/sessions/${id}/auditors`, t)).statusCode,
    expect: { sysadmin: all('ok'), pamadmin: all('ok'), auditor: all(403), user: all(403) },
  },
  {
    name: 'PUT /sessions/{id}/auditors',
    call: async (id, t) => {
      const current = await h.store.sessions.auditors(id);
      return (await req('PUT', `/api/v1/sessions/${id}/auditors`, t, { userIds: [...current, h.users.sysadmin.id] })).statusCode;
    },
    expect: { sysadmin: all('ok'), pamadmin: all('ok'), auditor: all(403), user: all(403) },
  },
  {
    name: 'GET /sessions/{id}/logs',
    call: async (id, t) => (await req('GET', `/api/v1/sessions/${id}/logs`, t)).statusCode,
    expect: { sysadmin: completedOnly, pamadmin: completedOnly, auditor: completedOnly, user: completedAuditorOnly },
  },
  {
    name: 'GET /audit/sessions/{id}',
    call: async (id, t) => (await req('GET', `/api/v1/audit/sessions/${id}`, t)).statusCode,
    expect: { sysadmin: all('ok'), pamadmin: all('ok'), auditor: all('ok'), user: auditorOnly },
  },
  {
    name: 'POST /audit/sessions/{id}/comments',
    call: async (id, t) => created((await req('POST', `/api/v1/audit/sessions/${id}/comments`, t, { text: 'reviewed' })).statusCode),
    expect: { sysadmin: auditorOnly, pamadmin: auditorOnly, auditor: auditorOnly, user: auditorOnly },
  },
  {
    name: 'POST /audit/sessions/{id}/audited',
    call: async (id, t) => (await req('POST', `/api/v1/audit/sessions/${id}/audited`, t)).statusCode,
    expect: { sysadmin: auditorOnly, pamadmin: auditorOnly, auditor: auditorOnly, user: auditorOnly },
  },
];

const ROLES: RoleKey[] = ['sysadmin', 'pamadmin', 'auditor', 'user'];

beforeAll(async () => {
  h = await createHarness();
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  base = `127.0.0.1:${(h.app.server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await h.close();
});

async function cleanup(): Promise<void> {
  for (const live of h.hub.list()) await live.end({ exitStatus: 0, reason: 'test cleanup' });
  await h.store.blocks.release(h.users.owner.id, 'test', h.clock.now());
}

const cases = SESSION_ROUTES.flatMap((route) =>
  ROLES.flatMap((role) =>
    (['auditor', 'other'] as const).flatMap((facts) => (['active', 'completed'] as const).map((state) => ({ route, role, facts, state, expected: route.expect[role][facts][state] }))),
  ),
);

describe('session routes', () => {
  it.each(cases.map((c) => [`${c.route.name} as ${c.role}, ${c.facts === 'auditor' ? 'auditor' : 'not auditor'}, ${c.state} → ${c.expected}`, c] as const))('%s', async (_name, c) => {
    const id = c.state === 'active' ? (await h.startSession()).live.id : (await h.completedSession()).id;
    try {
      if (c.facts === 'auditor') await h.store.sessions.setAuditors(id, [h.users[c.role].id]);
      await c.route.setup?.(id, c.state);
      const status = await c.route.call(id, await h.token(c.role));
      const okStatus = c.route.name.endsWith('/live') ? 101 : 200;
      expect(status).toBe(c.expected === 'ok' ? okStatus : c.expected === 'hidden' ? -1 : c.expected);
    } finally {
      await h.store.sessions.setAuditors(id, []);
      await cleanup();
    }
  });
});

// ---- routes that do not concern one session: allowed roles only ----

interface PlainRoute {
  name: string;
  call(token: string, n: number): Promise<number>;
  allowed: readonly RoleKey[];
}

const ADMINS: readonly RoleKey[] = ['sysadmin'];
const VAULT: readonly RoleKey[] = ['sysadmin', 'pamadmin'];
const EVERYONE: readonly RoleKey[] = ROLES;
const status = async (method: string, url: string, t: string, body?: unknown) => (await req(method, url, t, body)).statusCode;
const device = (n: number) => h.store.devices.create({ name: `dev${n}`, host: `10.0.0.${n % 250}`, port: 22, hostKey: null, trustOnFirstUse: true });
const credential = async (n: number) => h.store.credentials.create((await device(n)).id, 'root', 'password', 'sealed');

const PLAIN_ROUTES: PlainRoute[] = [
  { name: 'GET /auth/me', allowed: EVERYONE, call: (t) => status('GET', '/api/v1/auth/me', t) },
  { name: 'GET /healthz', allowed: EVERYONE, call: (t) => status('GET', '/api/v1/healthz', t) },
  { name: 'GET /session-blocks', allowed: ['sysadmin', 'pamadmin', 'auditor'], call: (t) => status('GET', '/api/v1/session-blocks', t) },
  {
    name: 'POST /session-blocks/{userId}/release',
    allowed: VAULT,
    call: async (t) => {
      await h.store.blocks.add({ userId: h.users.owner.id, sessionId: null, blockedBy: 'setup', blockedAt: h.clock.now() });
      try {
        return await status('POST', `/api/v1/session-blocks/${h.users.owner.id}/release`, t);
      } finally {
        await h.store.blocks.release(h.users.owner.id, 'test', h.clock.now());
      }
    },
  },
  { name: 'GET /command-rules', allowed: ['sysadmin', 'pamadmin', 'auditor'], call: (t) => status('GET', '/api/v1/command-rules', t) },
  { name: 'POST /command-rules', allowed: VAULT, call: async (t, n) => created(await status('POST', '/api/v1/command-rules', t, { name: `rule${n}`, pattern: '^x' })) },
  { name: 'GET /search', allowed: ['sysadmin', 'pamadmin', 'auditor'], call: (t) => status('GET', '/api/v1/search?q=anything', t) },
  { name: 'GET /audit/sessions', allowed: EVERYONE, call: (t) => status('GET', '/api/v1/audit/sessions', t) },
  { name: 'GET /users', allowed: VAULT, call: (t) => status('GET', '/api/v1/users', t) },
  { name: 'POST /users', allowed: ADMINS, call: (t, n) => status('POST', '/api/v1/users', t, { username: `new${n}`, password: 'long-enough-pw' }) },
  { name: 'PATCH /users/{id}', allowed: ADMINS, call: (t) => status('PATCH', `/api/v1/users/${h.users.owner.id}`, t, { roles: ['PAM User'] }) },
  { name: 'GET /roles', allowed: ADMINS, call: (t) => status('GET', '/api/v1/roles', t) },
  { name: 'POST /roles', allowed: ADMINS, call: (t, n) => status('POST', '/api/v1/roles', t, { name: `Role ${n}`, permissions: ['PAM.SessionManagement.View'] }) },
  {
    name: 'DELETE /roles/{name}',
    allowed: ADMINS,
    call: async (t, n) => {
      await h.store.roles.upsert(`Temp ${n}`, []);
      return status('DELETE', `/api/v1/roles/${encodeURIComponent(`Temp ${n}`)}`, t);
    },
  },
  { name: 'GET /devices', allowed: VAULT, call: (t) => status('GET', '/api/v1/devices', t) },
  { name: 'POST /devices', allowed: VAULT, call: (t, n) => status('POST', '/api/v1/devices', t, { name: `d${n}`, host: 'db.example', trustOnFirstUse: true }) },
  { name: 'DELETE /devices/{id}', allowed: VAULT, call: async (t, n) => status('DELETE', `/api/v1/devices/${(await device(n)).id}`, t) },
  { name: 'GET /credentials', allowed: VAULT, call: (t) => status('GET', '/api/v1/credentials', t) },
  {
    name: 'POST /credentials',
    allowed: VAULT,
    call: async (t, n) => status('POST', '/api/v1/credentials', t, { device: (await device(n)).name, account: 'admin', password: 's3cret!' }),
  },
  { name: 'DELETE /credentials/{id}', allowed: VAULT, call: async (t, n) => status('DELETE', `/api/v1/credentials/${(await credential(n)).id}`, t) },
  { name: 'GET /grants', allowed: VAULT, call: (t) => status('GET', '/api/v1/grants', t) },
  { name: 'POST /grants', allowed: VAULT, call: async (t, n) => status('POST', '/api/v1/grants', t, { userId: h.users.owner.id, credentialId: (await credential(n)).id }) },
  {
    name: 'DELETE /grants/{id}',
    allowed: VAULT,
    call: async (t, n) => status('DELETE', `/api/v1/grants/${(await h.store.grants.add(h.users.owner.id, (await credential(n)).id, false)).id}`, t),
  },
  { name: 'GET /audit-trail', allowed: ADMINS, call: (t) => status('GET', '/api/v1/audit-trail', t) },
  { name: 'GET /audit-trail/verify', allowed: ADMINS, call: (t) => status('GET', '/api/v1/audit-trail/verify', t) },
  { name: 'GET /settings', allowed: ADMINS, call: (t) => status('GET', '/api/v1/settings', t) },
  { name: 'PUT /settings/{key}', allowed: ADMINS, call: (t) => status('PUT', '/api/v1/settings/retention.days', t, { value: 120 }) },
  { name: 'GET /metrics', allowed: ADMINS, call: (t) => status('GET', '/api/v1/metrics', t) },
  { name: 'POST /auth/logout', allowed: EVERYONE, call: (t) => status('POST', '/api/v1/auth/logout', t) },
];

let counter = 0;
const plainCases = PLAIN_ROUTES.flatMap((route) => ROLES.map((role) => ({ route, role, allowed: route.allowed.includes(role) })));

describe('other routes', () => {
  it.each(plainCases.map((c) => [`${c.route.name} as ${c.role} → ${c.allowed ? 'allowed' : 403}`, c] as const))('%s', async (_name, c) => {
    const code = await c.route.call(await h.token(c.role), ++counter);
    if (c.allowed) expect([200, 201]).toContain(code);
    else expect(code).toBe(403);
  });
});

describe('custom roles', () => {
  it('Live Stream needs a viewing role as well as the permission; other actions need only their permission', async () => {
    await h.store.roles.upsert('Watcher', ['PAM.SessionManagement.View', 'PAM.SessionManagement.Livestream', 'PAM.SessionManagement.Drop']);
    await h.store.users.setRoles(h.users.user.id, ['Watcher']);
    try {
      const t = await h.token('user');
      const { live } = await h.startSession();
      expect(await wsStatus(live.id, t)).toBe(403);
      expect((await req('GET', `/api/v1/sessions/${live.id}`, t)).json().actions).toEqual(['drop']);
      expect(await status('POST', `/api/v1/sessions/${live.id}/drop`, t, {})).toBe(200);
    } finally {
      await h.store.users.setRoles(h.users.user.id, ['PAM User']);
      await cleanup();
    }
  });
});
