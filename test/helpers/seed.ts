// Fills a data directory with users, devices, credentials and grants, in-process, through the same admin services
// the CLI uses (faster than one CLI process per step; the CLI itself is exercised by its own tests and by gateway e2e).

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
