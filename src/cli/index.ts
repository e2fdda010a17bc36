// The `vigil` command line: builds the commander program and turns every failure into one line and an exit status.

import fs from 'node:fs';
import { Command, CommanderError } from 'commander';
import { VigilError } from '../core/errors.js';
import { UsageError, type CliIO } from './context.js';
import { registerServe } from './serve.js';
import { registerUser } from './user.js';
import { registerTotp } from './totp.js';
import { registerRole } from './role.js';
import { registerDevice } from './device.js';
import { registerCredential } from './credential.js';
import { registerGrant } from './grant.js';
import { registerSessions } from './sessions.js';
import { registerAudit } from './audit.js';
import { registerPurge } from './purge.js';
import { registerSettings } from './settings.js';
import { registerRecording } from './recording.js';
import { registerSessionLogs } from './logs.js';
import { registerRules } from './rules.js';
import { registerPlay } from './play.js';
import { registerVideo } from './video.js';
import { registerLogin, registerRemote } from './remote.js';

/** Exit statuses: 0 success, 1 the command failed, 2 the command was called wrongly. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

const MAX_STDIN = 1024 * 1024;

function version(): string {
  try {
    // src/cli and dist/cli are both two levels below the package root.
    return (JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The program; `writeErr` receives commander's own error-stream output (help shown for a missing subcommand). */
export function buildProgram(io: CliIO, writeErr: (s: string) => void): Command {
  const program = new Command('vigil')
    .description('Vigil: privileged-access SSH session gateway')
    .version(version(), '-V, --version')
    .option('--data-dir <dir>', 'data directory (default: $VIGIL_DATA_DIR or ./data)')
    .configureHelp({ showGlobalOptions: true })
    // Inherited by every subcommand created below, so set before registering them.
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr, outputError: () => {} });
  registerServe(program, io);
  registerUser(program, io);
  registerTotp(program, io);
  registerRole(program, io);
  registerDevice(program, io);
  registerCredential(program, io);
  registerGrant(program, io);
  registerSessions(program, io);
  registerSessionLogs(program, io);
  registerRules(program, io);
  const sessions = program.commands.find((c) => c.name() === 'sessions');
  if (sessions) {
    registerPlay(sessions, io);
    registerVideo(sessions, io);
    registerRemote(sessions, io);
  }
  registerLogin(program, io);
  registerAudit(program, io);
  registerPurge(program, io);
  registerSettings(program, io);
  registerRecording(program, io);
  return program;
}

function oneLine(message: string): string {
  return message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').trim();
}

/** Maps a failure to its one-line message and exit status; never prints a stack trace. */
function report(err: unknown, io: CliIO, commanderErr: string): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT_OK;
    if (err.code === 'commander.help') {
      const usage = /Usage: (\S+(?: [a-z-]+)*)/.exec(commanderErr)?.[1] ?? 'vigil';
      io.stderr(`vigil: missing command; run '${usage} --help' to see them\n`);
      return EXIT_USAGE;
    }
    io.stderr(`vigil: ${oneLine(err.message)}\n`);
    return EXIT_USAGE;
  }
  if (err instanceof UsageError) {
    io.stderr(`vigil: ${oneLine(err.message)}\n`);
    return EXIT_USAGE;
  }
  const message = err instanceof VigilError || err instanceof Error ? err.message : String(err);
  io.stderr(`vigil: ${oneLine(message) || 'failed'}\n`);
  return EXIT_FAILED;
}

/** Runs one command line (arguments after "vigil") against `io`; resolves with the exit status. */
export async function runCli(args: string[], io: CliIO): Promise<number> {
  let commanderErr = '';
  const program = buildProgram(io, (s) => {
    commanderErr += s;
  });
  try {
    await program.parseAsync(args, { from: 'user' });
    return EXIT_OK;
  } catch (err) {
    return report(err, io, commanderErr);
  }
}

/** The real process edge: stdout/stderr, stdin, environment and stop signals. */
export function processIO(): CliIO {
  return {
    stdout: (s) => void process.stdout.write(s),
    stderr: (s) => void process.stderr.write(s),
    readStdin: async () => {
      if (process.stdin.isTTY) process.stderr.write('(reading from standard input; end with Ctrl-D)\n');
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of process.stdin) {
        size += (chunk as Buffer).length;
        if (size > MAX_STDIN) throw new UsageError('standard input is too large');
        chunks.push(chunk as Buffer);
      }
      return Buffer.concat(chunks).toString('utf8');
    },
    env: process.env,
    waitForStopSignal: () =>
      new Promise((resolve) => {
        // Only the first signal is handled; a second one gets Node's default (immediate exit).
        const onSignal = (signal: NodeJS.Signals) => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          resolve(signal);
        };
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
      }),
  };
}

/** Entry point used by bin/vigil.js: `argv` is process.argv (node, script, arguments...). Sets process.exitCode. */
export async function run(argv: string[]): Promise<void> {
  process.exitCode = await runCli(argv.slice(2), processIO());
}
