// Reconstructed commands of sessions, in SQLite (their text is searchable through the search index, search-index.ts).

import type { Kysely } from 'kysely';
import type { Criticality, RuleAction } from '../core/command-rules.js';
import type { CommandEntry, CommandOutcome, CommandRepo, CommandSource, NewCommand } from '../core/session-logs.js';
import type { Database } from './schema.js';
import { toDb } from './database.js';

export class SqliteCommandRepo implements CommandRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async add(c: NewCommand): Promise<number> {
    const r = await this.db
      .insertInto('session_commands')
      .values({
        session_id: c.sessionId,
        at: toDb(c.at),
        offset_s: c.offset,
        command: c.command,
        source: c.source,
        outcome: c.outcome,
        rule_name: c.ruleName,
        criticality: c.criticality,
        action: c.action,
        output: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return r.id;
  }

  async setOutput(id: number, output: string): Promise<void> {
    await this.db.updateTable('session_commands').set({ output }).where('id', '=', id).execute();
  }

  async forSession(sessionId: number): Promise<CommandEntry[]> {
    const rows = await this.db.selectFrom('session_commands').selectAll().where('session_id', '=', sessionId).orderBy('id').execute();
    return rows.map((r) => ({
      id: r.id,
      sessionId: r.session_id,
      at: new Date(r.at),
      offset: r.offset_s,
      command: r.command,
      source: r.source as CommandSource,
      outcome: r.outcome as CommandOutcome,
      ruleName: r.rule_name,
      criticality: r.criticality as Criticality | null,
      action: r.action as RuleAction | null,
      output: r.output,
    }));
  }
}
