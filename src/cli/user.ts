// `vigil user ...`: add, list, disable, enable, passwd, add-key, set-roles.

import type { Command } from 'commander';
import { readSecretFromStdin, readSmallFile, UsageError, withAdmin, type CliIO } from './context.js';
import { iso, json, table } from './output.js';

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** The one public key line of a file (blank lines and "#" comments ignored). */
function publicKeyFromFile(file: string): string {
  const lines = readSmallFile(file, 'public key file')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  if (lines.length !== 1) throw new UsageError(`${file} must hold exactly one public key line, found ${lines.length}`);
  return lines[0]!;
}

export function registerUser(program: Command, io: CliIO): void {
  const user = program.command('user').description('manage Vigil users');

  user
    .command('add')
    .description('create a user (role "PAM User" unless --role is given)')
    .argument('<name>', 'user name')
    .option('--role <role>', 'role to give (repeatable)', collect)
    .option('--password-stdin', 'read the password from standard input')
    .option('--key-file <pubkey>', 'OpenSSH public key file to register')
    .action(async (name: string, opts: { role?: string[]; passwordStdin?: boolean; keyFile?: string }, cmd: Command) => {
      const publicKey = opts.keyFile === undefined ? undefined : publicKeyFromFile(opts.keyFile);
      const password = opts.passwordStdin ? await readSecretFromStdin(io) : undefined;
      const created = await withAdmin(cmd, io, (s) => s.users.addUser({ username: name, roles: opts.role, password, publicKey }, s.actor));
      io.stdout(`user ${created.username} added (roles: ${created.roles.join(', ') || 'none'})\n`);
    });

  user
    .command('list')
    .description('list users')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const users = await withAdmin(cmd, io, (s) => s.users.listUsers());
      if (opts.json) {
        io.stdout(
          json(
            users.map((u) => ({
              id: u.id,
              username: u.username,
              roles: u.roles,
              disabled: u.disabled,
              totpEnrolled: u.totpEnrolled,
              lockedUntil: iso(u.lockedUntil),
              createdAt: iso(u.createdAt),
              keys: u.keys,
            })),
          ),
        );
        return;
      }
      if (users.length === 0) return io.stdout('no users\n');
      io.stdout(
        table(
          ['USER', 'ROLES', 'STATUS', 'TOTP', 'KEYS', 'CREATED'],
          users.map((u) => [u.username, u.roles.join(', '), u.disabled ? 'disabled' : 'enabled', u.totpEnrolled, u.keys.map((k) => k.fingerprint).join(' '), u.createdAt]),
        ),
      );
    });

  user
    .command('disable')
    .description('stop a user from logging in')
    .argument('<name>', 'user name')
    .action(async (name: string, _opts: object, cmd: Command) => {
      await withAdmin(cmd, io, (s) => s.users.disableUser(name, s.actor));
      io.stdout(`user ${name} disabled\n`);
    });

  user
    .command('enable')
    .description('let a disabled user log in again')
    .argument('<name>', 'user name')
    .action(async (name: string, _opts: object, cmd: Command) => {
      await withAdmin(cmd, io, (s) => s.users.enableUser(name, s.actor));
      io.stdout(`user ${name} enabled\n`);
    });

  user
    .command('passwd')
    .description("set a user's password, read from standard input")
    .argument('<name>', 'user name')
    .option('--password-stdin', 'read the password from standard input (required)')
    .action(async (name: string, opts: { passwordStdin?: boolean }, cmd: Command) => {
      if (!opts.passwordStdin) throw new UsageError('user passwd needs --password-stdin (the password is never taken as an argument)');
      const password = await readSecretFromStdin(io);
      await withAdmin(cmd, io, (s) => s.users.setPassword(name, password, s.actor));
      io.stdout(`password of ${name} changed\n`);
    });

  user
    .command('add-key')
    .description('register another public key for a user')
    .argument('<name>', 'user name')
    .requiredOption('--key-file <pubkey>', 'OpenSSH public key file')
    .action(async (name: string, opts: { keyFile: string }, cmd: Command) => {
      const publicKey = publicKeyFromFile(opts.keyFile);
      const key = await withAdmin(cmd, io, (s) => s.users.addKey(name, publicKey, s.actor));
      io.stdout(`key ${key.fingerprint} added to ${name}\n`);
    });

  user
    .command('set-roles')
    .description("replace a user's roles")
    .argument('<name>', 'user name')
    .requiredOption('--role <role>', 'role to give (repeatable)', collect)
    .action(async (name: string, opts: { role: string[] }, cmd: Command) => {
      const updated = await withAdmin(cmd, io, (s) => s.users.setRoles(name, opts.role, s.actor));
      io.stdout(`roles of ${updated.username}: ${updated.roles.join(', ')}\n`);
    });
}
