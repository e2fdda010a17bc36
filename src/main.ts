// The composition root: the one place that builds concrete objects (store, vault, hub, gateway, API) and wires them.

import { systemClock, type Clock } from './core/clock.js';
import { dataPaths } from './core/config.js';
import { SEEDED_ROLES } from './core/permissions.js';
import { openSqliteStore, type SqliteStore } from './store/sqlite-store.js';
import { AesGcmSecretBox, loadMasterKey } from './vault/secret-box.js';
import { ScryptPasswordHasher } from './vault/password-hasher.js';
import type { PasswordHasher, SecretBox } from './core/ports.js';

export interface AdminContextOptions {
  dataDir: string;
  /** VIGIL_MASTER_KEY, read by the CLI edge and passed in. */
  masterKey?: string;
  clock?: Clock;
  passwordHashCost?: number;
}

/** What administration commands need: the repositories, the vault box and the password hasher. */
export interface AdminContext {
  store: SqliteStore;
  secretBox: SecretBox;
  hasher: PasswordHasher;
  clock: Clock;
  close(): Promise<void>;
}

/** Opens the data directory for administration (CLI), without starting any listener. */
export async function openAdmin(opts: AdminContextOptions): Promise<AdminContext> {
  const paths = dataPaths(opts.dataDir);
  const clock = opts.clock ?? systemClock;
  const store = await openSqliteStore(paths.database, clock);
  await store.roles.seed(SEEDED_ROLES);
  const secretBox = new AesGcmSecretBox(loadMasterKey(paths.masterKey, opts.masterKey));
  const hasher = new ScryptPasswordHasher({ N: opts.passwordHashCost });
  return { store, secretBox, hasher, clock, close: () => store.close() };
}
