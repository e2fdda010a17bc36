import { afterEach, describe, expect, it } from 'vitest';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { cachingDatabase } from './statement-cache.js';

interface Db {
  t: { id: number; name: string };
}

let raw: BetterSqlite3.Database | null = null;
afterEach(() => {
  raw?.close();
  raw = null;
});

function open(max?: number) {
  raw = new BetterSqlite3(':memory:');
  raw.exec('create table t (id integer primary key, name text not null)');
  const database = cachingDatabase(raw, { max });
  return { db: new Kysely<Db>({ dialect: new SqliteDialect({ database }) }), database };
}

describe('cachingDatabase', () => {
  it('answers queries as before, preparing each distinct statement once', async () => {
    const { db, database } = open();
    for (let i = 1; i <= 20; i++) await db.insertInto('t').values({ id: i, name: `n${i}` }).execute();
    const rows = await db.selectFrom('t').select(['id', 'name']).where('id', '>', 18).orderBy('id').execute();
    expect(rows).toEqual([{ id: 19, name: 'n19' }, { id: 20, name: 'n20' }]);
    // One insert and one select statement, whatever the parameters.
    expect(database.cached).toBe(2);
  });

  it('gives a fresh statement for one that is mid-iteration (a streamed select), so both run', async () => {
    const { db, database } = open();
    for (let i = 1; i <= 3; i++) await db.insertInto('t').values({ id: i, name: `n${i}` }).execute();
    const text = 'select id from t order by id';
    const pairs: string[] = [];
    for (const outer of database.prepare(text).iterate([]) as Iterable<{ id: number }>) {
      pairs.push(`${outer.id}:${database.prepare(text).all([]).length}`);
    }
    expect(pairs).toEqual(['1:3', '2:3', '3:3']);
  });

  it('keeps at most `max` statements, dropping the least recently used, and follows schema changes', async () => {
    const { db, database } = open(3);
    for (let i = 0; i < 10; i++) await sql`select ${sql.raw(String(i))} as v`.execute(db);
    expect(database.cached).toBe(3);
    await sql`alter table t add column extra text`.execute(db);
    await db.insertInto('t').values({ id: 1, name: 'a' }).execute();
    const row = await sql<{ extra: string | null }>`select * from t`.execute(db);
    expect(row.rows[0]).toEqual({ id: 1, name: 'a', extra: null });
  });
});
