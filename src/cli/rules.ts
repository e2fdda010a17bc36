// `vigil rules add|list|remove`: audited-command rules (regular expression, scope, criticality, action).

import type { Command } from 'commander';
import { CommandRules, CRITICALITIES, formatScope, RULE_ACTIONS, type Criticality, type RuleAction } from '../core/command-rules.js';
import { UsageError, withAdmin, type AdminServices, type CliIO } from './context.js';
import { iso, json, table } from './output.js';

function rulesOf(s: AdminServices): CommandRules {
  return new CommandRules({ rules: s.admin.store.rules, audit: s.admin.store.audit, clock: s.admin.clock });
}

function oneOf<T extends string>(name: string, values: readonly T[]): (v: string) => T {
  return (v) => {
    if (!(values as readonly string[]).includes(v)) throw new UsageError(`${name} must be one of ${values.join(', ')}, not "${v}"`);
    return v as T;
  };
}

export function registerRules(program: Command, io: CliIO): void {
  const rules = program.command('rules').description('audited-command rules: log, deny or interrupt commands that match a regular expression');

  rules
    .command('add')
    .description('add a rule (a running server applies it within 2 seconds)')
    .argument('<name>', 'a unique name, shown to the user when it denies a command')
    .requiredOption('--pattern <regex>', 'regular expression tried on each command of a line, quotes and escapes undone (e.g. "^rm\\s+-rf")')
    .option('--scope <scope>', 'global, device:NAME, credential:ACCOUNT@DEVICE or user:NAME', 'global')
    .option('--criticality <level>', `${CRITICALITIES.join(', ')}`, oneOf('--criticality', CRITICALITIES), 'medium' as Criticality)
    .option('--action <action>', `${RULE_ACTIONS.join(', ')} (allow_log: run and log; deny: never sent; interrupt: drop the session)`, oneOf('--action', RULE_ACTIONS), 'allow_log' as RuleAction)
    .action(async (name: string, opts: { pattern: string; scope: string; criticality: Criticality; action: RuleAction }, cmd: Command) => {
      const r = await withAdmin(cmd, io, (s) => rulesOf(s).add(null, { name, pattern: opts.pattern, scope: opts.scope, criticality: opts.criticality, action: opts.action }, s.actor));
      io.stdout(`rule "${r.name}" added: ${r.action} ${r.criticality} ${formatScope(r.scope)} /${r.pattern}/\n`);
    });

  rules
    .command('list')
    .description('list the rules')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const list = await withAdmin(cmd, io, (s) => rulesOf(s).list(null));
      if (opts.json) {
        return io.stdout(json(list.map((r) => ({ id: r.id, name: r.name, pattern: r.pattern, scope: formatScope(r.scope), criticality: r.criticality, action: r.action, createdAt: iso(r.createdAt), createdBy: r.createdBy }))));
      }
      if (list.length === 0) return io.stdout('no rules\n');
      io.stdout(table(['NAME', 'ACTION', 'CRITICALITY', 'SCOPE', 'PATTERN', 'CREATED', 'BY'], list.map((r) => [r.name, r.action, r.criticality, formatScope(r.scope), r.pattern, r.createdAt, r.createdBy])));
    });

  rules
    .command('remove')
    .description('remove a rule')
    .argument('<name>')
    .action(async (name: string, _opts: object, cmd: Command) => {
      await withAdmin(cmd, io, (s) => rulesOf(s).remove(null, name, s.actor));
      io.stdout(`rule "${name}" removed\n`);
    });
}
