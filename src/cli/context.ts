// What every command shares: the process edge (streams, env, signals), --data-dir resolution, and opening the store.

import fs from 'node:fs';
import os from 'node:os';
import type { Command } from 'commander';
import type { Clock } from '../core/clock.js';
import type { VigilConfig } from '../core/config.js';
import { UserAdmin } from '../core/user-admin.js';
import { VaultAdmin } from '../core/vault-admin.js';
import { openAdmin, type AdminContext, type RunningVigil } from '../main.js';
import { validatePrivateKey } from './key-check.js';

/** What `vigil serve` runs: startVigil of the composition root, or a stand-in in tests. */
export type StartVigil = (config: VigilConfig) => Promise<RunningVigil>;

/** The process edge of the CLI; tests pass their own to run commands in-process. */
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** The whole of standard input. */
  readStdin(): Promise<string>;
  /** Environment variables (VIGIL_DATA_DIR, VIGIL_MASTER_KEY, VIGIL_ADMIN_PASSWORD, VIGIL_LOG_LEVEL). */
  env: Readonly<Record<string, string | undefined>>;
  /** Resolves with the signal name when the process is asked to stop (SIGINT/SIGTERM). */
  waitForStopSignal(): Promise<string>;
  /** Overrides for tests: a clock and a cheap password hash cost. */
  adminOptions?: { clock?: Clock; passwordHashCost?: number };
  /** Overrides startVigil from src/main.ts (tests). */
  startVigil?: StartVigil;
}

/** A mistake in how the command was called: reported in one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The services an administration command works with. */
export interface AdminServices {
  admin: AdminContext;
  users: UserAdmin;
  vault: VaultAdmin;
  /** The name audit entries record for this command's changes. */
  actor: string;
}

/** The data directory: --data-dir, else VIGIL_DATA_DIR, else ./data. */
export function dataDirOf(cmd: Command, io: CliIO): string {
  const opt = cmd.optsWithGlobals<{ dataDir?: string }>().dataDir;
  return opt || io.env.VIGIL_DATA_DIR || './data';
}

/** Empty environment variables count as unset. */
export function envOf(io: CliIO, name: string): string | undefined {
  const v = io.env[name];
  return v === undefined || v === '' ? undefined : v;
}

/** Who is acting, for the audit trail: the operating-system account running the CLI. */
export function cliActor(): string {
  try {
    return `cli:${os.userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/** Opens the data directory, runs `fn`, and always closes the store. */
export async function withAdmin<T>(cmd: Command, io: CliIO, fn: (s: AdminServices) => Promise<T>): Promise<T> {
  const admin = await openAdmin({ dataDir: dataDirOf(cmd, io), masterKey: envOf(io, 'VIGIL_MASTER_KEY'), ...io.adminOptions });
  try {
    const { store, hasher, secretBox, clock } = admin;
    const users = new UserAdmin(store.users, store.roles, hasher, store.audit, clock);
    const vault = new VaultAdmin(store.devices, store.credentials, store.grants, store.users, secretBox, store.audit, clock, { validatePrivateKey });
    return await fn({ admin, users, vault, actor: cliActor() });
  } finally {
    await admin.close();
  }
}

/** Reads a secret from standard input, dropping one trailing newline (as `echo` or a here-string adds). */
export async function readSecretFromStdin(io: CliIO): Promise<string> {
  const text = await io.readStdin();
  return text.endsWith('\r\n') ? text.slice(0, -2) : text.endsWith('\n') ? text.slice(0, -1) : text;
}

/** Reads a small text file given on the command line; the error names the file, never its content. */
export function readSmallFile(file: string, what: string, maxBytes = 64 * 1024): string {
  let size: number;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new Error('not a regular file');
    size = st.size;
  } catch (err) {
    throw new Error(`cannot read ${what} ${file}: ${describeFsError(err)}`);
  }
  if (size > maxBytes) throw new Error(`${what} ${file} is too large (over ${maxBytes} bytes)`);
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${what} ${file}: ${describeFsError(err)}`);
  }
}

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return err instanceof Error ? err.message : String(err);
}

/** Parses a whole number within bounds, for option values. */
export function parseIntOption(name: string, min: number, max: number): (value: string) => number {
  return (value: string) => {
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${name} must be a whole number from ${min} to ${max}, not "${value}"`);
    return n;
  };
}
