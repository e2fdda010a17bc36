// Consistency checks of a SQLite file from outside Vigil (a read-only connection of its own), as an operator would run them.

import BetterSqlite3 from 'better-sqlite3';

/** What `PRAGMA integrity_check` and `PRAGMA foreign_key_check` report: `['ok']` and `[]` for a sound file. */
export function checkSqliteFile(file: string): { integrity: string[]; foreignKeys: unknown[] } {
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    const integrity = (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check);
    const foreignKeys = db.pragma('foreign_key_check') as unknown[];
    return { integrity, foreignKeys };
  } finally {
    db.close();
  }
}

/** Runs one read-only query on the file (for checking rows after a fault). */
export function queryAll<T>(file: string, sqlText: string, ...params: unknown[]): T[] {
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sqlText).all(...params) as T[];
  } finally {
    db.close();
  }
}
