// `vigil role ...`: list, add (create or replace permissions), remove.

import type { Command } from 'commander';
import { withAdmin, type CliIO } from './context.js';
import { json, table } from './output.js';

export function registerRole(program: Command, io: CliIO): void {
  const role = program.command('role').description('manage roles and their permissions');

  role
    .command('list')
    .description('list roles with their permissions')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const roles = await withAdmin(cmd, io, (s) => s.users.listRoles());
      if (opts.json) return io.stdout(json(roles.map((r) => ({ id: r.id, name: r.name, permissions: r.permissions }))));
      io.stdout(table(['ROLE', 'PERMISSIONS'], roles.map((r) => [r.name, r.permissions.join(', ')])));
    });

  role
    .command('add')
    .description('create a role, or replace the permissions of an existing one')
    .argument('<name>', 'role name')
    .requiredOption('--permission <permission...>', 'permission(s) of the role, e.g. PAM.Access.Connect')
    .action(async (name: string, opts: { permission: string[] }, cmd: Command) => {
      const saved = await withAdmin(cmd, io, (s) => s.users.upsertRole(name, opts.permission, s.actor));
      io.stdout(`role ${saved.name}: ${saved.permissions.join(', ')}\n`);
    });

  role
    .command('remove')
    .description('remove a role that no user holds')
    .argument('<name>', 'role name')
    .action(async (name: string, _opts: object, cmd: Command) => {
      await withAdmin(cmd, io, (s) => s.users.removeRole(name, s.actor));
      io.stdout(`role ${name} removed\n`);
    });
}
