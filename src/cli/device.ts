// `vigil device ...`: add, list, remove target devices.

import type { Command } from 'commander';
import { parseOpenSshPublicKey } from '../core/user-admin.js';
import { parseIntOption, UsageError, withAdmin, type CliIO } from './context.js';
import { iso, json, table } from './output.js';

function fingerprintOf(hostKey: string | null): string | null {
  if (!hostKey) return null;
  try {
    return parseOpenSshPublicKey(hostKey, 'host key').fingerprint;
  } catch {
    return 'unreadable';
  }
}

export function registerDevice(program: Command, io: CliIO): void {
  const device = program.command('device').description('manage target devices');

  device
    .command('add')
    .description('register a device, with its SSH host key pinned or learnt on first connection')
    .argument('<name>', 'device name, used in ACCOUNT@DEVICE')
    .requiredOption('--host <host>', 'host name or address')
    .option('--port <n>', 'SSH port', parseIntOption('--port', 1, 65535), 22)
    .option('--host-key <key>', 'pinned host key "TYPE BASE64" (as in known_hosts or ssh-keyscan)')
    .option('--trust-on-first-use', 'pin the host key presented on the first connection')
    .action(async (name: string, opts: { host: string; port: number; hostKey?: string; trustOnFirstUse?: boolean }, cmd: Command) => {
      if ((opts.hostKey !== undefined) === Boolean(opts.trustOnFirstUse)) {
        throw new UsageError('device add needs exactly one of --host-key "TYPE BASE64" or --trust-on-first-use');
      }
      const created = await withAdmin(cmd, io, (s) =>
        s.vault.addDevice({ name, host: opts.host, port: opts.port, hostKey: opts.hostKey, trustOnFirstUse: Boolean(opts.trustOnFirstUse) }, s.actor),
      );
      const key = created.hostKey ? `host key ${fingerprintOf(created.hostKey)}` : 'host key pinned on first use';
      io.stdout(`device ${created.name} added (${created.host}:${created.port}, ${key})\n`);
    });

  device
    .command('list')
    .description('list devices')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const devices = await withAdmin(cmd, io, (s) => s.vault.listDevices());
      if (opts.json) {
        const out = devices.map((d) => ({
          id: d.id,
          name: d.name,
          host: d.host,
          port: d.port,
          hostKey: d.hostKey,
          hostKeyFingerprint: fingerprintOf(d.hostKey),
          trustOnFirstUse: d.trustOnFirstUse,
          createdAt: iso(d.createdAt),
        }));
        return io.stdout(json(out));
      }
      if (devices.length === 0) return io.stdout('no devices\n');
      io.stdout(
        table(
          ['DEVICE', 'HOST', 'PORT', 'HOST KEY', 'CREATED'],
          devices.map((d) => [d.name, d.host, d.port, fingerprintOf(d.hostKey) ?? 'pinned on first use', d.createdAt]),
        ),
      );
    });

  device
    .command('remove')
    .description('remove a device with its credentials and grants')
    .argument('<name>', 'device name')
    .action(async (name: string, _opts: object, cmd: Command) => {
      await withAdmin(cmd, io, (s) => s.vault.removeDevice(name, s.actor));
      io.stdout(`device ${name} removed\n`);
    });
}
