import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openAdmin, type AdminContext } from '../main.js';
import { ManualClock } from './clock.js';
import { isVigilError, type ErrorKind } from './errors.js';
import { VaultAdmin, parseCredentialSpec } from './vault-admin.js';

const HOST_KEY = 'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBNoM2YYgd5iKz7VXsRssOUryGX5ekBUF5BWf4PTPMa/vD3WGC0Zv3fbFb59RwK794jE37l49VQaw3C4HYs+ifcc=';
const HOST_KEY_FP = 'SHA256:xtI+lxe4YQ29vrOZWYX77W1HMHPgtfTzIutjvdjybPk';
const PASSWORD = 'Vault-Secret-7f3a9c';
// Shaped like a key; the injected validator below decides whether it is usable.
const KEY_BODY = 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ-UNIQUE-KEY-MATERIAL-91c2';
const PRIVATE_KEY = `-----BEGIN OPENSSH PRIVATE KEY-----\n${KEY_BODY}\n-----END OPENSSH PRIVATE KEY-----\n`;

async function expectError(p: Promise<unknown>, kind: ErrorKind, message?: RegExp): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(isVigilError(err, kind), `expected a ${kind} VigilError, got ${String(err)}`).toBe(true);
  if (message) expect((err as Error).message).toMatch(message);
}

function dbBytes(dir: string): Buffer {
  const files = ['vigil.db', 'vigil.db-wal'].map((f) => path.join(dir, f)).filter((f) => fs.existsSync(f));
  return Buffer.concat(files.map((f) => fs.readFileSync(f)));
}

let dir: string;
let ctx: AdminContext;
let vault: VaultAdmin;
let validated: string[];

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-vault-'));
  ctx = await openAdmin({ dataDir: dir, passwordHashCost: 1024, clock: new ManualClock() });
  validated = [];
  const validatePrivateKey = (pem: string) => {
    validated.push(pem);
    return pem.includes('UNUSABLE') ? 'unsupported or malformed key' : null;
  };
  const s = ctx.store;
  vault = new VaultAdmin(s.devices, s.credentials, s.grants, s.users, ctx.secretBox, s.audit, ctx.clock, { validatePrivateKey });
});
afterEach(async () => {
  await ctx.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('parseCredentialSpec', () => {
  it('splits at the last @', () => {
    expect(parseCredentialSpec('root@web01')).toEqual({ account: 'root', device: 'web01' });
    expect(parseCredentialSpec('svc@corp.example@web01')).toEqual({ account: 'svc@corp.example', device: 'web01' });
    for (const bad of ['root', '@web01', 'root@', '']) expect(() => parseCredentialSpec(bad)).toThrow(/ACCOUNT@DEVICE/);
  });
});

describe('VaultAdmin devices', () => {
  it('adds a device with a pinned key (stored without comment) or trust on first use', async () => {
    const d = await vault.addDevice({ name: 'db01', host: 'db.example', port: 2200, hostKey: `${HOST_KEY} root@db01`, trustOnFirstUse: false }, 'root');
    expect(d).toMatchObject({ name: 'db01', host: 'db.example', port: 2200, hostKey: HOST_KEY, trustOnFirstUse: false });
    const w = await vault.addDevice({ name: 'web01', host: '10.0.0.5', trustOnFirstUse: true }, 'root');
    expect(w).toMatchObject({ port: 22, hostKey: null, trustOnFirstUse: true });
    expect((await vault.listDevices()).map((x) => x.name)).toEqual(['db01', 'web01']);
    const [, first] = await ctx.store.audit.list();
    expect(first).toMatchObject({ action: 'device.add', target: 'db01', actor: 'root' });
    expect(JSON.parse(first!.details)).toMatchObject({ hostKeyFingerprint: HOST_KEY_FP, trustOnFirstUse: false });
  });

  it('validates name, host, port and the host key choice', async () => {
    const ok = { name: 'web01', host: 'web', trustOnFirstUse: true };
    await expectError(vault.addDevice({ ...ok, name: '-web' }, 'root'), 'BadRequest', /device name/);
    await expectError(vault.addDevice({ ...ok, name: 'a'.repeat(65) }, 'root'), 'BadRequest', /device name/);
    await expectError(vault.addDevice({ ...ok, host: '' }, 'root'), 'BadRequest', /host/);
    await expectError(vault.addDevice({ ...ok, host: 'a b' }, 'root'), 'BadRequest', /host/);
    for (const port of [0, 65536, 22.5, Number.NaN]) await expectError(vault.addDevice({ ...ok, port }, 'root'), 'BadRequest', /port/);
    await expectError(vault.addDevice({ ...ok, hostKey: HOST_KEY }, 'root'), 'BadRequest', /exactly one/);
    await expectError(vault.addDevice({ ...ok, trustOnFirstUse: false }, 'root'), 'BadRequest', /exactly one/);
    await expectError(vault.addDevice({ ...ok, trustOnFirstUse: false, hostKey: 'ssh-ed25519 AAAA' }, 'root'), 'BadRequest', /host key/);
    expect(await vault.listDevices()).toEqual([]);
    await vault.addDevice(ok, 'root');
    await expectError(vault.addDevice(ok, 'root'), 'Conflict', /already exists/);
  });

  it('removes a device with its credentials and grants', async () => {
    await vault.addDevice({ name: 'web01', host: 'web', trustOnFirstUse: true }, 'root');
    await ctx.store.users.create({ username: 'alice', passwordHash: null, roles: ['PAM User'] });
    await vault.addCredential('root@web01', { password: PASSWORD }, 'root');
    await vault.addGrant('alice', 'root@web01', {}, 'root');
    await vault.removeDevice('web01', 'root');
    expect(await vault.listCredentials()).toEqual([]);
    expect(await vault.listGrants()).toEqual([]);
    await expectError(vault.removeDevice('web01', 'root'), 'NotFound');
    expect(JSON.parse((await ctx.store.audit.list())[0]!.details)).toMatchObject({ credentialsRemoved: ['root'] });
  });
});

describe('VaultAdmin credentials', () => {
  beforeEach(async () => {
    await vault.addDevice({ name: 'web01', host: 'web', trustOnFirstUse: true }, 'root');
  });

  it('seals passwords and keys: no secret in results, the audit trail or the database file', async () => {
    const p = await vault.addCredential('root@web01', { password: PASSWORD }, 'admin');
    const k = await vault.addCredential('deploy@web01', { privateKey: PRIVATE_KEY }, 'admin');
    expect(p.kind).toBe('password');
    expect(k.kind).toBe('key');
    expect(validated).toEqual([PRIVATE_KEY]);
    expect(ctx.secretBox.open(await ctx.store.credentials.encryptedSecret(p.id))).toBe(PASSWORD);
    expect(ctx.secretBox.open(await ctx.store.credentials.encryptedSecret(k.id))).toBe(PRIVATE_KEY);

    const shown = JSON.stringify([p, k, await vault.listCredentials(), await ctx.store.audit.list()]);
    for (const secret of [PASSWORD, KEY_BODY]) expect(shown).not.toContain(secret);
    const bytes = dbBytes(dir);
    expect(bytes.includes('deploy')).toBe(true);
    for (const secret of [PASSWORD, KEY_BODY]) expect(bytes.includes(secret)).toBe(false);
    await ctx.close();
    ctx = await openAdmin({ dataDir: dir, passwordHashCost: 1024 });
    for (const secret of [PASSWORD, KEY_BODY]) expect(dbBytes(dir).includes(secret)).toBe(false);
  });

  it('refuses bad specs, unknown devices, empty secrets, non-keys and unusable keys, without echoing them', async () => {
    await expectError(vault.addCredential('root', { password: PASSWORD }, 'admin'), 'BadRequest', /ACCOUNT@DEVICE/);
    await expectError(vault.addCredential('ro ot@web01', { password: PASSWORD }, 'admin'), 'BadRequest', /account/);
    await expectError(vault.addCredential('root@nowhere', { password: PASSWORD }, 'admin'), 'NotFound', /device nowhere/);
    await expectError(vault.addCredential('root@web01', { password: '' }, 'admin'), 'BadRequest', /empty/);
    await expectError(vault.addCredential('root@web01', { privateKey: PASSWORD }, 'admin'), 'BadRequest', /private key/);
    const unusable = PRIVATE_KEY.replace(KEY_BODY, `${KEY_BODY}UNUSABLE`);
    const err = await vault.addCredential('root@web01', { privateKey: unusable }, 'admin').catch((e: Error) => e);
    expect((err as Error).message).toBe('the private key cannot be used: unsupported or malformed key');
    expect(await vault.listCredentials()).toEqual([]);
    expect(await ctx.store.audit.list()).toHaveLength(1); // the device only
  });

  it('refuses a duplicate and removes by spec', async () => {
    await vault.addCredential('svc@corp@web01', { password: PASSWORD }, 'admin');
    await expectError(vault.addCredential('svc@corp@web01', { password: 'other' }, 'admin'), 'Conflict');
    expect((await vault.listCredentials()).map((c) => `${c.account}@${c.deviceName}`)).toEqual(['svc@corp@web01']);
    await vault.removeCredential('svc@corp@web01', 'admin');
    await expectError(vault.removeCredential('svc@corp@web01', 'admin'), 'NotFound');
    expect((await ctx.store.audit.list()).map((e) => e.action).reverse()).toEqual(['device.add', 'credential.add', 'credential.remove']);
  });
});

describe('VaultAdmin grants', () => {
  beforeEach(async () => {
    await vault.addDevice({ name: 'web01', host: 'web', trustOnFirstUse: true }, 'root');
    await vault.addCredential('root@web01', { password: PASSWORD }, 'root');
    await ctx.store.users.create({ username: 'alice', passwordHash: null, roles: ['PAM User'] });
  });

  it('adds, lists and removes grants, each audited', async () => {
    const g = await vault.addGrant('alice', 'root@web01', { allowPortForwarding: true }, 'root');
    expect(g).toMatchObject({ username: 'alice', credential: 'root@web01', allowPortForwarding: true });
    await expectError(vault.addGrant('alice', 'root@web01', {}, 'root'), 'Conflict');
    expect(await vault.listGrants()).toHaveLength(1);
    await vault.removeGrant('alice', 'root@web01', 'root');
    await expectError(vault.removeGrant('alice', 'root@web01', 'root'), 'NotFound');
    const [removed, added] = await ctx.store.audit.list();
    expect(removed).toMatchObject({ action: 'grant.remove', target: 'alice -> root@web01' });
    expect(JSON.parse(added!.details)).toEqual({ allowPortForwarding: true });
    expect(await ctx.store.audit.verify()).toEqual([]);
  });

  it('refuses unknown users and credentials', async () => {
    await expectError(vault.addGrant('ghost', 'root@web01', {}, 'root'), 'NotFound', /user ghost/);
    await expectError(vault.addGrant('alice', 'nobody@web01', {}, 'root'), 'NotFound', /credential nobody@web01/);
    await expectError(vault.addGrant('alice', 'web01', {}, 'root'), 'BadRequest');
  });
});
