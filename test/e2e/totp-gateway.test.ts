// End to end: TOTP at the gateway with the real OpenSSH client. A user enrolled with `vigil user totp enroll` logs in
// with password and code (keyboard-interactive); a code is accepted once; wrong codes lock the account (audited);
// with auth.requireTotp a user without TOTP is told to enrol and refused.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOTP_ENROLMENT_REQUIRED } from '../../src/gateway/ssh/auth.js';
import { SettingsService } from '../../src/core/settings-service.js';
import { TotpCodes, TotpEnrolment } from '../../src/core/totp-enrolment.js';
import { openSeeder, type Seeder } from '../helpers/seed.js';
import { sshExec } from '../helpers/ssh-client.js';
import { sshKeyboard, totpCode } from '../helpers/ssh-totp.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { requireTool } from '../helpers/tools.js';
import { newDataDir, startVigilProcess, type VigilProcess } from '../helpers/vigil.js';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../helpers/vigil-main.ts');
const PASSWORDS = { tina: 'Tina-pass-4Rt8Yu2Io', uma: 'Uma-pass-7Gh3Jk9Lz', vic: 'Vic-pass-5Qw1Er6Ty', bob: 'Bob-pass-2Zx6Cv1Bn' };
const skip = requireTool('sshd', 'ssh', 'sshpass', 'ssh-keygen');

/** A six-digit code valid for none of the steps a server accepts now (±1). */
function wrongCode(secret: string, seed: number): string {
  const valid = new Set([-1, 0, 1].map((d) => totpCode(secret, d)));
  for (let n = seed; ; n++) if (!valid.has(String(n % 1_000_000).padStart(6, '0'))) return String(n % 1_000_000).padStart(6, '0');
}

/** `vigil user totp enroll NAME` as an administrator runs it: reads the secret it prints, types the current code. */
function enrolByCli(dataDir: string, name: string): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--data-dir', dataDir, 'user', 'totp', 'enroll', name], { cwd: path.dirname(path.dirname(path.dirname(MAIN))), stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let secret = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    out += s;
    const m = /secret: ([A-Z2-7]+)/.exec(out);
    if (m && !secret) {
      secret = m[1]!;
      child.stdin.end(`${totpCode(secret)}\n`);
    }
  });
  return new Promise((resolve, reject) => {
    child.once('close', (code) => (code === 0 && secret ? resolve(secret) : reject(new Error(`enroll ${name} failed (${code}): ${out} ${err}`))));
  });
}

describe.skipIf(skip)('TOTP at the gateway (OpenSSH client, keyboard-interactive)', () => {
  let sshd: Sshd;
  let vigil: VigilProcess;
  let dataDir: string;
  let seeder: Seeder;
  const secrets: Record<string, string> = {};
  const target = (user: string) => `${user}[${sshd.user}@web01]`;
  const sessionsOf = async (user: string) => (await seeder.admin.store.sessions.query({ user, sort: 'id', order: 'desc', page: 1, pageSize: 200 })).total;
  const setRequireTotp = async (on: boolean) => {
    const settings = new SettingsService({ settings: seeder.admin.store.settings, audit: seeder.admin.store.audit, clock: seeder.admin.clock });
    // Vigil may still be recording the previous test's last refused login: two processes' read-then-write
    // transactions can meet, and SQLite answers one with SQLITE_BUSY at once (not waited for; a store issue).
    for (let attempt = 0; ; attempt++) {
      try {
        return await settings.set('auth.requireTotp', on, 'test');
      } catch (err) {
        if (attempt >= 5 || !/database is locked/.test(String(err))) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };

  beforeAll(async () => {
    dataDir = newDataDir();
    sshd = await startSshd();
    vigil = await startVigilProcess({ dataDir });
    seeder = await openSeeder(dataDir);
    const { users, vault, admin } = seeder;
    await vault.addDevice({ name: 'web01', host: '127.0.0.1', port: sshd.port, hostKey: sshd.hostKeyLine, trustOnFirstUse: false }, 'test');
    await vault.addCredential(`${sshd.user}@web01`, { password: sshd.password }, 'test');
    for (const [name, password] of Object.entries(PASSWORDS)) {
      await users.addUser({ username: name, password, roles: ['PAM User'] }, 'test');
      await vault.addGrant(name, `${sshd.user}@web01`, {}, 'test');
    }
    // tina the way an administrator does it; the others through the same service, in-process.
    secrets.tina = await enrolByCli(dataDir, 'tina');
    const codes = new TotpCodes({ users: admin.store.users, box: admin.secretBox, engine: admin.totp, clock: admin.clock });
    const enrolment = new TotpEnrolment({ users: admin.store.users, box: admin.secretBox, engine: admin.totp, codes, failures: { recordFailure: async () => undefined }, audit: admin.store.audit, clock: admin.clock });
    for (const name of ['uma', 'vic']) {
      const id = (await admin.store.users.byName(name))!.id;
      const started = await enrolment.start(id);
      await enrolment.confirm(id, totpCode(started.secret), 'test');
      secrets[name] = started.secret;
    }
  }, 120_000);

  afterAll(async () => {
    await seeder?.close();
    await vigil?.stop();
    await sshd?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('asks an enrolled user for password and code, accepts each code once, and refuses a wrong code or a password alone', async () => {
    // The code the CLI confirmed with is spent; the next step's (within the drift window) is fresh.
    const code = totpCode(secrets.tina!, 1);
    const ok = await sshKeyboard({ port: vigil.sshPort, login: target('tina'), password: PASSWORDS.tina, code }, 'echo totp-ok');
    expect(ok.stdout, ok.stderr).toBe('totp-ok\n');
    expect(ok.code).toBe(0);
    const before = await sessionsOf('tina');
    const replay = await sshKeyboard({ port: vigil.sshPort, login: target('tina'), password: PASSWORDS.tina, code }, 'echo replayed');
    expect(replay.code).toBe(255);
    expect(replay.stdout).toBe('');
    expect(replay.stderr).toMatch(/Permission denied/);
    const wrong = await sshKeyboard({ port: vigil.sshPort, login: target('tina'), password: PASSWORDS.tina, code: wrongCode(secrets.tina!, 424242) }, 'echo wrong');
    expect(wrong.code).toBe(255);
    const passwordOnly = await sshExec({ port: vigil.sshPort, login: target('tina'), password: PASSWORDS.tina }, 'echo password-only');
    expect(passwordOnly.code).not.toBe(0);
    expect(await sessionsOf('tina')).toBe(before);
  });

  it('locks the account after 5 wrong codes, with an audit entry; the right code is refused while locked', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await sshKeyboard({ port: vigil.sshPort, login: target('uma'), password: PASSWORDS.uma, code: wrongCode(secrets.uma!, 100000 + i * 7) }, 'true');
      expect(r.code).toBe(255);
    }
    const locked = await sshKeyboard({ port: vigil.sshPort, login: target('uma'), password: PASSWORDS.uma, code: totpCode(secrets.uma!, 1) }, 'echo in');
    expect(locked.code).toBe(255);
    const lock = (await seeder.admin.store.audit.list({ limit: 1000 })).find((a) => a.action === 'user.lockout' && a.target === 'uma');
    expect(lock?.details).toMatch(/keyboard-interactive/);
    expect((await seeder.admin.store.users.byName('uma'))!.lockedUntil).not.toBeNull();
  });

  it('with auth.requireTotp, tells a user without TOTP to enrol and refuses them; an enrolled user still logs in', async () => {
    await setRequireTotp(true);
    try {
      const bob = await sshKeyboard({ port: vigil.sshPort, login: target('bob'), password: PASSWORDS.bob }, 'echo bob-in');
      expect(bob.code).toBe(255);
      expect(bob.stdout).toBe('');
      expect(bob.stderr).toContain(TOTP_ENROLMENT_REQUIRED);
      // The message follows a correct password only: a wrong one learns nothing about the account.
      const guess = await sshKeyboard({ port: vigil.sshPort, login: target('bob'), password: 'not-his-password' }, 'true');
      expect(guess.code).toBe(255);
      expect(guess.stderr).not.toContain('TOTP');
      const viaPassword = await sshExec({ port: vigil.sshPort, login: target('bob'), password: PASSWORDS.bob }, 'echo bob-in');
      expect(viaPassword.code).not.toBe(0);
      expect(await sessionsOf('bob')).toBe(0);
      const vic = await sshKeyboard({ port: vigil.sshPort, login: target('vic'), password: PASSWORDS.vic, code: totpCode(secrets.vic!, 1) }, 'echo vic-in');
      expect(vic.stdout, vic.stderr).toBe('vic-in\n');
    } finally {
      await setRequireTotp(false);
    }
    const free = await sshExec({ port: vigil.sshPort, login: target('bob'), password: PASSWORDS.bob }, 'echo bob-in');
    expect(free.stdout).toBe('bob-in\n');
  });
});
