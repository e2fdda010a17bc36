import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openAdmin, type AdminContext } from '../main.js';
import { ManualClock } from './clock.js';
import { isVigilError, type ErrorKind } from './errors.js';
import { PERMISSIONS } from './permissions.js';
import { UserAdmin, parseOpenSshPublicKey } from './user-admin.js';

// Real keys made with ssh-keygen; fingerprints as `ssh-keygen -lf` printed them.
const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICe0Zh2VjEmip51NmFzvSckD6lIfa7Hz7tdaycI+2Xzm alice@laptop';
const ED25519_FP = 'SHA256:H1brAsodGj/phONBgjLZXk8zupe069Lz+vx3kZOB3EE';
const ECDSA =
  'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBNoM2YYgd5iKz7VXsRssOUryGX5ekBUF5BWf4PTPMa/vD3WGC0Zv3fbFb59RwK794jE37l49VQaw3C4HYs+ifcc= root@vm';
const ECDSA_FP = 'SHA256:xtI+lxe4YQ29vrOZWYX77W1HMHPgtfTzIutjvdjybPk';

async function expectError(p: Promise<unknown>, kind: ErrorKind, message?: RegExp): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(isVigilError(err, kind), `expected a ${kind} VigilError, got ${String(err)}`).toBe(true);
  if (message) expect((err as Error).message).toMatch(message);
}

/** Every byte SQLite has written for this database (main file and write-ahead log). */
function dbBytes(dir: string): Buffer {
  const files = ['vigil.db', 'vigil.db-wal'].map((f) => path.join(dir, f)).filter((f) => fs.existsSync(f));
  return Buffer.concat(files.map((f) => fs.readFileSync(f)));
}

let dir: string;
let ctx: AdminContext;
let admin: UserAdmin;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-users-'));
  ctx = await openAdmin({ dataDir: dir, passwordHashCost: 1024, clock: new ManualClock() });
  admin = new UserAdmin(ctx.store.users, ctx.store.roles, ctx.hasher, ctx.store.audit, ctx.clock);
});
afterEach(async () => {
  await ctx.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('parseOpenSshPublicKey', () => {
  it('computes the fingerprint ssh-keygen prints and normalises the line', () => {
    const k = parseOpenSshPublicKey(`  ${ED25519}  `);
    expect(k).toMatchObject({ type: 'ssh-ed25519', comment: 'alice@laptop', fingerprint: ED25519_FP });
    expect(k.normalized).toBe(ED25519.split(' ').slice(0, 2).join(' '));
    expect(parseOpenSshPublicKey(ECDSA).fingerprint).toBe(ECDSA_FP);
  });
  it('refuses unsupported types, bad base64 and a blob of another type', () => {
    const blob = ED25519.split(' ')[1]!;
    expect(() => parseOpenSshPublicKey(`ssh-dss ${blob}`)).toThrow(/not supported/);
    expect(() => parseOpenSshPublicKey('ssh-ed25519 AAAA$$$')).toThrow(/base64/);
    expect(() => parseOpenSshPublicKey(`ssh-rsa ${blob}`)).toThrow(/does not match/);
    expect(() => parseOpenSshPublicKey('ssh-ed25519')).toThrow(/TYPE BASE64/);
    expect(() => parseOpenSshPublicKey('ssh-ed25519 AAAA')).toThrow(/does not match/);
  });
});

describe('UserAdmin.addUser', () => {
  it('creates a user with the default role, a password and a key, and audits it without the password', async () => {
    const user = await admin.addUser({ username: 'alice', password: 'correct horse', publicKey: ED25519 }, 'root');
    expect(user.roles).toEqual(['PAM User']);
    expect(await ctx.hasher.verify('correct horse', (await ctx.store.users.passwordHash(user.id))!)).toBe(true);
    const keys = await ctx.store.users.keys(user.id);
    expect(keys.map((k) => k.fingerprint)).toEqual([ED25519_FP]);
    const [entry] = await ctx.store.audit.list();
    expect(entry).toMatchObject({ actor: 'root', action: 'user.add', target: 'alice' });
    expect(JSON.parse(entry!.details)).toEqual({ roles: ['PAM User'], password: true, keyFingerprint: ED25519_FP });
    expect(entry!.details).not.toContain('correct horse');
    // The bytes read are the live database (the user is there), and the password is not.
    expect(dbBytes(dir).includes('alice')).toBe(true);
    expect(dbBytes(dir).includes('correct horse')).toBe(false);
  });

  it('validates the name, roles, password and key, and changes nothing on bad input', async () => {
    for (const username of ['', '1abc', 'a b', 'x'.repeat(33), 'bad/name', 'ünï']) {
      await expectError(admin.addUser({ username, password: 'long enough' }, 'root'), 'BadRequest', /username/);
    }
    await expectError(admin.addUser({ username: 'bob', roles: ['Nope'] }, 'root'), 'BadRequest', /unknown role "Nope"/);
    await expectError(admin.addUser({ username: 'bob', password: 'short' }, 'root'), 'BadRequest', /at least 8/);
    await expectError(admin.addUser({ username: 'bob', publicKey: 'ssh-ed25519 nope' }, 'root'), 'BadRequest');
    expect(await ctx.store.users.count()).toBe(0);
    expect(await ctx.store.audit.list()).toEqual([]);
  });

  it('refuses a duplicate name, also differing only in case', async () => {
    await admin.addUser({ username: 'alice', roles: ['PAM Auditor', 'PAM User'] }, 'root');
    await expectError(admin.addUser({ username: 'alice' }, 'root'), 'Conflict', /already exists/);
    await expectError(admin.addUser({ username: 'ALICE' }, 'root'), 'Conflict', /already exists/);
  });
});

describe('UserAdmin changes', () => {
  it('adds keys once, disables, enables, changes password and roles, each audited', async () => {
    await admin.addUser({ username: 'bob', password: 'first-password' }, 'root');
    await admin.addKey('bob', ECDSA, 'root');
    await expectError(admin.addKey('bob', ECDSA, 'root'), 'Conflict');
    await admin.disableUser('bob', 'root');
    expect((await ctx.store.users.byName('bob'))!.disabled).toBe(true);
    await admin.enableUser('bob', 'root');
    expect((await ctx.store.users.byName('bob'))!.disabled).toBe(false);
    await expectError(admin.setPassword('bob', 'short', 'root'), 'BadRequest');
    await admin.setPassword('bob', 'second-password', 'root');
    const id = (await ctx.store.users.byName('bob'))!.id;
    expect(await ctx.hasher.verify('second-password', (await ctx.store.users.passwordHash(id))!)).toBe(true);
    expect((await admin.setRoles('bob', ['PAM Auditor'], 'root')).roles).toEqual(['PAM Auditor']);

    const actions = (await ctx.store.audit.list()).map((e) => e.action).reverse();
    expect(actions).toEqual(['user.add', 'user.key.add', 'user.disable', 'user.enable', 'user.password.set', 'user.roles.set']);
    const all = JSON.stringify(await ctx.store.audit.list());
    expect(all).not.toContain('first-password');
    expect(all).not.toContain('second-password');
    expect(await ctx.store.audit.verify()).toEqual([]);

    const [listed] = await admin.listUsers();
    expect(listed!.keys).toEqual([{ fingerprint: ECDSA_FP, type: 'ecdsa-sha2-nistp256', comment: 'root@vm' }]);
  });

  it('reports unknown users as NotFound', async () => {
    await expectError(admin.disableUser('ghost', 'root'), 'NotFound', /user ghost not found/);
    await expectError(admin.enableUser('ghost', 'root'), 'NotFound');
    await expectError(admin.setPassword('ghost', 'long enough', 'root'), 'NotFound');
    await expectError(admin.addKey('ghost', ED25519, 'root'), 'NotFound');
    await expectError(admin.setRoles('ghost', ['PAM User'], 'root'), 'NotFound');
  });
});

describe('UserAdmin roles', () => {
  it('creates and updates roles with known permissions only', async () => {
    await expectError(admin.upsertRole('Ops', ['PAM.Access.Connect', 'Root.Everything'], 'root'), 'BadRequest', /Root\.Everything/);
    await expectError(admin.upsertRole(' Ops', [], 'root'), 'BadRequest');
    const ops = await admin.upsertRole('Ops', ['PAM.SessionManagement.View', 'PAM.Access.Connect'], 'root');
    expect(ops.permissions).toEqual(['PAM.Access.Connect', 'PAM.SessionManagement.View']);
    await admin.upsertRole('Ops', ['PAM.Access.Connect'], 'root');
    expect((await admin.listRoles()).find((r) => r.name === 'Ops')!.permissions).toEqual(['PAM.Access.Connect']);
    expect((await ctx.store.audit.list()).map((e) => e.action).reverse()).toEqual(['role.add', 'role.update']);
  });

  it('protects System Administrator and roles in use', async () => {
    await expectError(admin.removeRole('System Administrator', 'root'), 'Conflict');
    await expectError(admin.upsertRole('System Administrator', ['PAM.Access.Connect'], 'root'), 'Conflict');
    await admin.upsertRole('System Administrator', [...PERMISSIONS], 'root');
    await expectError(admin.removeRole('Nope', 'root'), 'NotFound');
    await admin.upsertRole('Temp', ['PAM.Access.Connect'], 'root');
    await admin.addUser({ username: 'carol', roles: ['Temp'] }, 'root');
    await expectError(admin.removeRole('Temp', 'root'), 'Conflict', /carol/);
    await admin.setRoles('carol', ['PAM User'], 'root');
    await admin.removeRole('Temp', 'root');
    expect((await admin.listRoles()).map((r) => r.name)).not.toContain('Temp');
  });
});

describe('UserAdmin.ensureInitialAdmin', () => {
  it('creates admin once with a generated 20-character password', async () => {
    const first = await admin.ensureInitialAdmin();
    expect(first.created).toBe(true);
    expect(first.generatedPassword).toMatch(/^[A-Za-z0-9_-]{20}$/);
    const user = (await ctx.store.users.byName('admin'))!;
    expect(user.roles).toEqual(['System Administrator']);
    expect(await ctx.hasher.verify(first.generatedPassword!, (await ctx.store.users.passwordHash(user.id))!)).toBe(true);
    expect(await admin.ensureInitialAdmin()).toEqual({ created: false });
    const entries = await ctx.store.audit.list();
    expect(entries).toHaveLength(1);
    expect(entries[0]!.details).not.toContain(first.generatedPassword!);
    expect(dbBytes(dir).includes(first.generatedPassword!)).toBe(false);
  });

  it('uses the password from the environment, and refuses a short one', async () => {
    await expectError(admin.ensureInitialAdmin('short'), 'BadRequest', /VIGIL_ADMIN_PASSWORD/);
    expect(await admin.ensureInitialAdmin('from-the-env-1')).toEqual({ created: true });
    const user = (await ctx.store.users.byName('admin'))!;
    expect(await ctx.hasher.verify('from-the-env-1', (await ctx.store.users.passwordHash(user.id))!)).toBe(true);
  });

  it('does nothing when any user exists', async () => {
    await admin.addUser({ username: 'alice' }, 'root');
    expect(await admin.ensureInitialAdmin()).toEqual({ created: false });
    expect(await ctx.store.users.byName('admin')).toBeNull();
  });
});
