// Fills a data directory with users, devices, credentials and grants, in-process, through the same admin services
// the CLI uses (faster than one CLI process per step; the CLI itself is exercised by its own tests and by gateway e2e).

import fs from 'node:fs';
import { generateEd25519KeyPair } from '../../src/gateway/ssh/host-key.js';
import { UserAdmin } from '../../src/core/user-admin.js';
import { VaultAdmin } from '../../src/core/vault-admin.js';
import { openAdmin, type AdminContext } from '../../src/main.js';

export interface Seeder {
  admin: AdminContext;
  users: UserAdmin;
  vault: VaultAdmin;
  close(): Promise<void>;
}

export async function openSeeder(dataDir: string): Promise<Seeder> {
  const admin = await openAdmin({ dataDir, passwordHashCost: 1024 });
  const { store, hasher, secretBox, clock } = admin;
  const users = new UserAdmin(store.users, store.roles, hasher, store.audit, clock);
  const vault = new VaultAdmin(store.devices, store.credentials, store.grants, store.users, secretBox, store.audit, clock);
  return { admin, users, vault, close: () => admin.close() };
}

/** A fresh ed25519 key pair for a Vigil user: OpenSSH private key text and public key line. */
export function userKeyPair(comment = 'vigil-user'): { privateKey: string; publicKey: string } {
  const pair = generateEd25519KeyPair({ comment });
  return { privateKey: pair.private, publicKey: pair.public };
}

/** The target side of the usual e2e set-up (test/helpers/sshd.ts's Sshd fits). */
export interface SeedTarget {
  port: number;
  hostKeyLine: string;
  user: string;
  password: string;
  privateKey: string;
}

/**
 * The usual e2e set-up: `alice` (PAM User, logging in with a fresh key written 0600 at `keyFile`) granted
 * `<target.user>@web01`, the target vaulted with its password or private key. `more` seeds extra users or rules
 * in the same admin session. Returns alice's key pair.
 */
export async function seedAliceOnWeb01(
  dataDir: string,
  target: SeedTarget,
  o: { keyFile: string; vaulted: 'key' | 'password'; more?: (s: Seeder) => Promise<void> },
): Promise<{ privateKey: string; publicKey: string }> {
  const keys = userKeyPair('alice@laptop');
  fs.writeFileSync(o.keyFile, keys.privateKey, { mode: 0o600 });
  const seeder = await openSeeder(dataDir);
  try {
    await o.more?.(seeder);
    await seeder.users.addUser({ username: 'alice', publicKey: keys.publicKey, roles: ['PAM User'] }, 'test');
    await seeder.vault.addDevice({ name: 'web01', host: '127.0.0.1', port: target.port, hostKey: target.hostKeyLine, trustOnFirstUse: false }, 'test');
    await seeder.vault.addCredential(`${target.user}@web01`, o.vaulted === 'key' ? { privateKey: target.privateKey } : { password: target.password }, 'test');
    await seeder.vault.addGrant('alice', `${target.user}@web01`, {}, 'test');
  } finally {
    await seeder.close();
  }
  return keys;
}
