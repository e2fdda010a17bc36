// The append-only audit trail: each entry's hash covers its content and the previous entry's hash.

import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuditRepo } from '../core/ports.js';
import type { AuditEntry } from '../core/types.js';
import type { Database } from './schema.js';
import { toDb } from './database.js';

const GENESIS = '0'.repeat(64);

/** The hash of an entry: a canonical JSON of its fields and the previous hash. */
export function auditHash(e: { id: number; at: string; actor: string; action: string; target: string; details: string; prevHash: string }): string {
  const canonical = JSON.stringify([e.id, e.at, e.actor, e.action, e.target, e.details, e.prevHash]);
  return createHash('sha256').update(canonical).digest('hex');
}

export class SqliteAuditRepo implements AuditRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async append(e: { at: Date; actor: string; action: string; target: string; details: string }): Promise<AuditEntry> {
    // One writer transaction at a time keeps the chain linear (SQLite serialises writers; BEGIN IMMEDIATE semantics via Kysely's transaction).
    return this.db.transaction().execute(async (trx) => {
      const last = await trx.selectFrom('audit_log').select(['id', 'hash']).orderBy('id', 'desc').limit(1).executeTakeFirst();
      const id = (last?.id ?? 0) + 1;
      const prevHash = last?.hash ?? GENESIS;
      const at = toDb(e.at);
      const hash = auditHash({ id, at, actor: e.actor, action: e.action, target: e.target, details: e.details, prevHash });
      await trx.insertInto('audit_log').values({ id, at, actor: e.actor, action: e.action, target: e.target, details: e.details, prev_hash: prevHash, hash }).execute();
      return { id, at: e.at, actor: e.actor, action: e.action, target: e.target, details: e.details, prevHash, hash };
    });
  }

  async list(opts: { limit?: number; offset?: number } = {}): Promise<AuditEntry[]> {
    const rows = await this.db
      .selectFrom('audit_log')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(opts.limit ?? 100)
      .offset(opts.offset ?? 0)
      .execute();
    return rows.map((r) => ({ id: r.id, at: new Date(r.at), actor: r.actor, action: r.action, target: r.target, details: r.details, prevHash: r.prev_hash, hash: r.hash }));
  }

  async verify(): Promise<string[]> {
    const problems: string[] = [];
    let prevHash = GENESIS;
    let expectedId = 1;
    // Stream in pages so a long trail does not load whole into memory.
    for (let offset = 0; ; offset += 1000) {
      const rows = await this.db.selectFrom('audit_log').selectAll().orderBy('id').limit(1000).offset(offset).execute();
      for (const r of rows) {
        if (r.id !== expectedId) problems.push(`entry ${expectedId}${r.id > expectedId + 1 ? `..${r.id - 1}` : ''} missing (deleted)`);
        if (r.prev_hash !== prevHash) problems.push(`entry ${r.id}: previous-hash link broken`);
        const h = auditHash({ id: r.id, at: r.at, actor: r.actor, action: r.action, target: r.target, details: r.details, prevHash: r.prev_hash });
        if (h !== r.hash) problems.push(`entry ${r.id}: content does not match its hash (edited)`);
        prevHash = r.hash;
        expectedId = r.id + 1;
      }
      if (rows.length < 1000) break;
    }
    return problems;
  }
}
