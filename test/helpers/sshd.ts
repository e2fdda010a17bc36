// A real OpenSSH sshd on a random loopback port, with its own host key and a test account, for end-to-end tests.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './ports.js';

/** The Linux account sessions land in, with a password known to the tests. */
export const TARGET_USER = 'vigiltarget';
export const TARGET_PASSWORD = 'Tgt-pass-9XvQ4m2Lw7';

export interface Sshd {
  host: string;
  port: number;
  /** The host key as "ssh-ed25519 BASE64". */
  hostKeyLine: string;
  user: string;
  password: string;
  /** Private key authorized for `user` (OpenSSH format, no passphrase). */
  privateKeyPath: string;
  privateKey: string;
  dir: string;
  /** What sshd wrote to stderr so far (for failure messages). */
  log(): string;
  /** SIGKILLs the per-connection sshd processes (and so every shell under them): the target host "dies". */
  killConnections(): void;
  stop(): Promise<void>;
}

export interface SshdOptions {
  /** Extra sshd_config lines. */
  extraConfig?: string[];
}

/** Creates the test account once per machine (serialised with flock: test files run in parallel). */
export function ensureTargetAccount(): void {
  const script = `id ${TARGET_USER} >/dev/null 2>&1 || useradd -m -s /bin/bash ${TARGET_USER}; echo '${TARGET_USER}:${TARGET_PASSWORD}' | chpasswd`;
  execFileSync('flock', ['/tmp/vigil-test-account.lock', 'sh', '-c', script], { stdio: 'pipe' });
}

function keygen(file: string, comment: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], { stdio: 'pipe' });
}

/** Starts sshd and resolves once it listens. */
export async function startSshd(opts: SshdOptions = {}): Promise<Sshd> {
  ensureTargetAccount();
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-sshd-'));
  fs.chmodSync(dir, 0o755);
  const hostKey = path.join(dir, 'ssh_host_ed25519_key');
  keygen(hostKey, 'test-sshd');
  const clientKey = path.join(dir, 'client_key');
  keygen(clientKey, 'vigil-test-client');
  const authorized = path.join(dir, 'authorized_keys');
  fs.copyFileSync(`${clientKey}.pub`, authorized);
  fs.chmodSync(authorized, 0o644);
  const hostKeyLine = fs.readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');

  // The port is picked, then bound by sshd; another process may grab it in between, so retry.
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const config = path.join(dir, 'sshd_config');
    fs.writeFileSync(
      config,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${hostKey}`,
        'PidFile none',
        'UsePAM no',
        'PasswordAuthentication yes',
        'KbdInteractiveAuthentication no',
        'PubkeyAuthentication yes',
        `AuthorizedKeysFile ${authorized}`,
        'StrictModes no',
        'PermitRootLogin no',
        `AllowUsers ${TARGET_USER}`,
        'Subsystem sftp internal-sftp',
        'MaxStartups 200',
        'MaxSessions 100',
        'PrintMotd no',
        'PrintLastLog no',
        'AcceptEnv LANG LC_*',
        'LogLevel INFO',
        ...(opts.extraConfig ?? []),
        '',
      ].join('\n'),
    );
    const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      log = (log + s).slice(-200_000);
    });
    const ok = await waitListening(child, () => log);
    if (!ok) {
      child.kill('SIGKILL');
      if (attempt < 3 && /Address already in use|Cannot bind/i.test(log)) continue;
      throw new Error(`sshd did not start:\n${log}`);
    }
    return {
      killConnections: () => {
        // Every descendant of the listener (monitor, unprivileged child, shell...) at once, as a host crash would.
        const below = (pid: string): string[] => {
          let kids: string[] = [];
          try {
            kids = execFileSync('pgrep', ['-P', pid], { encoding: 'utf8' }).split('\n').filter(Boolean);
          } catch {
            // pgrep exits 1 when there are none.
          }
          return kids.flatMap((k) => [k, ...below(k)]);
        };
        for (const pid of below(String(child.pid))) {
          try {
            process.kill(Number(pid), 'SIGKILL');
          } catch {
            // Already gone.
          }
        }
      },
      host: '127.0.0.1',
      port,
      hostKeyLine,
      user: TARGET_USER,
      password: TARGET_PASSWORD,
      privateKeyPath: clientKey,
      privateKey: fs.readFileSync(clientKey, 'utf8'),
      dir,
      log: () => log,
      stop: async () => {
        await stopChild(child);
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}

function waitListening(child: ChildProcess, log: () => string): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(false), 10_000);
    const check = () => {
      if (/Server listening on/.test(log())) done(true);
    };
    const done = (v: boolean) => {
      clearTimeout(timer);
      child.stderr!.off('data', check);
      child.off('exit', onExit);
      resolve(v);
    };
    const onExit = () => done(false);
    child.stderr!.on('data', check);
    child.once('exit', onExit);
    check();
  });
}

/** SIGTERM, then SIGKILL after 3 s; resolves when the process is gone. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(t);
}
