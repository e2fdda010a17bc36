// `vigil serve`: validates the configuration, creates the first administrator if needed, runs Vigil until SIGINT/SIGTERM.

import type { Command } from 'commander';
import { parseConfig, type VigilConfig, type VigilConfigInput } from '../core/config.js';
import { startVigil } from '../main.js';
import { dataDirOf, envOf, UsageError, withAdmin, type CliIO } from './context.js';

function address(a: { host: string; port: number }): string {
  return `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
}

function configOf(cmd: Command, io: CliIO, opts: { sshListen?: string; httpListen?: string }): VigilConfig {
  try {
    return parseConfig({
      dataDir: dataDirOf(cmd, io),
      sshListen: opts.sshListen,
      httpListen: opts.httpListen,
      masterKey: envOf(io, 'VIGIL_MASTER_KEY'),
      adminPassword: envOf(io, 'VIGIL_ADMIN_PASSWORD'),
      logLevel: envOf(io, 'VIGIL_LOG_LEVEL') as VigilConfigInput['logLevel'],
      sshLimits: {
        maxConnectionsPerSource: envOf(io, 'VIGIL_SSH_MAX_CONNECTIONS_PER_SOURCE'),
        maxUnauthenticatedPerSource: envOf(io, 'VIGIL_SSH_MAX_UNAUTHENTICATED_PER_SOURCE'),
        maxUnauthenticated: envOf(io, 'VIGIL_SSH_MAX_UNAUTHENTICATED'),
        loginTimeoutMs: envOf(io, 'VIGIL_SSH_LOGIN_TIMEOUT_MS'),
      },
      compression: {
        enabled: envOf(io, 'VIGIL_COMPRESSION') as 'on' | 'off' | undefined,
        intervalMs: envOf(io, 'VIGIL_COMPRESSION_INTERVAL_MS'),
        settleMs: envOf(io, 'VIGIL_COMPRESSION_SETTLE_MS'),
      },
      ...(io.adminOptions?.passwordHashCost ? { passwordHashCost: io.adminOptions.passwordHashCost } : {}),
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

export function registerServe(program: Command, io: CliIO): void {
  program
    .command('serve')
    .description('run the SSH gateway and the web console (data under --data-dir)')
    .option('--ssh-listen <host:port>', 'SSH address (default 0.0.0.0:2222)')
    .option('--http-listen <host:port>', 'web console and API address (default 127.0.0.1:8080)')
    .action(async (opts: { sshListen?: string; httpListen?: string }, cmd: Command) => {
      const config = configOf(cmd, io, opts);
      // Listen for the stop signal before starting, so a Ctrl-C during start-up still stops cleanly.
      const stopSignal = io.waitForStopSignal();
      const first = await withAdmin(cmd, io, (s) => s.users.ensureInitialAdmin(config.adminPassword));
      if (first.generatedPassword) {
        io.stdout(
          `Created the first administrator "admin" (System Administrator) with the password: ${first.generatedPassword}\n` +
            'It is shown only this once. Change it with: vigil user passwd admin --password-stdin\n',
        );
      } else if (first.created) {
        io.stdout('Created the first administrator "admin" (System Administrator) with the password from VIGIL_ADMIN_PASSWORD\n');
      }
      const start = io.startVigil ?? startVigil;
      const app = await start(config);
      io.stdout(`Vigil is running: SSH on ${address(app.sshAddress)}, web console on http://${address(app.httpAddress)}\n`);
      const signal = await stopSignal;
      io.stdout(`${signal} received, stopping\n`);
      await app.stop();
      io.stdout('Vigil stopped\n');
    });
}
