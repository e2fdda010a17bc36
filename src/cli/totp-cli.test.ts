// `vigil user totp enroll|reset`: the secret printed once, confirmed by a code read from standard input; reset audited.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Secret, TOTP } from 'otpauth';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openAdmin } from '../main.js';
import type { CliIO } from './context.js';
import { runCli } from './index.js';

let dir: string;

/** Runs `vigil ARGS`; standard input is computed from what was printed so far (as a person reads the secret, then types). */
async function vigil(args: string[], stdin: (out: string) => string = () => '') {
  let out = '';
  let err = '';
  const io: CliIO = {
    stdout: (s) => void (out += s),
    stderr: (s) => void (err += s),
    readStdin: async () => stdin(out),
    env: { VIGIL_DATA_DIR: dir },
    waitForStopSignal: () => new Promise(() => {}),
    adminOptions: { passwordHashCost: 1024 },
  };
  const code = await runCli(args, io);
  return { code, out, err };
}

const codeFor = (out: string, stepsAhead = 0) => {
  const secret = /secret: ([A-Z2-7]+)/.exec(out)?.[1];
  if (!secret) throw new Error(`no secret printed: ${out}`);
  return new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30 }).generate({ timestamp: Date.now() + stepsAhead * 30_000 });
};

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-totp-cli-'));
  expect((await vigil(['user', 'add', 'alice', '--password-stdin'], () => 'Alice-pass-123\n')).code).toBe(0);
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('vigil user totp', () => {
  it('enrolls: prints the secret and URI once, and enables TOTP only when the typed code matches', async () => {
    const wrong = await vigil(['user', 'totp', 'enroll', 'alice'], (out) => (codeFor(out) === '000000' ? '111111' : '000000'));
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/invalid TOTP code/);
    const ok = await vigil(['user', 'totp', 'enroll', 'alice'], (out) => `${codeFor(out)}\n`);
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.out).toMatch(/uri:\s+otpauth:\/\/totp\/Vigil:alice\?/);
    expect(ok.out).toMatch(/TOTP enrolled for alice/);
    const secret = /secret: ([A-Z2-7]+)/.exec(ok.out)![1]!;

    const ctx = await openAdmin({ dataDir: dir });
    try {
      const alice = (await ctx.store.users.byName('alice'))!;
      expect(alice.totpEnrolled).toBe(true);
      const sealed = (await ctx.store.users.totpSecret(alice.id))!;
      expect(sealed).not.toContain(secret);
      expect(ctx.secretBox.open(sealed)).toBe(secret);
      const enrol = (await ctx.store.audit.list()).find((e) => e.action === 'user.totp.enrol')!;
      expect(enrol.target).toBe('alice');
      expect(enrol.actor).toMatch(/^cli/);
      expect(JSON.stringify(await ctx.store.audit.list())).not.toContain(secret);
    } finally {
      await ctx.close();
    }
    expect((await vigil(['user', 'list'])).out).toMatch(/alice\s+PAM User\s+enabled\s+yes/);
    // Already enrolled: refused until reset.
    expect((await vigil(['user', 'totp', 'enroll', 'alice'], (out) => codeFor(out))).code).toBe(1);
  });

  it('needs a code: empty input enrols nothing (usage error)', async () => {
    const r = await vigil(['user', 'totp', 'enroll', 'alice'], () => '\n');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no code given/);
    expect((await vigil(['user', 'list', '--json'])).out).toContain('"totpEnrolled": false');
  });

  it('resets: TOTP removed and audited; resetting a user without TOTP or an unknown user fails', async () => {
    expect((await vigil(['user', 'totp', 'enroll', 'alice'], (out) => codeFor(out))).code).toBe(0);
    expect(await vigil(['user', 'totp', 'reset', 'alice'])).toMatchObject({ code: 0, out: 'TOTP of alice removed\n' });
    expect((await vigil(['user', 'list', '--json'])).out).toContain('"totpEnrolled": false');
    expect(await vigil(['user', 'totp', 'reset', 'alice'])).toMatchObject({ code: 1, err: expect.stringMatching(/has no TOTP enrolled/) });
    expect(await vigil(['user', 'totp', 'reset', 'nobody'])).toMatchObject({ code: 1, err: expect.stringMatching(/user nobody not found/) });
    const audit = JSON.parse((await vigil(['audit', 'list', '--json'])).out) as Array<{ action: string; target: string }>;
    expect(audit.filter((a) => a.target === 'alice').map((a) => a.action)).toEqual(expect.arrayContaining(['user.totp.enrol', 'user.totp.reset']));
  });
});
