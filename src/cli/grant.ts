// `vigil grant ...`: let a user open sessions with a credential; list and remove grants.

import type { Command } from 'commander';
import { withAdmin, type CliIO } from './context.js';
import { iso, json, table } from './output.js';

export function registerGrant(program: Command, io: CliIO): void {
  const grant = program.command('grant').description('manage which users may use which credentials');

  grant
    .command('add')
    .description('let a user open sessions with a credential')
    .requiredOption('--user <name>', 'Vigil user')
    .requiredOption('--credential <account@device>', 'vaulted credential')
    .option('--allow-port-forwarding', 'also allow SSH port forwarding through this credential')
    .action(async (opts: { user: string; credential: string; allowPortForwarding?: boolean }, cmd: Command) => {
      const g = await withAdmin(cmd, io, (s) => s.vault.addGrant(opts.user, opts.credential, { allowPortForwarding: Boolean(opts.allowPortForwarding) }, s.actor));
      io.stdout(`granted ${g.credential} to ${g.username}${g.allowPortForwarding ? ' (port forwarding allowed)' : ''}\n`);
    });

  grant
    .command('list')
    .description('list grants')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const grants = await withAdmin(cmd, io, (s) => s.vault.listGrants());
      if (opts.json) {
        const out = grants.map((g) => ({ id: g.id, user: g.username, credential: g.credential, allowPortForwarding: g.allowPortForwarding, createdAt: iso(g.createdAt) }));
        return io.stdout(json(out));
      }
      if (grants.length === 0) return io.stdout('no grants\n');
      io.stdout(table(['USER', 'CREDENTIAL', 'PORT FORWARDING', 'CREATED'], grants.map((g) => [g.username, g.credential, g.allowPortForwarding, g.createdAt])));
    });

  grant
    .command('remove')
    .description("remove a user's grant on a credential")
    .requiredOption('--user <name>', 'Vigil user')
    .requiredOption('--credential <account@device>', 'vaulted credential')
    .action(async (opts: { user: string; credential: string }, cmd: Command) => {
      await withAdmin(cmd, io, (s) => s.vault.removeGrant(opts.user, opts.credential, s.actor));
      io.stdout(`grant of ${opts.credential} to ${opts.user} removed\n`);
    });
}
