// Opens the SQLite database (WAL, busy timeout, foreign keys) behind Kysely and applies migrations.

import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from './schema.js';
import { migrate } from './migrations.js';

export interface DatabaseOptions {
  /** Path of the SQLite file; its directory is created (0700). */
  file: string;
  /** How long a statement waits for a lock held by another process before failing (ms). */
  busyTimeoutMs?: number;
}

/** An open database: the Kysely handle and a way to close it. */
export interface OpenDatabase {
  db: Kysely<Database>;
  close(): Promise<void>;
}

export async function openDatabase(opts: DatabaseOptions): Promise<OpenDatabase> {
  fs.mkdirSync(path.dirname(opts.file), { recursive: true, mode: 0o700 });
  const raw = new BetterSqlite3(opts.file, { timeout: opts.busyTimeoutMs ?? 5000 });
  try {
    fs.chmodSync(opts.file, 0o600);
  } catch {
    // A read-only filesystem still lets us read; permissions are best effort there.
  }
  // WAL lets the CLI read and write while `vigil serve` runs on the same file.
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
  await migrate(db as unknown as Kysely<unknown>);
  return {
    db,
    close: async () => {
      await db.destroy();
    },
  };
}

/** Dates are stored as ISO-8601 UTC strings. */
export function toDb(d: Date): string {
  return d.toISOString();
}
export function fromDb(s: string): Date;
export function fromDb(s: string | null): Date | null;
export function fromDb(s: string | null): Date | null {
  return s === null ? null : new Date(s);
}
