// The real OpenSSH client logging in by keyboard-interactive with a password and a TOTP code (answered by an
// SSH_ASKPASS script, as a person would type them), and the codes an authenticator app would show.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Secret, TOTP } from 'otpauth';
import type { SshResult } from './ssh-client.js';

/** The code an authenticator app shows for a base32 secret, `stepsAhead` 30 s steps from now. */
export function totpCode(secret: string, stepsAhead = 0): string {
  return new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate({ timestamp: Date.now() + stepsAhead * 30_000 });
}

let askpass: string | null = null;

/** A script that answers "Password:" and "Verification code:" prompts from the environment. */
function askpassScript(): string {
  if (askpass) return askpass;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-askpass-'));
  const file = path.join(dir, 'askpass.sh');
  fs.writeFileSync(
    file,
    ['#!/bin/sh', 'case "$1" in', '  *assword*) printf \'%s\\n\' "$VIGIL_ASKPASS_PASSWORD" ;;', '  *code*) printf \'%s\\n\' "$VIGIL_ASKPASS_CODE" ;;', '  *) printf \'\\n\' ;;', 'esac', ''].join('\n'),
    { mode: 0o700 },
  );
  askpass = file;
  return file;
}

export interface KeyboardLogin {
  port: number;
  login: string;
  password: string;
  /** The TOTP code to type when asked for one. */
  code?: string;
}

/** `ssh -T` with keyboard-interactive only; LogLevel INFO, as a user runs it, so the server's instructions are printed. */
export function sshKeyboard(t: KeyboardLogin, command: string, timeoutMs = 45_000): Promise<SshResult> {
  const args = [
    '-F', '/dev/null',
    '-o', 'StrictHostKeyChecking=no',
    '-o', 'UserKnownHostsFile=/dev/null',
    '-o', 'LogLevel=INFO',
    '-o', 'ConnectTimeout=15',
    '-o', 'PreferredAuthentications=keyboard-interactive',
    '-o', 'PubkeyAuthentication=no',
    '-o', 'NumberOfPasswordPrompts=1',
    '-T', '-p', String(t.port), '-l', t.login, '127.0.0.1', command,
  ];
  const env = {
    ...process.env,
    LANG: 'C.UTF-8',
    SSH_ASKPASS: askpassScript(),
    SSH_ASKPASS_REQUIRE: 'force',
    DISPLAY: process.env.DISPLAY ?? ':0',
    VIGIL_ASKPASS_PASSWORD: t.password,
    VIGIL_ASKPASS_CODE: t.code ?? '',
  };
  const child = spawn('ssh', args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ssh did not finish in ${timeoutMs} ms; stderr: ${stderr.slice(-500)}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
