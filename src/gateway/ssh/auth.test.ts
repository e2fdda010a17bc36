import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ssh2, { type AuthContext } from 'ssh2';
import { generateEd25519KeyPair } from './host-key.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import { openSqliteStore, type SqliteStore } from '../../store/sqlite-store.js';
import { ScryptPasswordHasher } from '../../vault/password-hasher.js';
import { SshAuthenticator } from './auth.js';

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** A stand-in for ssh2's AuthContext that records the answer. */
function ctx(fields: Record<string, unknown>) {
  const c = Object.assign(new EventEmitter(), { service: 'ssh-connection', answer: '' as string, accept() { c.answer = 'accept'; }, reject() { c.answer = 'reject'; }, ...fields });
  return c as unknown as AuthContext & { answer: string };
}

describe('SshAuthenticator', () => {
  let dir: string;
  let store: SqliteStore;
  let clock: ManualClock;
  let auth: SshAuthenticator;
  const hasher = new ScryptPasswordHasher({ N: 1024 });
  const key = generateEd25519KeyPair();
  let totpOk = true;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-auth-'));
    clock = new ManualClock();
    store = await openSqliteStore(path.join(dir, 'db'), clock);
    await store.roles.seed([{ name: 'PAM User', permissions: ['PAM.Access.Connect'] }]);
    const alice = await store.users.create({ username: 'alice', passwordHash: await hasher.hash('right-password'), roles: ['PAM User'] });
    await store.users.addKey(alice.id, key.public, 'fp');
    auth = new SshAuthenticator({ users: store.users, hasher, clock, logger: quiet, verifyTotp: async () => totpOk });
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function attempt(c: AuthContext & { answer: string }): Promise<string | null> {
    let who: string | null = null;
    await auth.handle(c, '127.0.0.1', (u) => (who = u.username));
    return c.answer === 'accept' ? (who ?? 'query-ok') : null;
  }
  const password = (username: string, pw: string) => ctx({ method: 'password', username, password: pw });

  it('accepts the right password for a login name carrying a target', async () => {
    expect(await attempt(password('alice[root@web01]', 'right-password'))).toBe('alice');
    expect(await attempt(password('alice', 'wrong'))).toBeNull();
    expect(await attempt(password('nobody', 'right-password'))).toBeNull();
  });

  it('locks the account for 15 minutes after 5 consecutive failures', async () => {
    for (let i = 0; i < 5; i++) expect(await attempt(password('alice', `wrong-${i}`))).toBeNull();
    expect(await attempt(password('alice', 'right-password'))).toBeNull();
    clock.advance(15 * 60_000 + 1000);
    expect(await attempt(password('alice', 'right-password'))).toBe('alice');
  });

  it('refuses a disabled user', async () => {
    const alice = await store.users.byName('alice');
    await store.users.setDisabled(alice!.id, true);
    expect(await attempt(password('alice', 'right-password'))).toBeNull();
  });

  it('answers a key query, then logs in only with a valid signature', async () => {
    const parsed = ssh2.utils.parseKey(key.private) as ssh2.ParsedKey;
    const pub = { algo: 'ssh-ed25519', data: parsed.getPublicSSH() };
    expect(await attempt(ctx({ method: 'publickey', username: 'alice', key: pub }))).toBe('query-ok');
    const blob = Buffer.from('session-bound data to sign');
    expect(await attempt(ctx({ method: 'publickey', username: 'alice', key: pub, blob, signature: parsed.sign(blob) }))).toBe('alice');
    expect(await attempt(ctx({ method: 'publickey', username: 'alice', key: pub, blob, signature: Buffer.alloc(64) }))).toBeNull();
    const other = ssh2.utils.parseKey(generateEd25519KeyPair().private) as ssh2.ParsedKey;
    expect(await attempt(ctx({ method: 'publickey', username: 'alice', key: { algo: 'ssh-ed25519', data: other.getPublicSSH() } }))).toBeNull();
  });

  it('asks a TOTP-enrolled user for a code by keyboard-interactive, and refuses plain password', async () => {
    const alice = await store.users.byName('alice');
    await store.users.setTotpSecret(alice!.id, 'sealed');
    expect(await attempt(password('alice', 'right-password'))).toBeNull();
    const kbd = (answers: string[]) => ctx({ method: 'keyboard-interactive', username: 'alice', submethods: [], prompt: (prompts: unknown[], _t: string, _i: string, cb: (a: string[]) => void) => {
      expect(prompts).toHaveLength(2);
      cb(answers);
    } });
    totpOk = true;
    expect(await attempt(kbd(['right-password', '123456']))).toBe('alice');
    totpOk = false;
    expect(await attempt(kbd(['right-password', '000000']))).toBeNull();
  });
});
