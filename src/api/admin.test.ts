// Console administration through the API: users, roles, vault, settings, audit trail and metrics.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../test/helpers/api-harness.js';

let h: Harness;
let admin: string;
beforeAll(async () => {
  h = await createHarness({ metricsToken: 'scrape-token-0123456789' });
  admin = await h.token('sysadmin');
});
afterAll(async () => {
  await h.close();
});

const lastAudit = async () => (await h.store.audit.list({ limit: 1 }))[0]!;

describe('users and roles', () => {
  it('creates a user who can then log in, lists them without secrets, changes roles and disables', async () => {
    const created = await h.inject('POST', '/api/v1/users', admin, { username: 'carol', password: 'carol-password', roles: ['PAM Auditor'] });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ username: 'carol', roles: ['PAM Auditor'], disabled: false, keys: [] });
    expect(await lastAudit()).toMatchObject({ actor: 'sysadmin', action: 'user.add', target: 'carol' });
    const list = await h.inject('GET', '/api/v1/users', admin);
    expect(list.body).not.toMatch(/scrypt|password_hash|carol-password/);
    const id = created.json().id;
    const patched = await h.inject('PATCH', `/api/v1/users/${id}`, admin, { roles: ['PAM User'], disabled: true });
    expect(patched.json()).toMatchObject({ roles: ['PAM User'], disabled: true });
    expect((await h.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'carol', password: 'carol-password' } })).statusCode).toBe(401);
    expect((await h.inject('PATCH', `/api/v1/users/${h.users.sysadmin.id}`, admin, { disabled: true })).statusCode).toBe(409);
    expect((await h.inject('PATCH', `/api/v1/users/${id}`, admin, {})).statusCode).toBe(400);
    expect((await h.inject('PATCH', `/api/v1/users/999999`, admin, { disabled: false })).statusCode).toBe(404);
    expect((await h.inject('POST', '/api/v1/users', admin, { username: 'carol', password: 'carol-password' })).statusCode).toBe(409);
    expect((await h.inject('POST', '/api/v1/users', admin, { username: 'dave', roles: ['No Such Role'] })).statusCode).toBe(400);
  });

  it('manages roles with known permissions only', async () => {
    const res = await h.inject('POST', '/api/v1/roles', admin, { name: 'Night Shift', permissions: ['PAM.SessionManagement.View', 'PAM.SessionManagement.Drop'] });
    expect(res.statusCode).toBe(200);
    expect(res.json().permissions).toEqual(['PAM.SessionManagement.Drop', 'PAM.SessionManagement.View']);
    expect((await h.inject('POST', '/api/v1/roles', admin, { name: 'Bad', permissions: ['Everything'] })).statusCode).toBe(400);
    expect((await h.inject('GET', '/api/v1/roles', admin)).json().items.map((r: { name: string }) => r.name)).toContain('Night Shift');
    expect((await h.inject('DELETE', `/api/v1/roles/${encodeURIComponent('Night Shift')}`, admin)).statusCode).toBe(200);
    expect((await h.inject('DELETE', `/api/v1/roles/${encodeURIComponent('System Administrator')}`, admin)).statusCode).toBe(409);
  });
});

describe('vault', () => {
  it('adds a device, a credential whose secret never comes back, and a grant; then removes them', async () => {
    const device = await h.inject('POST', '/api/v1/devices', admin, { name: 'web02', host: 'web02.example', port: 2200, trustOnFirstUse: true });
    expect(device.statusCode).toBe(201);
    const cred = await h.inject('POST', '/api/v1/credentials', admin, { device: 'web02', account: 'root', password: 'Sup3r-Secret-Vault-Pw' });
    expect(cred.statusCode).toBe(201);
    expect(cred.json()).toMatchObject({ account: 'root', deviceName: 'web02', kind: 'password' });
    const listed = await h.inject('GET', '/api/v1/credentials', admin);
    for (const body of [cred.body, listed.body, JSON.stringify(await h.store.audit.list({ limit: 1000 }))]) expect(body).not.toContain('Sup3r-Secret-Vault-Pw');
    expect((await h.inject('POST', '/api/v1/credentials', admin, { device: 'web02', account: 'x', password: 'a', privateKey: 'b' })).statusCode).toBe(400);
    const grant = await h.inject('POST', '/api/v1/grants', admin, { userId: h.users.owner.id, credentialId: cred.json().id });
    expect(grant.statusCode).toBe(201);
    expect(grant.json()).toMatchObject({ username: 'owner', credential: 'root@web02', allowPortForwarding: false });
    expect((await h.inject('POST', '/api/v1/grants', admin, { userId: 999999, credentialId: cred.json().id })).statusCode).toBe(400);
    expect((await h.inject('DELETE', `/api/v1/grants/${grant.json().id}`, admin)).statusCode).toBe(200);
    expect((await h.inject('DELETE', `/api/v1/grants/${grant.json().id}`, admin)).statusCode).toBe(404);
    expect((await h.inject('DELETE', `/api/v1/credentials/${cred.json().id}`, admin)).statusCode).toBe(200);
    expect((await h.inject('DELETE', `/api/v1/devices/${device.json().id}`, admin)).statusCode).toBe(200);
    expect((await h.inject('GET', '/api/v1/devices', admin)).json().items).toEqual([]);
    const actions = (await h.store.audit.list({ limit: 100 })).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['device.add', 'credential.add', 'grant.add', 'grant.remove', 'credential.remove', 'device.remove']));
  });
});

describe('settings', () => {
  it('lists defaults and validates known keys', async () => {
    expect((await h.inject('GET', '/api/v1/settings', admin)).json()).toEqual({ 'retention.days': 90, 'auditors.default': [], 'recording.onFailure': 'drop', 'auth.requireTotp': false });
    for (const [key, value] of [
      ['retention.days', 0],
      ['retention.days', 3651],
      ['retention.days', 1.5],
      ['retention.days', '30'],
      ['recording.onFailure', 'ignore'],
      ['auditors.default', [999999]],
      ['auditors.default', 'x'],
    ] as const) {
      const res = await h.inject('PUT', `/api/v1/settings/${key}`, admin, { value });
      expect(res.statusCode, `${key}=${JSON.stringify(value)}`).toBe(400);
    }
    expect((await h.inject('PUT', '/api/v1/settings/unknown.key', admin, { value: 1 })).statusCode).toBe(400);
    const ok = await h.inject('PUT', '/api/v1/settings/auditors.default', admin, { value: [h.users.auditor.id] });
    expect(ok.json()['auditors.default']).toEqual([h.users.auditor.id]);
    expect(await lastAudit()).toMatchObject({ action: 'settings.set', target: 'auditors.default' });
    expect((await h.inject('PUT', '/api/v1/settings/retention.days', admin, { value: 3650 })).json()['retention.days']).toBe(3650);
  });
});

describe('audit trail and metrics', () => {
  it('lists the trail newest first and verifies its chain', async () => {
    const trail = (await h.inject('GET', '/api/v1/audit-trail?limit=5', admin)).json();
    expect(trail.items.length).toBeGreaterThan(0);
    expect(trail.items[0].id).toBeGreaterThan(trail.items.at(-1).id);
    expect((await h.inject('GET', '/api/v1/audit-trail/verify', admin)).json()).toEqual({ ok: true, problems: [] });
  });

  it('serves Prometheus metrics to an administrator or the scrape token', async () => {
    const { live } = await h.startSession();
    const res = await h.inject('GET', '/api/v1/metrics', admin);
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/vigil_sessions_active 1/);
    expect(res.body).toMatch(/vigil_sessions_started_total 1/);
    expect(res.body).toContain('vigil_http_request_duration_seconds_count{method="GET",route="/api/v1/settings",status="200"}');
    await live.end({ exitStatus: 0, reason: null });
    const scraped = await h.inject('GET', '/api/v1/metrics', 'scrape-token-0123456789');
    expect(scraped.statusCode).toBe(200);
    expect(scraped.body).toMatch(/vigil_sessions_active 0/);
    expect((await h.inject('GET', '/api/v1/metrics', 'wrong-token')).statusCode).toBe(401);
    expect((await h.inject('GET', '/api/v1/metrics', await h.token('pamadmin'))).statusCode).toBe(403);
  });
});
