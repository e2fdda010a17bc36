// Prepared statements kept by SQL text, so that Kysely (which prepares every query it runs) compiles each one once.

import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

export interface StatementCacheOptions {
  /** Distinct statements kept, least recently used dropped first (default 500). */
  max?: number;
}

/**
 * The database as Kysely's SqliteDialect sees it, with prepare() answered from a cache: compiling a statement costs
 * more than running most of Vigil's (tens of microseconds each; several per session set-up and per command line).
 * A statement in the middle of an iteration (a streamed select) is busy and cannot run again until it ends; such a
 * request gets a freshly prepared statement. SQLite recompiles a cached statement itself when the schema changes.
 */
export function cachingDatabase(raw: BetterSqlite3.Database, opts: StatementCacheOptions = {}): SqliteDatabase & { readonly cached: number } {
  const max = opts.max ?? 500;
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => raw.close(),
    get cached() {
      return cache.size;
    },
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (stmt?.busy) return raw.prepare(sql);
      if (stmt) {
        // Most recently used last, so that the first key is the one to drop.
        cache.delete(sql);
      } else {
        stmt = raw.prepare(sql);
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
      }
      cache.set(sql, stmt);
      return stmt;
    },
  };
}
