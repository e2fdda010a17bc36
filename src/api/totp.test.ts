// TOTP through the real API: enrolment (start, confirm), codes accepted once, lock after wrong codes, disabling,
// an administrator's reset, and auth.requireTotp (a user without TOTP may only enrol). Secrets only sealed at rest.

import { Secret, TOTP } from 'otpauth';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, PASSWORD, type Harness } from '../../test/helpers/api-harness.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness({ loginRateLimit: { max: 1000, timeWindowMs: 60_000 } });
});
afterEach(async () => {
  await h.close();
});

/** The code an authenticator app shows for `secret` at the harness clock (plus `stepsAhead` × 30 s). */
function codeOf(secret: string, stepsAhead = 0): string {
  return new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate({ timestamp: h.clock.now().getTime() + stepsAhead * 30_000 });
}

/** A six-digit code that is none of the codes valid now (±1 step). */
function wrongCode(secret: string): string {
  const valid = new Set([-1, 0, 1].map((d) => codeOf(secret, d)));
  for (let n = 0; ; n++) {
    const c = String(n).padStart(6, '0');
    if (!valid.has(c)) return c;
  }
}

const login = (username: string, totp?: string) =>
  h.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password: PASSWORD, ...(totp === undefined ? {} : { totp }) } });

/** Enrols `who` through the API; returns the secret. Leaves the clock one step later, so the next code is fresh. */
async function enrol(token: string): Promise<string> {
  const start = await h.inject('POST', '/api/v1/me/totp', token);
  expect(start.statusCode).toBe(200);
  const { secret } = start.json() as { secret: string };
  const confirm = await h.inject('POST', '/api/v1/me/totp/confirm', token, { code: codeOf(secret) });
  expect(confirm.statusCode, confirm.body).toBe(200);
  h.clock.advance(30_000);
  return secret;
}

async function auditActions(target?: string): Promise<string[]> {
  return (await h.store.audit.list({ limit: 1000 })).filter((e) => target === undefined || e.target === target).map((e) => e.action);
}

describe('enrolment', () => {
  it('shows the secret once, stores it sealed only after a current code confirms it, and then logins need a code', async () => {
    const token = await h.token('auditor');
    const start = await h.inject('POST', '/api/v1/me/totp', token);
    expect(start.statusCode).toBe(200);
    expect(start.headers['cache-control']).toBe('no-store');
    const { secret, uri, expiresAt } = start.json() as { secret: string; uri: string; expiresAt: string };
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const parsed = new URL(uri);
    expect(parsed.protocol).toBe('otpauth:');
    expect(parsed.host).toBe('totp');
    expect(decodeURIComponent(parsed.pathname)).toBe('/Vigil:auditor');
    expect(parsed.searchParams.get('secret')).toBe(secret);
    expect(parsed.searchParams.get('issuer')).toBe('Vigil');
    expect(new Date(expiresAt).getTime()).toBe(h.clock.now().getTime() + 10 * 60_000);

    // Pending: nothing stored, not required at login, and the secret is not shown again.
    expect((await h.inject('GET', '/api/v1/me/totp', token)).json()).toEqual({ enrolled: false, pending: true, required: false });
    expect(await h.store.users.totpSecret(h.users.auditor.id)).toBeNull();
    expect((await login('auditor')).statusCode).toBe(200);

    const wrong = await h.inject('POST', '/api/v1/me/totp/confirm', token, { code: wrongCode(secret) });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(wrong.json()).toMatchObject({ detail: 'invalid TOTP code' });
    expect(await h.store.users.totpSecret(h.users.auditor.id)).toBeNull();

    const code = codeOf(secret);
    const ok = await h.inject('POST', '/api/v1/me/totp/confirm', token, { code });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ enrolled: true, reauthenticate: false });
    const sealed = (await h.store.users.totpSecret(h.users.auditor.id))!;
    expect(sealed).toMatch(/^v1:/);
    expect(sealed).not.toContain(secret);
    expect(h.secretBox.open(sealed)).toBe(secret);
    expect(await auditActions('auditor')).toContain('user.totp.enrol');
    expect((await h.inject('GET', '/api/v1/me/totp', token)).json()).toEqual({ enrolled: true, pending: false, required: false });
    expect((await h.inject('GET', '/api/v1/users', await h.token('sysadmin'))).json().items.find((u: { username: string }) => u.username === 'auditor').totpEnrolled).toBe(true);

    // A second factor now: without a code refused; the code that confirmed is spent; a later one works.
    expect((await login('auditor')).json()).toMatchObject({ status: 401, totpRequired: true });
    expect((await login('auditor', code)).json()).toMatchObject({ status: 401, detail: 'invalid TOTP code' });
    h.clock.advance(30_000);
    expect((await login('auditor', codeOf(secret))).statusCode).toBe(200);
    expect((await h.inject('POST', '/api/v1/me/totp', token)).statusCode).toBe(409);
    // The secret is in no answer after the one that started the enrolment.
    for (const url of ['/api/v1/me/totp', '/api/v1/auth/me', '/api/v1/users', '/api/v1/audit-trail']) {
      const body = (await h.inject('GET', url, url.includes('users') || url.includes('audit') ? await h.token('sysadmin') : token)).body;
      expect(body, url).not.toContain(secret);
      expect(body, url).not.toContain(sealed);
    }
  });

  it('accepts a code once: replaying it at login is refused, and an older one after a newer is too', async () => {
    const token = await h.token('auditor');
    const secret = await enrol(token);
    const now = codeOf(secret);
    const first = await login('auditor', now);
    expect(first.statusCode).toBe(200);
    expect((await login('auditor', now)).json()).toMatchObject({ status: 401, detail: 'invalid TOTP code' });
    // The next step's code (clock drift) is accepted once; then the current one, being older, no longer is.
    h.clock.advance(30_000);
    expect((await login('auditor', codeOf(secret, 1))).statusCode).toBe(200);
    expect((await login('auditor', codeOf(secret))).statusCode).toBe(401);
    // The gateway's check is the same one.
    h.clock.advance(60_000);
    const fresh = codeOf(secret);
    expect(await h.totpCodes.verify(h.users.auditor.id, fresh)).toBe(true);
    expect(await h.totpCodes.verify(h.users.auditor.id, fresh)).toBe(false);
    // Codes two steps old or ahead are not accepted.
    h.clock.advance(30_000);
    expect(await h.totpCodes.verify(h.users.auditor.id, codeOf(secret, 2))).toBe(false);
  });

  it('locks the account after 5 wrong codes, audited; while locked even the right code is refused', async () => {
    const token = await h.token('pamadmin');
    const { secret } = (await h.inject('POST', '/api/v1/me/totp', token)).json() as { secret: string };
    for (let i = 0; i < 5; i++) expect((await h.inject('POST', '/api/v1/me/totp/confirm', token, { code: wrongCode(secret) })).statusCode).toBe(400);
    const locked = await h.inject('POST', '/api/v1/me/totp/confirm', token, { code: codeOf(secret) });
    expect(locked.statusCode).toBe(429);
    expect(locked.json().detail).toMatch(/locked until/);
    expect(await h.store.users.totpSecret(h.users.pamadmin.id)).toBeNull();
    expect(await auditActions('pamadmin')).toContain('user.lockout');
    expect((await login('pamadmin')).statusCode).toBe(401);
    // Once the lock ends (15 min, longer than a pending enrolment lives) the user starts again.
    h.clock.advance(15 * 60_000 + 1000);
    expect((await h.inject('POST', '/api/v1/me/totp/confirm', token, { code: codeOf(secret) })).statusCode).toBe(409);
    const again = (await h.inject('POST', '/api/v1/me/totp', token)).json() as { secret: string };
    expect((await h.inject('POST', '/api/v1/me/totp/confirm', token, { code: codeOf(again.secret) })).statusCode).toBe(200);
  });

  it('counts wrong codes at login towards the same lock', async () => {
    const secret = await enrol(await h.token('auditor'));
    for (let i = 0; i < 5; i++) expect((await login('auditor', wrongCode(secret))).statusCode).toBe(401);
    expect((await login('auditor', codeOf(secret))).json()).toMatchObject({ status: 401, detail: 'invalid username or password' });
    expect(await auditActions('auditor')).toContain('user.lockout');
  });

  it('refuses codes that are not codes, and confirming with nothing pending', async () => {
    const token = await h.token('auditor');
    expect((await h.inject('POST', '/api/v1/me/totp/confirm', token, { code: '123456' })).statusCode).toBe(409);
    const { secret } = (await h.inject('POST', '/api/v1/me/totp', token)).json() as { secret: string };
    for (const code of ['', 'abcdef', '12345', '1'.repeat(17)]) expect((await h.inject('POST', '/api/v1/me/totp/confirm', token, { code })).statusCode, code).toBe(400);
    expect((await h.inject('POST', '/api/v1/me/totp/confirm', token, {})).statusCode).toBe(400);
    // An expired enrolment is gone.
    h.clock.advance(10 * 60_000 + 1);
    expect((await h.inject('POST', '/api/v1/me/totp/confirm', token, { code: codeOf(secret) })).statusCode).toBe(409);
  });
});

describe('disabling and resetting', () => {
  it('disables your own TOTP only with a current code', async () => {
    const token = await h.token('auditor');
    const secret = await enrol(token);
    expect((await h.inject('DELETE', '/api/v1/me/totp', token, { code: wrongCode(secret) })).statusCode).toBe(400);
    expect(await h.store.users.totpSecret(h.users.auditor.id)).not.toBeNull();
    const off = await h.inject('DELETE', '/api/v1/me/totp', token, { code: codeOf(secret) });
    expect(off.statusCode).toBe(200);
    expect(await h.store.users.totpSecret(h.users.auditor.id)).toBeNull();
    expect(await auditActions('auditor')).toContain('user.totp.disable');
    expect((await login('auditor')).statusCode).toBe(200);
    expect((await h.inject('DELETE', '/api/v1/me/totp', token, { code: codeOf(secret) })).statusCode).toBe(409);
  });

  it("lets a System Administrator reset another user's TOTP, audited; nobody else, and not their own", async () => {
    await enrol(await h.token('auditor'));
    const url = `/api/v1/users/${h.users.auditor.id}/totp`;
    expect((await h.inject('DELETE', url, await h.token('pamadmin'))).statusCode).toBe(403);
    expect((await h.inject('DELETE', url, null)).statusCode).toBe(401);
    const admin = await h.token('sysadmin');
    const reset = await h.inject('DELETE', url, admin);
    expect(reset.statusCode).toBe(200);
    expect(reset.json()).toMatchObject({ username: 'auditor', totpEnrolled: false });
    const entry = (await h.store.audit.list()).find((e) => e.action === 'user.totp.reset')!;
    expect(entry).toMatchObject({ actor: 'sysadmin', target: 'auditor' });
    expect((await login('auditor')).statusCode).toBe(200);
    expect((await h.inject('DELETE', url, admin)).statusCode).toBe(409);
    expect((await h.inject('DELETE', `/api/v1/users/999999/totp`, admin)).statusCode).toBe(404);
    await enrol(admin);
    expect((await h.inject('DELETE', `/api/v1/users/${h.users.sysadmin.id}/totp`, admin)).statusCode).toBe(409);
  });
});

describe('auth.requireTotp', () => {
  it('may be turned on only by an administrator who has TOTP', async () => {
    const admin = await h.token('sysadmin');
    const refused = await h.inject('PUT', '/api/v1/settings/auth.requireTotp', admin, { value: true });
    expect(refused.statusCode).toBe(409);
    expect(await h.store.settings.get('auth.requireTotp', false)).toBe(false);
    await enrol(admin);
    const on = await h.inject('PUT', '/api/v1/settings/auth.requireTotp', admin, { value: true });
    expect(on.statusCode).toBe(200);
    expect(on.json()['auth.requireTotp']).toBe(true);
    expect((await h.inject('PUT', '/api/v1/settings/auth.requireTotp', admin, { value: 'yes' })).statusCode).toBe(400);
  });

  it('lets a user without TOTP log in only to enrol; after enrolling they log in again with a code', async () => {
    await h.store.settings.set('auth.requireTotp', true);
    const first = await login('auditor');
    expect(first.statusCode).toBe(200);
    expect(first.json().totpEnrolmentRequired).toBe(true);
    const token = first.json().token as string;
    const denied = await h.inject('GET', '/api/v1/sessions', token);
    expect(denied.statusCode).toBe(403);
    expect(denied.json()).toMatchObject({ totpEnrolmentRequired: true, detail: expect.stringMatching(/enrol/) });
    expect((await h.inject('GET', '/api/v1/auth/me', token)).json()).toMatchObject({ totpEnrolmentRequired: true, user: { username: 'auditor' } });
    expect((await h.inject('GET', '/api/v1/me/totp', token)).json()).toEqual({ enrolled: false, pending: false, required: true });
    const { secret } = (await h.inject('POST', '/api/v1/me/totp', token)).json() as { secret: string };
    const confirmed = await h.inject('POST', '/api/v1/me/totp/confirm', token, { code: codeOf(secret) });
    expect(confirmed.json()).toEqual({ enrolled: true, reauthenticate: true });
    // The enrolment-only token does not become a full one.
    expect((await h.inject('GET', '/api/v1/sessions', token)).statusCode).toBe(401);
    h.clock.advance(30_000);
    const second = await login('auditor', codeOf(secret));
    expect(second.json().totpEnrolmentRequired).toBe(false);
    expect((await h.inject('GET', '/api/v1/sessions', second.json().token)).statusCode).toBe(200);
    expect((await h.store.audit.list()).find((e) => e.action === 'auth.login' && e.details.includes('totpEnrolmentRequired'))).toBeDefined();
  });

  it('applies at once to tokens issued before it was turned on, and is lifted when turned off', async () => {
    const token = await h.token('auditor');
    expect((await h.inject('GET', '/api/v1/sessions', token)).statusCode).toBe(200);
    await h.store.settings.set('auth.requireTotp', true);
    expect((await h.inject('GET', '/api/v1/sessions', token)).statusCode).toBe(403);
    await h.store.settings.set('auth.requireTotp', false);
    expect((await h.inject('GET', '/api/v1/sessions', token)).statusCode).toBe(200);
  });
});

describe('OpenAPI', () => {
  it('describes the TOTP routes with their request and response schemas', async () => {
    const doc = (await h.inject('GET', '/api/v1/openapi.json', null)).json() as {
      paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    expect(Object.keys(doc.paths['/api/v1/me/totp']!).sort()).toEqual(['delete', 'get', 'post']);
    expect(doc.paths['/api/v1/me/totp/confirm']!.post!.requestBody).toBeDefined();
    expect(doc.paths['/api/v1/me/totp']!.delete!.requestBody).toBeDefined();
    expect(doc.paths['/api/v1/users/{id}/totp']!.delete!.responses['200']).toBeDefined();
    expect(JSON.stringify(doc.paths['/api/v1/me/totp']!.post!.responses['200'])).toContain('#/components/schemas/TotpStart');
    expect(Object.keys(doc.components.schemas.TotpStart!.properties!).sort()).toEqual(['expiresAt', 'secret', 'uri']);
  });
});
