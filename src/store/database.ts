// Opens the SQLite database (WAL, busy timeout, foreign keys) behind Kysely and applies migrations.

import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, Kysely, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type SqliteDialectConfig } from 'kysely';
import type { Database } from './schema.js';
import { migrate } from './migrations.js';
import { cachingDatabase } from './statement-cache.js';

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
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: cachingDatabase(raw) }) });
  await migrate(db as unknown as Kysely<unknown>);
  // The query planner's row counts (sqlite_stat1) must follow the tables as they grow: the Remote Sessions list's
  // plans depend on them (a database created empty and grown to 100,000 sessions otherwise picks plans 40× slower).
  // Refreshed at open and every hour, only for tables whose size changed tenfold since: rarely, and then a full
  // ANALYZE of that table (~140 ms for 100,000 sessions; a sampled one misjudges the few-valued columns).
  raw.pragma('optimize = 0x10002');
  const optimizer = setInterval(() => {
    try {
      raw.pragma('optimize');
    } catch {
      // Busy (another process writes): statistics can wait for the next hour.
    }
  }, OPTIMIZE_INTERVAL_MS);
  optimizer.unref();
  return {
    db,
    close: async () => {
      clearInterval(optimizer);
      await db.destroy();
    },
  };
}

const OPTIMIZE_INTERVAL_MS = 3_600_000;

/**
 * Transactions begin IMMEDIATE (take the write lock first). Kysely's plain `begin` is deferred: a transaction that
 * reads, then writes (the audit chain's append, login failure counts) cannot wait for another process's lock at
 * its first write — SQLite fails it at once with SQLITE_BUSY, ignoring the busy timeout, to avoid a deadlock.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly settings: SqliteDialectConfig) {
    super(settings);
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.settings);
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
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
