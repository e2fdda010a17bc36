// `vigil credential ...`: vault a password or private key for ACCOUNT@DEVICE, list (never a secret), remove.

import type { Command } from 'commander';
import { readSecretFromStdin, readSmallFile, UsageError, withAdmin, type CliIO } from './context.js';
import { iso, json, table } from './output.js';

export function registerCredential(program: Command, io: CliIO): void {
  const credential = program.command('credential').description('manage vaulted credentials');

  credential
    .command('add')
    .description('vault a password (from standard input) or a private key (from a file) for ACCOUNT@DEVICE')
    .argument('<account@device>', 'account on a registered device, e.g. root@web01')
    .option('--password-stdin', 'read the password from standard input')
    .option('--key-file <private_key>', 'OpenSSH or PEM private key file (unencrypted)')
    .action(async (spec: string, opts: { passwordStdin?: boolean; keyFile?: string }, cmd: Command) => {
      if (Boolean(opts.passwordStdin) === (opts.keyFile !== undefined)) {
        throw new UsageError('credential add needs exactly one of --password-stdin or --key-file PRIVATE_KEY');
      }
      const secret = opts.keyFile !== undefined ? { privateKey: readSmallFile(opts.keyFile, 'private key file') } : { password: await readSecretFromStdin(io) };
      const created = await withAdmin(cmd, io, (s) => s.vault.addCredential(spec, secret, s.actor));
      io.stdout(`credential ${created.account}@${created.deviceName} added (${created.kind})\n`);
    });

  credential
    .command('list')
    .description('list credentials (secrets are never shown)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const creds = await withAdmin(cmd, io, (s) => s.vault.listCredentials());
      if (opts.json) {
        const out = creds.map((c) => ({ id: c.id, credential: `${c.account}@${c.deviceName}`, account: c.account, device: c.deviceName, kind: c.kind, createdAt: iso(c.createdAt) }));
        return io.stdout(json(out));
      }
      if (creds.length === 0) return io.stdout('no credentials\n');
      io.stdout(table(['CREDENTIAL', 'ACCOUNT', 'DEVICE', 'KIND', 'CREATED'], creds.map((c) => [`${c.account}@${c.deviceName}`, c.account, c.deviceName, c.kind, c.createdAt])));
    });

  credential
    .command('remove')
    .description('remove a credential and the grants to it')
    .argument('<account@device>', 'the credential')
    .action(async (spec: string, _opts: object, cmd: Command) => {
      await withAdmin(cmd, io, (s) => s.vault.removeCredential(spec, s.actor));
      io.stdout(`credential ${spec} removed\n`);
    });
}
