// Audited-command rules in SQLite.

import type { Kysely } from 'kysely';
import { formatScope, parseScope, type CommandRule, type Criticality, type NewCommandRule, type RuleAction, type RuleRepo } from '../core/command-rules.js';
import { VigilError } from '../core/errors.js';
import type { Database, CommandRulesTable } from './schema.js';
import { toDb } from './database.js';

function map(r: Omit<CommandRulesTable, 'id'> & { id: number }): CommandRule {
  return {
    id: r.id,
    name: r.name,
    pattern: r.pattern,
    scope: parseScope(r.scope),
    criticality: r.criticality as Criticality,
    action: r.action as RuleAction,
    createdAt: new Date(r.created_at),
    createdBy: r.created_by,
  };
}

export class SqliteRuleRepo implements RuleRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async list(): Promise<CommandRule[]> {
    const rows = await this.db.selectFrom('command_rules').selectAll().orderBy('id').execute();
    return rows.map(map);
  }

  async byName(name: string): Promise<CommandRule | null> {
    const r = await this.db.selectFrom('command_rules').selectAll().where('name', '=', name).executeTakeFirst();
    return r ? map(r) : null;
  }

  async create(r: NewCommandRule): Promise<CommandRule> {
    try {
      const row = await this.db
        .insertInto('command_rules')
        .values({ name: r.name, pattern: r.pattern, scope: formatScope(r.scope), criticality: r.criticality, action: r.action, created_at: toDb(r.createdAt), created_by: r.createdBy })
        .returningAll()
        .executeTakeFirstOrThrow();
      return map(row);
    } catch (err) {
      if (/UNIQUE constraint failed/.test(String(err))) throw new VigilError('Conflict', `a rule named "${r.name}" already exists`, { cause: err });
      throw err;
    }
  }

  async remove(name: string): Promise<boolean> {
    const r = await this.db.deleteFrom('command_rules').where('name', '=', name).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
