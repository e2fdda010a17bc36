// `vigil audit ...`: check the hash chain of the audit trail, and list recent entries.

import type { Command } from 'commander';
import { parseIntOption, withAdmin, type CliIO } from './context.js';
import { iso, json, table } from './output.js';

export function registerAudit(program: Command, io: CliIO): void {
  const audit = program.command('audit').description('the append-only audit trail of administrative actions');

  audit
    .command('verify')
    .description('check that no audit entry was edited or deleted (exit status 1 if any was)')
    .action(async (_opts: object, cmd: Command) => {
      const { problems, last } = await withAdmin(cmd, io, async (s) => ({
        problems: await s.admin.store.audit.verify(),
        last: (await s.admin.store.audit.list({ limit: 1 }))[0],
      }));
      if (problems.length > 0) {
        for (const p of problems) io.stdout(`${p}\n`);
        throw new Error(`audit trail damaged (${problems.length} problem${problems.length === 1 ? '' : 's'})`);
      }
      // An intact chain numbers its entries 1..N, so the newest id is the count.
      io.stdout(`audit trail intact (${last?.id ?? 0} entries)\n`);
    });

  audit
    .command('list')
    .description('list the newest audit entries')
    .option('--json', 'print JSON')
    .option('--limit <n>', 'at most this many entries', parseIntOption('--limit', 1, 100_000), 50)
    .action(async (opts: { json?: boolean; limit: number }, cmd: Command) => {
      const entries = await withAdmin(cmd, io, (s) => s.admin.store.audit.list({ limit: opts.limit }));
      if (opts.json) return io.stdout(json(entries.map((e) => ({ id: e.id, at: iso(e.at), actor: e.actor, action: e.action, target: e.target, details: e.details, hash: e.hash }))));
      if (entries.length === 0) return io.stdout('no audit entries\n');
      io.stdout(table(['ID', 'AT', 'ACTOR', 'ACTION', 'TARGET', 'DETAILS'], entries.map((e) => [e.id, e.at, e.actor, e.action, e.target, e.details])));
    });
}
