// Drives the real OpenSSH `ssh` client: one-shot commands (exec) and interactive pty sessions typed into.

import { spawn, type ChildProcess } from 'node:child_process';

/** Where and as whom to log in. `password` uses sshpass; `identity` uses key auth in batch mode. */
export interface SshLogin {
  host?: string;
  port: number;
  /** The login name, e.g. `alice[vigiltarget@web01]`. */
  login: string;
  password?: string;
  identity?: string;
}

export interface SshResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const COMMON = ['-F', '/dev/null', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', 'ConnectTimeout=15', '-o', 'ServerAliveInterval=0'];

/** The command line for `ssh` (maybe behind sshpass), without the remote command. */
export function sshCommand(t: SshLogin, extra: string[] = []): { cmd: string; args: string[]; env: NodeJS.ProcessEnv } {
  const auth = t.identity
    ? ['-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'IdentityAgent=none', '-o', 'PreferredAuthentications=publickey', '-i', t.identity]
    : ['-o', 'PreferredAuthentications=password,keyboard-interactive', '-o', 'PubkeyAuthentication=no', '-o', 'NumberOfPasswordPrompts=1'];
  const args = [...COMMON, ...auth, '-p', String(t.port), '-l', t.login, ...extra, t.host ?? '127.0.0.1'];
  const env = { ...process.env, LANG: 'C.UTF-8' };
  if (t.password !== undefined && !t.identity) return { cmd: 'sshpass', args: ['-e', 'ssh', ...args], env: { ...env, SSHPASS: t.password } };
  return { cmd: 'ssh', args, env };
}

/** Runs `ssh ... command` to completion. */
export function sshExec(t: SshLogin, command: string | null, opts: { stdin?: string | Buffer; extra?: string[]; timeoutMs?: number } = {}): Promise<SshResult> {
  const { cmd, args, env } = sshCommand(t, ['-T', ...(opts.extra ?? [])]);
  const child = spawn(cmd, command === null ? args : [...args, command], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  return collect(child, opts.stdin, opts.timeoutMs ?? 45_000);
}

function collect(child: ChildProcess, stdin: string | Buffer | undefined, timeoutMs: number): Promise<SshResult> {
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  child.stdin!.on('error', () => undefined);
  child.stdin!.end(stdin ?? '');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ssh did not finish in ${timeoutMs} ms; stdout: ${stdout.slice(-500)} stderr: ${stderr.slice(-500)}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** An interactive `ssh -tt` session: keys go to stdin, the remote pty's output is read from stdout. */
export interface SshInteractive {
  /** Types text (use "\r" for Enter, as a terminal sends it). */
  type(text: string): void;
  /** Resolves with everything seen so far once `pattern` appears in the output after `from` (default: anywhere). */
  waitFor(pattern: string | RegExp, timeoutMs?: number, from?: number): Promise<string>;
  /** Output so far (stdout and stderr of the ssh client). */
  output(): string;
  /** Resolves when ssh exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  child: ChildProcess;
  kill(signal?: NodeJS.Signals): void;
}

export function sshInteractive(t: SshLogin, opts: { command?: string; extra?: string[] } = {}): SshInteractive {
  const { cmd, args, env } = sshCommand(t, ['-tt', ...(opts.extra ?? [])]);
  const child = spawn(cmd, opts.command ? [...args, opts.command] : args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (s: string) => {
    out += s;
    for (const w of waiters) w();
  };
  child.stdout!.setEncoding('utf8').on('data', onData);
  child.stderr!.setEncoding('utf8').on('data', onData);
  child.stdin!.on('error', () => undefined);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  return {
    child,
    exited,
    output: () => out,
    type: (text) => void child.stdin!.write(text),
    kill: (signal = 'SIGKILL') => void child.kill(signal),
    waitFor: (pattern, timeoutMs = 20_000, from = 0) =>
      new Promise((resolve, reject) => {
        const test = () => (typeof pattern === 'string' ? out.indexOf(pattern, from) !== -1 : pattern.test(out.slice(from)));
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        const check = () => {
          if (test()) {
            done();
            resolve(out);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${String(pattern)}; output so far:\n${out.slice(-2000)}`));
        }, timeoutMs);
        waiters.add(check);
        void exited.then(() => {
          if (!test() && waiters.has(check)) {
            done();
            reject(new Error(`ssh exited before ${String(pattern)} appeared; output:\n${out.slice(-2000)}`));
          }
        });
        check();
      }),
  };
}
