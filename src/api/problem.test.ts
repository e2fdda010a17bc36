// Every error is an RFC 9457 problem document with the right status; plus security headers and the OpenAPI document.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../test/helpers/api-harness.js';

let h: Harness;
let admin: string;
beforeAll(async () => {
  h = await createHarness();
  admin = await h.token('sysadmin');
});
afterAll(async () => {
  await h.close();
});

function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; json(): unknown }, status: number) {
  expect(res.statusCode).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  const body = res.json() as Record<string, unknown>;
  expect(body).toMatchObject({ status, type: expect.stringMatching(/^urn:vigil:problem:/), title: expect.any(String), detail: expect.any(String) });
  return body;
}

describe('problem documents', () => {
  it('400 for a request that fails validation, naming the fields', async () => {
    const body = expectProblem(await h.inject('GET', '/api/v1/sessions?pageSize=201&status=bogus', admin), 400);
    const paths = (body.errors as Array<{ path: string }>).map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['querystring.pageSize', 'querystring.status']));
  });

  it('400 for malformed JSON', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'content-type': 'application/json' }, payload: '{"username": "a",' });
    expect(expectProblem(res, 400).detail).toBe('the request body is not valid JSON');
  });

  it('400 for a non-numeric id', async () => {
    expectProblem(await h.inject('GET', '/api/v1/sessions/abc', admin), 400);
  });

  it('400 for an id written any other way than plain digits (found by the fuzz test: "0x1", "1e0" and " 1" read as 1)', async () => {
    const s = await h.completedSession();
    expect((await h.inject('GET', `/api/v1/sessions/${s.id}`, admin)).statusCode).toBe(200);
    for (const id of [`0${s.id}`, `0x${s.id}`, `${s.id}e0`, `%2B${s.id}`, `%20${s.id}`, `${s.id}.0`]) expectProblem(await h.inject('GET', `/api/v1/sessions/${id}`, admin), 400);
  });

  it('400 for malformed percent-encoding in the path and 414 for an over-long path parameter (Fastify answered these with its own JSON)', async () => {
    expect(expectProblem(await h.inject('GET', '/api/v1/sessions/%E0%A4%A', admin), 400).detail).toMatch(/percent-encoding/);
    expectProblem(await h.inject('GET', '/api/v1/sessions/%zz', null), 400);
    expectProblem(await h.inject('GET', `/api/v1/sessions/${'1'.repeat(150)}`, admin), 414);
  });

  it('400 for a control character in a Remote Sessions filter (found by the fuzz test: a NUL reached the term index and gave a 500)', async () => {
    for (const field of ['sessionId', 'user', 'credential', 'device', 'originIp']) {
      const body = expectProblem(await h.inject('GET', `/api/v1/sessions?${field}=ab%00cd`, admin), 400);
      expect(body.detail).toMatch(/control characters/);
    }
    expect((await h.inject('GET', '/api/v1/sessions?user=%27%20OR%20%271%27%3D%271', admin)).json()).toMatchObject({ items: [], total: 0 });
  });

  it('415 for a text/plain body, even to a route that reads no body', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { authorization: `Bearer ${admin}`, 'content-type': 'text/plain' }, payload: 'x' });
    expectProblem(res, 415);
    expect((await h.inject('GET', '/api/v1/auth/me', admin)).statusCode).toBe(200);
  });

  it('401 without credentials', async () => {
    expectProblem(await h.inject('GET', '/api/v1/sessions', null), 401);
  });

  it('403 without the permission', async () => {
    expectProblem(await h.inject('GET', '/api/v1/users', await h.token('auditor')), 403);
  });

  it('404 for an unknown session and an unknown route', async () => {
    expectProblem(await h.inject('GET', '/api/v1/sessions/999999', admin), 404);
    expectProblem(await h.inject('GET', '/api/v1/nothing-here', admin), 404);
    expectProblem(await h.inject('GET', '/nowhere', null), 404);
  });

  it('409 for a wrong state, and nothing changes', async () => {
    const s = await h.completedSession();
    const res = await h.inject('POST', `/api/v1/sessions/${s.id}/drop`, admin, {});
    expectProblem(res, 409);
    expect((await h.store.sessions.get(s.id))?.status).toBe('completed');
  });

  it('413 for a body over the limit', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ username: 'x', password: 'y'.repeat(1024 * 1024) }),
    });
    expectProblem(res, 413);
  });

  it('426 for a plain GET of the Live Stream WebSocket', async () => {
    const { live } = await h.startSession();
    expectProblem(await h.inject('GET', `/api/v1/sessions/${live.id}/live`, admin), 426);
  });

  it('500 reveals no internals', async () => {
    const broken = await createHarness();
    try {
      const token = await broken.token('sysadmin');
      await broken.store.database.db.schema.dropTable('audit_log').execute();
      const res = await broken.inject('GET', '/api/v1/audit-trail', token);
      const body = expectProblem(res, 500);
      expect(JSON.stringify(body)).not.toMatch(/audit_log|sqlite|stack/i);
    } finally {
      await broken.close();
    }
  });
});

describe('security headers', () => {
  it('sends a CSP for a same-origin SPA with WebSocket connections, and the helmet defaults', async () => {
    const res = await h.inject('GET', '/api/v1/healthz', null);
    expect(res.statusCode).toBe(200);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("connect-src 'self' ws: wss:");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('OpenAPI', () => {
  it('is a JSON OpenAPI 3 document listing the routes with their schemas', async () => {
    const res = await h.inject('GET', '/api/v1/openapi.json', null);
    expect(res.statusCode).toBe(200);
    const doc = JSON.parse(res.body);
    expect(doc.openapi).toMatch(/^3\./);
    for (const p of [
      '/api/v1/auth/login',
      '/api/v1/auth/logout',
      '/api/v1/auth/me',
      '/api/v1/sessions',
      '/api/v1/sessions/{id}',
      '/api/v1/sessions/events',
      '/api/v1/sessions/{id}/drop',
      '/api/v1/sessions/{id}/block',
      '/api/v1/sessions/{id}/unblock',
      '/api/v1/sessions/{id}/live',
      '/api/v1/sessions/{id}/prevent-purge',
      '/api/v1/sessions/{id}/auditors',
      '/api/v1/session-blocks',
      '/api/v1/session-blocks/{userId}/release',
      '/api/v1/users',
      '/api/v1/users/{id}',
      '/api/v1/roles',
      '/api/v1/devices',
      '/api/v1/credentials',
      '/api/v1/grants',
      '/api/v1/audit-trail',
      '/api/v1/audit-trail/verify',
      '/api/v1/settings',
      '/api/v1/settings/{key}',
      '/api/v1/healthz',
      '/api/v1/metrics',
    ]) {
      expect(doc.paths, p).toHaveProperty([p]);
    }
    expect(Object.keys(doc.paths['/api/v1/sessions/{id}/prevent-purge'])).toEqual(expect.arrayContaining(['post', 'delete']));
    const list = doc.paths['/api/v1/sessions'].get;
    expect(list.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['status', 'preventPurge', 'page', 'pageSize']));
    expect(JSON.stringify(doc.paths['/api/v1/sessions'].get.responses['200'])).toContain('SessionItem');
    expect(doc.components.schemas.SessionItem.properties.actions).toBeDefined();
    expect(doc.paths['/api/v1/auth/login'].post.requestBody.content['application/json'].schema.required).toEqual(['username', 'password']);
  });
});

describe('web console', () => {
  it('serves the built console, index.html for client-side routes, and problems for unknown API routes', async () => {
    const web = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-web-'));
    fs.writeFileSync(path.join(web, 'index.html'), '<!doctype html><title>Vigil</title>');
    fs.writeFileSync(path.join(web, 'app.js'), 'console.log(1)');
    const w = await createHarness({ webRoot: web });
    try {
      const index = await w.app.inject({ method: 'GET', url: '/', headers: { accept: 'text/html' } });
      expect(index.statusCode).toBe(200);
      expect(index.body).toContain('<title>Vigil</title>');
      expect(String(index.headers['content-security-policy'])).toContain("default-src 'self'");
      expect((await w.app.inject({ method: 'GET', url: '/app.js' })).body).toBe('console.log(1)');
      const route = await w.app.inject({ method: 'GET', url: '/remote-sessions', headers: { accept: 'text/html' } });
      expect(route.body).toContain('<title>Vigil</title>');
      expectProblem(await w.app.inject({ method: 'GET', url: '/api/v1/nope', headers: { accept: 'text/html' } }), 404);
    } finally {
      await w.close();
      fs.rmSync(web, { recursive: true, force: true });
    }
  });
});
