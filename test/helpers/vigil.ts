// Starts Vigil for end-to-end tests (as a child process, or in-process) and runs CLI commands on its data dir.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig, type VigilConfigInput } from '../../src/core/config.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = path.join(ROOT, 'test/helpers/vigil-main.ts');

/** The initial administrator's password in tests. */
export const ADMIN_PASSWORD = 'Admin-pass-Zr8Kq3Vt';

/** A fresh data directory under the system temp dir. */
export function newDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-data-'));
}

function baseEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, VIGIL_ADMIN_PASSWORD: ADMIN_PASSWORD, VIGIL_LOG_LEVEL: 'debug', ...extra };
  delete env.VIGIL_DATA_DIR;
  delete env.VIGIL_MASTER_KEY;
  return { ...env, ...extra };
}

export interface VigilProcess {
  sshPort: number;
  dataDir: string;
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
  /** SIGKILL and wait (a crash). */
  kill(): Promise<void>;
}

/** Spawns `vigil serve` on the data dir and resolves once the gateway logged its bound port. */
export async function startVigilProcess(opts: { dataDir: string; env?: Record<string, string>; nodeArgs?: string[] }): Promise<VigilProcess> {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), '--import', 'tsx', MAIN, 'serve', '--data-dir', opts.dataDir, '--ssh-listen', '127.0.0.1:0', '--http-listen', '127.0.0.1:0'], {
    cwd: ROOT,
    env: baseEnv(opts.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Do not leave a half-started Vigil behind the failed test.
      child.kill('SIGKILL');
      reject(new Error(`vigil did not start in time\nstdout:\n${out}\nstderr:\n${err}`));
    }, 30_000);
    child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      const m = /"msg":"ssh gateway listening"/.test(out) ? /\{[^\n]*"msg":"ssh gateway listening"[^\n]*\}/.exec(out) : null;
      if (m) {
        clearTimeout(timer);
        resolve((JSON.parse(m[0]) as { port: number }).port);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`vigil exited (${code ?? signal}) before listening\nstdout:\n${out}\nstderr:\n${err}`));
    });
  });
  const exited = new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r())));
  return {
    sshPort: port,
    dataDir: opts.dataDir,
    child,
    stdout: () => out,
    stderr: () => err,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      }
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `vigil ARGS --data-dir D` as its own process, as a user would. */
export function runCli(dataDir: string, args: string[], opts: { stdin?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--data-dir', dataDir, ...args], { cwd: ROOT, env: baseEnv(opts.env), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  child.stdin!.on('error', () => undefined);
  child.stdin!.end(opts.stdin ?? '');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`vigil ${args.join(' ')} did not finish`));
    }, 60_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A session as `vigil sessions list --json` prints it (the fields the tests read). */
export interface CliSession {
  id: number;
  sessionId: string;
  user: string;
  credential: string;
  device: string;
  originIp: string;
  protocol: string;
  status: string;
  startedAt: string;
  endedAt: string | null;
  exitStatus: number | null;
  [k: string]: unknown;
}

/** `vigil sessions list --json`, newest first. */
export async function listSessions(dataDir: string): Promise<CliSession[]> {
  const r = await runCli(dataDir, ['sessions', 'list', '--json']);
  if (r.code !== 0) throw new Error(`vigil sessions list failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as CliSession[];
}

/** Starts Vigil inside the test process (for tests that reach into the hub); logs are collected in memory. */
export async function startVigilInProcess(input: Omit<VigilConfigInput, 'sshListen' | 'httpListen'>) {
  const { pino } = await import('pino');
  const { startVigil } = await import('../../src/main.js');
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
  const config = parseConfig({ passwordHashCost: 1024, adminPassword: ADMIN_PASSWORD, ...input, sshListen: '127.0.0.1:0', httpListen: '127.0.0.1:0' });
  const vigil = await startVigil(config, { logger });
  return { ...vigil, logs: () => lines.join('') };
}
