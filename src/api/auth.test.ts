// Login, lockout, throttling, cookie + CSRF, bearer tokens and expiry, through the real API.

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

const login = (username: string, password: string, extra: Record<string, unknown> = {}) =>
  h.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password, ...extra } });

function sessionCookie(res: { cookies: Array<{ name: string; value: string; httpOnly?: boolean; sameSite?: string; path?: string; secure?: boolean }> }) {
  return res.cookies.find((c) => c.name === 'vigil_session');
}

describe('login', () => {
  it('returns a bearer token, a CSRF token and the user, and sets an HttpOnly SameSite=Strict cookie', async () => {
    const res = await login('auditor', PASSWORD);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Date(body.expiresAt).getTime()).toBe(h.clock.now().getTime() + 12 * 3600_000);
    expect(body.user).toMatchObject({ username: 'auditor', roles: ['PAM Auditor'] });
    expect(body.user.permissions).toEqual(['PAM.SessionManagement.Livestream', 'PAM.SessionManagement.Logs', 'PAM.SessionManagement.Recording', 'PAM.SessionManagement.View']);
    const cookie = sessionCookie(res);
    expect(cookie).toMatchObject({ value: body.token, httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(cookie?.secure).toBeFalsy();
    // Only the hash is stored.
    const rows = await h.store.database.db.selectFrom('api_tokens').selectAll().execute();
    expect(rows.some((r) => r.token_hash.includes(body.token))).toBe(false);
  });

  it('marks the cookie Secure with secureCookies', async () => {
    const h2 = await createHarness({ secureCookies: true });
    try {
      const res = await h2.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'user', password: PASSWORD } });
      expect(sessionCookie(res)?.secure).toBe(true);
    } finally {
      await h2.close();
    }
  });

  it('gives the same 401 problem for an unknown user and a wrong password', async () => {
    const unknown = await login('nobody', PASSWORD);
    const wrong = await login('auditor', 'wrong-password');
    for (const res of [unknown, wrong]) {
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ status: 401, title: 'Unauthorized', detail: 'invalid username or password' });
    }
  });

  it('refuses a disabled user', async () => {
    await h.store.users.setDisabled(h.users.user.id, true);
    const res = await login('user', PASSWORD);
    expect(res.statusCode).toBe(401);
    expect(res.json().detail).toBe('account is disabled');
  });

  it('locks the account after 5 consecutive failures for 15 minutes, even for the right password', async () => {
    for (let i = 0; i < 5; i++) expect((await login('pamadmin', 'nope-nope')).statusCode).toBe(401);
    const locked = await login('pamadmin', PASSWORD);
    expect(locked.statusCode).toBe(401);
    expect(locked.json().detail).toBe('invalid username or password');
    expect((await h.store.audit.list()).some((e) => e.action === 'user.lockout' && e.target === 'pamadmin')).toBe(true);
    h.clock.advance(14 * 60_000);
    expect((await login('pamadmin', PASSWORD)).statusCode).toBe(401);
    h.clock.advance(61_000);
    expect((await login('pamadmin', PASSWORD)).statusCode).toBe(200);
    // Success resets the count: four more failures do not lock.
    for (let i = 0; i < 4; i++) await login('pamadmin', 'nope-nope');
    expect((await login('pamadmin', PASSWORD)).statusCode).toBe(200);
  });

  it('asks for a TOTP code when the user is enrolled, and accepts the current one', async () => {
    const secret = new Secret({ size: 20 });
    await h.store.users.setTotpSecret(h.users.user.id, h.secretBox.seal(secret.base32));
    const res = await login('user', PASSWORD);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ detail: 'a TOTP code is required', totpRequired: true });
    const code = new TOTP({ secret, digits: 6, period: 30 }).generate({ timestamp: h.clock.now().getTime() });
    const stale = new TOTP({ secret, digits: 6, period: 30 }).generate({ timestamp: h.clock.now().getTime() - 5 * 60_000 });
    const wrong = await login('user', PASSWORD, { totp: stale === code ? '000000' : stale });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ detail: 'invalid TOTP code' });
    const ok = await login('user', PASSWORD, { totp: code });
    expect(ok.statusCode).toBe(200);
  });

  it('throttles login attempts per client address with a 429 problem', async () => {
    const h2 = await createHarness({ loginRateLimit: { max: 3, timeWindowMs: 60_000 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await h2.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'user', password: 'x' } })).statusCode);
      expect(statuses).toEqual([401, 401, 401, 429]);
      const res = await h2.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'user', password: PASSWORD } });
      expect(res.statusCode).toBe(429);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ status: 429, title: 'Too Many Requests' });
    } finally {
      await h2.close();
    }
  });
});

describe('authenticated requests', () => {
  it('accepts a bearer token and rejects a missing or bogus one with 401', async () => {
    const token = await h.token('auditor');
    expect((await h.inject('GET', '/api/v1/auth/me', token)).json().user.username).toBe('auditor');
    const none = await h.inject('GET', '/api/v1/auth/me', null);
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toContain('Bearer');
    expect((await h.inject('GET', '/api/v1/auth/me', 'A'.repeat(43))).statusCode).toBe(401);
    const badScheme = await h.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Basic abc` } });
    expect(badScheme.statusCode).toBe(401);
  });

  it('lets the cookie read, but requires X-CSRF-Token equal to the token CSRF value for changes', async () => {
    const res = await login('sysadmin', PASSWORD);
    const { token, csrfToken } = res.json();
    const cookies = { vigil_session: token };
    const me = await h.app.inject({ method: 'GET', url: '/api/v1/auth/me', cookies });
    expect(me.statusCode).toBe(200);
    expect(me.json().csrfToken).toBe(csrfToken);
    const put = (headers: Record<string, string>) => h.app.inject({ method: 'PUT', url: '/api/v1/settings/retention.days', cookies, headers, payload: { value: 30 } });
    const missing = await put({});
    expect(missing.statusCode).toBe(403);
    expect(missing.json().detail).toContain('CSRF');
    expect((await put({ 'x-csrf-token': 'wrong' })).statusCode).toBe(403);
    expect(await h.store.settings.get('retention.days', 90)).toBe(90);
    expect((await put({ 'x-csrf-token': csrfToken })).statusCode).toBe(200);
    expect(await h.store.settings.get('retention.days', 90)).toBe(30);
    // A bearer token needs no CSRF header: browsers cannot attach one cross-site.
    const bearer = await h.app.inject({ method: 'PUT', url: '/api/v1/settings/retention.days', headers: { authorization: `Bearer ${token}` }, payload: { value: 31 } });
    expect(bearer.statusCode).toBe(200);
  });

  it('expires tokens after 12 hours', async () => {
    const token = await h.token('auditor');
    h.clock.advance(12 * 3600_000 - 1000);
    expect((await h.inject('GET', '/api/v1/auth/me', token)).statusCode).toBe(200);
    h.clock.advance(1000);
    const res = await h.inject('GET', '/api/v1/auth/me', token);
    expect(res.statusCode).toBe(401);
    expect(res.json().detail).toContain('expired');
  });

  it('logout revokes the token and clears the cookie', async () => {
    const token = await h.token('auditor');
    const out = await h.inject('POST', '/api/v1/auth/logout', token);
    expect(out.statusCode).toBe(200);
    expect(sessionCookie(out)?.value).toBe('');
    expect((await h.inject('GET', '/api/v1/auth/me', token)).statusCode).toBe(401);
  });

  it('stops a disabled user at once, and a role change applies to the next request', async () => {
    const admin = await h.token('sysadmin');
    const userToken = await h.token('pamadmin');
    expect((await h.inject('GET', '/api/v1/devices', userToken)).statusCode).toBe(200);
    const patched = await h.inject('PATCH', `/api/v1/users/${h.users.pamadmin.id}`, admin, { roles: ['PAM User'] });
    expect(patched.statusCode).toBe(200);
    expect((await h.inject('GET', '/api/v1/devices', userToken)).statusCode).toBe(403);
    expect((await h.inject('PATCH', `/api/v1/users/${h.users.pamadmin.id}`, admin, { disabled: true })).statusCode).toBe(200);
    expect((await h.inject('GET', '/api/v1/auth/me', userToken)).statusCode).toBe(401);
  });
});
