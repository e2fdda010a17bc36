// AuthService against a real SQLite store: tokens stored only as hashes, expiry, revocation, TOTP, lockout.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteStore } from '../store/sqlite-store.js';
import { SqliteTokenRepo } from '../store/token-repo.js';
import { ScryptPasswordHasher } from '../vault/password-hasher.js';
import { AuthService, hashToken, INVALID_LOGIN } from './auth-service.js';
import { ManualClock } from './clock.js';
import { isVigilError } from './errors.js';
import { SEEDED_ROLES } from './permissions.js';
import type { PasswordHasher } from './ports.js';

let dir: string;
let store: SqliteStore;
let clock: ManualClock;
let verifyCalls: number;
let totpCalls: Array<[number, string]>;
let auth: AuthService;
const PASSWORD = 'a-good-password';

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-auth-'));
  clock = new ManualClock(Date.UTC(2026, 0, 10));
  store = await openSqliteStore(path.join(dir, 'db.sqlite'), clock);
  await store.roles.seed(SEEDED_ROLES);
  const real = new ScryptPasswordHasher({ N: 1024 });
  verifyCalls = 0;
  totpCalls = [];
  const hasher: PasswordHasher = { hash: (p) => real.hash(p), verify: (p, h) => (verifyCalls++, real.verify(p, h)) };
  await store.users.create({ username: 'alice', passwordHash: await real.hash(PASSWORD), roles: ['PAM Auditor'] });
  auth = new AuthService({
    users: store.users,
    roles: store.roles,
    tokens: new SqliteTokenRepo(store.database.db),
    hasher,
    audit: store.audit,
    clock,
    verifyTotp: async (userId, code) => (totpCalls.push([userId, code]), code === '246810'),
  });
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function failure(p: Promise<unknown>) {
  const err = await p.then(() => null, (e: unknown) => e);
  if (!isVigilError(err)) throw new Error(`expected a VigilError, got ${String(err)}`);
  return err;
}

describe('AuthService', () => {
  it('issues a random token whose SHA-256 only is stored, resolving to the user and the permissions of their roles', async () => {
    const r = await auth.login('alice', PASSWORD);
    const rows = await store.database.db.selectFrom('api_tokens').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.token_hash).toBe(hashToken(r.token));
    expect(JSON.stringify(rows)).not.toContain(r.token);
    expect(rows[0]!.csrf).toBe(r.csrfToken);
    const resolved = await auth.resolve(r.token);
    expect(resolved?.actor.username).toBe('alice');
    expect([...resolved!.actor.permissions].sort()).toEqual(['PAM.SessionManagement.Livestream', 'PAM.SessionManagement.Logs', 'PAM.SessionManagement.Recording', 'PAM.SessionManagement.View']);
    expect((await auth.login('alice', PASSWORD)).token).not.toBe(r.token);
  });

  it('expires tokens after the TTL and forgets them on logout', async () => {
    const r = await auth.login('alice', PASSWORD);
    clock.advance(12 * 3600_000 - 1);
    expect(await auth.resolve(r.token)).not.toBeNull();
    clock.advance(1);
    expect(await auth.resolve(r.token)).toBeNull();
    const r2 = await auth.login('alice', PASSWORD);
    // The expired one was cleared at that login.
    expect(await store.database.db.selectFrom('api_tokens').selectAll().execute()).toHaveLength(1);
    await auth.logout(r2.token);
    expect(await auth.resolve(r2.token)).toBeNull();
  });

  it('does not resolve tokens of a disabled user', async () => {
    const r = await auth.login('alice', PASSWORD);
    const alice = (await store.users.byName('alice'))!;
    await store.users.setDisabled(alice.id, true);
    expect(await auth.resolve(r.token)).toBeNull();
  });

  it('spends a password check on an unknown user too, and says the same as for a wrong password', async () => {
    const unknown = await failure(auth.login('mallory', PASSWORD));
    expect(verifyCalls).toBe(1);
    const wrong = await failure(auth.login('alice', 'not-it'));
    expect([unknown.kind, unknown.message]).toEqual(['Unauthenticated', INVALID_LOGIN]);
    expect([wrong.kind, wrong.message]).toEqual(['Unauthenticated', INVALID_LOGIN]);
  });

  it('locks after 5 consecutive failures for 15 minutes and writes one audit entry', async () => {
    for (let i = 0; i < 5; i++) await failure(auth.login('alice', 'wrong'));
    expect((await failure(auth.login('alice', PASSWORD))).message).toBe(INVALID_LOGIN);
    const lockouts = (await store.audit.list()).filter((e) => e.action === 'user.lockout');
    expect(lockouts).toHaveLength(1);
    expect(JSON.parse(lockouts[0]!.details)).toMatchObject({ failures: 5, until: '2026-01-10T00:15:00.000Z' });
    clock.advance(15 * 60_000);
    await expect(auth.login('alice', PASSWORD)).resolves.toMatchObject({ actor: { username: 'alice' } });
  });

  it('requires a TOTP code from an enrolled user and checks it with the injected verifier', async () => {
    const alice = (await store.users.byName('alice'))!;
    await store.users.setTotpSecret(alice.id, 'sealed:JBSWY3DPEHPK3PXP');
    const missing = await failure(auth.login('alice', PASSWORD));
    expect(missing.details).toEqual({ totpRequired: true });
    await failure(auth.login('alice', PASSWORD, '000000'));
    expect(totpCalls).toEqual([[alice.id, '000000']]);
    await failure(auth.login('alice', PASSWORD, 'abc'));
    expect(totpCalls).toHaveLength(1);
    await expect(auth.login('alice', PASSWORD, '246810')).resolves.toBeTruthy();
  });
});
