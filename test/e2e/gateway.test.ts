// End to end: the real OpenSSH client logs in to a real Vigil (child process), which connects to a real sshd.

import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPaths } from '../../src/core/config.js';
import { FileRecordingStore } from '../../src/recording/file-recording-store.js';
import { openSeeder, userKeyPair, type Seeder } from '../helpers/seed.js';
import { sshExec, sshInteractive, type SshLogin } from '../helpers/ssh-client.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { requireTool } from '../helpers/tools.js';
import { freePort } from '../helpers/ports.js';
import { listSessions, newDataDir, runCli, startVigilProcess, type CliSession, type VigilProcess } from '../helpers/vigil.js';
import { plainCopy, recordingBytes } from '../helpers/recording-file.js';

const ALICE_PASSWORD = 'Alice-pass-Hq7Tn2Wd';
const skip = requireTool('sshd', 'ssh', 'sshpass', 'ssh-keygen', 'script', 'asciinema', 'sftp');

describe.skipIf(skip)('SSH gateway (OpenSSH client → Vigil → OpenSSH sshd)', () => {
  let sshd: Sshd;
  let vigil: VigilProcess;
  let dataDir: string;
  let seeder: Seeder;
  let aliceKey: string;
  let wrongHostKey: string;

  const alice = (target: string | null, how: 'password' | 'key' = 'key'): SshLogin => ({
    port: vigil.sshPort,
    login: target ? `alice[${target}]` : 'alice',
    ...(how === 'key' ? { identity: aliceKey } : { password: ALICE_PASSWORD }),
  });

  /** The newest session to `account@device`, via `vigil sessions list --json`. */
  async function lastSession(target: string): Promise<CliSession> {
    const all = await listSessions(dataDir);
    const s = all.find((x) => `${x.credential}@${x.device}` === target);
    if (!s) throw new Error(`no session for ${target} in ${JSON.stringify(all.map((x) => `${x.credential}@${x.device}`))}`);
    return s;
  }

  beforeAll(async () => {
    dataDir = newDataDir();
    sshd = await startSshd();
    vigil = await startVigilProcess({ dataDir });

    const keys = userKeyPair('alice@laptop');
    aliceKey = path.join(dataDir, '..', `${path.basename(dataDir)}-alice_key`);
    fs.writeFileSync(aliceKey, keys.privateKey, { mode: 0o600 });
    fs.writeFileSync(`${aliceKey}.pub`, keys.publicKey);
    wrongHostKey = userKeyPair('not-the-host').publicKey;

    // The user story: administer with the CLI while `vigil serve` runs on the same data dir.
    const cli = async (args: string[], stdin?: string) => {
      const r = await runCli(dataDir, args, { stdin });
      if (r.code !== 0) throw new Error(`vigil ${args.join(' ')} failed: ${r.stderr}`);
      return r;
    };
    await cli(['user', 'add', 'alice', '--password-stdin', '--key-file', `${aliceKey}.pub`], `${ALICE_PASSWORD}\n`);
    await cli(['device', 'add', 'web01', '--host', '127.0.0.1', '--port', String(sshd.port), '--host-key', sshd.hostKeyLine]);
    await cli(['credential', 'add', `${sshd.user}@web01`, '--password-stdin'], `${sshd.password}\n`);
    await cli(['grant', 'add', '--user', 'alice', '--credential', `${sshd.user}@web01`]);

    // The rest in-process, through the same admin services.
    seeder = await openSeeder(dataDir);
    const { users, vault } = seeder;
    const down = await freePort();
    await vault.addDevice({ name: 'web02', host: '127.0.0.1', port: sshd.port, hostKey: sshd.hostKeyLine, trustOnFirstUse: false }, 'test');
    await vault.addDevice({ name: 'web03', host: '127.0.0.1', port: sshd.port, hostKey: sshd.hostKeyLine, trustOnFirstUse: false }, 'test');
    await vault.addDevice({ name: 'moved', host: '127.0.0.1', port: sshd.port, hostKey: wrongHostKey, trustOnFirstUse: false }, 'test');
    await vault.addDevice({ name: 'down', host: '127.0.0.1', port: down, hostKey: sshd.hostKeyLine, trustOnFirstUse: false }, 'test');
    await vault.addDevice({ name: 'fresh', host: '127.0.0.1', port: sshd.port, trustOnFirstUse: true }, 'test');
    await vault.addDevice({ name: 'stale', host: '127.0.0.1', port: sshd.port, hostKey: sshd.hostKeyLine, trustOnFirstUse: false }, 'test');
    await vault.addCredential(`${sshd.user}@web02`, { privateKey: sshd.privateKey }, 'test');
    await vault.addCredential(`${sshd.user}@web03`, { password: sshd.password }, 'test');
    await vault.addCredential(`${sshd.user}@moved`, { password: sshd.password }, 'test');
    await vault.addCredential(`${sshd.user}@down`, { password: sshd.password }, 'test');
    await vault.addCredential(`${sshd.user}@fresh`, { password: sshd.password }, 'test');
    await vault.addCredential(`${sshd.user}@stale`, { password: 'not-the-password-anymore' }, 'test');
    for (const d of ['web02', 'moved', 'down', 'fresh', 'stale']) await vault.addGrant('alice', `${sshd.user}@${d}`, {}, 'test');
    await users.addUser({ username: 'carol', password: 'Carol-pass-5tGv8Lm', roles: ['PAM User'] }, 'test');
    await users.addUser({ username: 'dave', password: 'Dave-pass-3wQe7Rt', roles: ['PAM User'] }, 'test');
    await users.disableUser('dave', 'test');
    await users.addUser({ username: 'erin', password: 'Erin-pass-8uJk2Sd', roles: ['PAM User'] }, 'test');
  }, 120_000);

  afterAll(async () => {
    await seeder?.close();
    await vigil?.stop();
    await sshd?.stop();
    if (dataDir) {
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(`${dataDir}-alice_key`, { force: true });
      fs.rmSync(`${dataDir}-alice_key.pub`, { force: true });
    }
  });

  it('relays exec: stdout and stderr apart, and the exit status', async () => {
    const r = await sshExec(alice(`${sshd.user}@web01`, 'password'), 'echo to-stdout; echo to-stderr >&2; exit 7');
    expect(r.stdout).toBe('to-stdout\n');
    expect(r.stderr).toContain('to-stderr');
    expect(r.code).toBe(7);
    const s = await lastSession(`${sshd.user}@web01`);
    expect(s).toMatchObject({ user: 'alice', credential: sshd.user, device: 'web01', protocol: 'SSH', status: 'completed', exitStatus: 7, originIp: '127.0.0.1' });
    expect(s.endedAt).not.toBeNull();
  });

  // Regression: a target that answers fast enough puts the exec reply, the output, the exit status and the close in
  // one read; the relay used to miss the exit status then, and the user's ssh reported 255. Load makes that likely.
  it('relays the exit status or signal of every exec, 30 of them, several at once on a loaded machine', async () => {
    const load = cpuLoad(2);
    const runs: Array<{ i: number; kind: 'status' | 'signal'; code: number | null }> = [];
    try {
      await inPool(30, 6, async (i) => {
        const kind = i % 3 === 2 ? 'signal' : 'status';
        const cmd = kind === 'status' ? `echo run-${i}; exit 7` : `echo run-${i}; kill -TERM $$`;
        const r = await sshExec(alice(`${sshd.user}@web01`), cmd);
        expect(r.stdout).toBe(`run-${i}\n`);
        runs.push({ i, kind, code: r.code });
      });
    } finally {
      load.stop();
    }
    // OpenSSH's ssh exits with the remote status; an exit signal it reports as 255 too, so those are checked below.
    expect(runs.filter((r) => r.kind === 'status').map((r) => r.code)).toEqual(Array(20).fill(7));
    const byRun = new Map((await listSessions(dataDir)).map((s) => [/run-(\d+)/.exec(String(s.command))?.[1], s]));
    for (const r of runs) {
      const s = byRun.get(String(r.i));
      if (r.kind === 'status') expect(s, `run ${r.i}`).toMatchObject({ status: 'completed', exitStatus: 7, endReason: 'exit status 7' });
      else expect(s, `run ${r.i}`).toMatchObject({ status: 'completed', exitStatus: null, endReason: 'killed by signal SIGTERM' });
    }
  });

  it('logs in with a key and uses a vaulted private key; stdin reaches the command intact', async () => {
    const input = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < input.length; i++) input[i] = (i * 7919) % 251;
    const r = await sshExec(alice(`${sshd.user}@web02`), 'whoami; sha256sum', { stdin: input });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(sshd.user);
    expect(r.stdout).toContain(createHash('sha256').update(input).digest('hex'));
  });

  it('keeps a command whose client closes stdin at once (ssh host cmd </dev/null)', async () => {
    const r = await sshExec(alice(`${sshd.user}@web01`), 'sleep 0.3; echo still-here', { stdin: '' });
    expect(r.stdout).toBe('still-here\n');
    expect(r.code).toBe(0);
  });

  it('relays an interactive pty shell, records it, and stores the recording size and hash', async () => {
    const ssh = sshInteractive(alice(`${sshd.user}@web01`));
    await ssh.waitFor(/[$#] $/m);
    ssh.type('echo hello-$((6*7))\r');
    await ssh.waitFor('hello-42');
    ssh.type('exit 3\r');
    expect((await ssh.exited).code).toBe(3);

    const s = await lastSession(`${sshd.user}@web01`);
    expect(s).toMatchObject({ status: 'completed', exitStatus: 3 });
    const file = new FileRecordingStore({ dir: dataPaths(dataDir).recordings }).pathFor(s.sessionId, new Date(s.startedAt));
    const bytes = await recordingBytes(file);
    expect(s.recordingSize).toBe(bytes.length);
    expect(s.recordingSha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    const lines = bytes.toString('utf8').trimEnd().split('\n');
    expect(JSON.parse(lines[0])).toMatchObject({ version: 2 });
    for (const l of lines.slice(1)) expect(['o', 'i', 'r']).toContain((JSON.parse(l) as unknown[])[1]);
    const copy = await plainCopy(file, `${dataDir}-copy.cast`);
    const shown = execFileSync('script', ['-qec', `asciinema cat ${copy}`, '/dev/null'], { encoding: 'utf8', timeout: 30_000 });
    fs.rmSync(copy);
    expect(shown).toContain('hello-42');
  });

  it('shows a menu to a user who names no target, and connects to the chosen credential', async () => {
    const ssh = sshInteractive(alice(null));
    const menu = await ssh.waitFor('Enter a number');
    const m = new RegExp(`(\\d+)\\) ${sshd.user}@web01`).exec(menu);
    expect(m).not.toBeNull();
    ssh.type(`${m![1]}\r`);
    await ssh.waitFor(/[$#] $/m, 20_000, menu.length);
    ssh.type('echo menu-$((2+3))\r');
    await ssh.waitFor('menu-5');
    ssh.type('exit 4\r');
    expect((await ssh.exited).code).toBe(4);
  });

  it('refuses exec without a target, and a malformed target, in plain words', async () => {
    const a = await sshExec(alice(null), 'id');
    expect(a.code).not.toBe(0);
    expect(a.stderr).toContain('no target given');
    const b = await sshExec(alice('web01'), 'id');
    expect(b.code).not.toBe(0);
    expect(b.stderr).toContain('account@device');
  });

  it('refuses a changed host key: failed session with the reason, the user told, no secret shown', async () => {
    const r = await sshExec(alice(`${sshd.user}@moved`), 'id');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('host key mismatch for moved');
    expect(r.stdout + r.stderr).not.toContain(sshd.password);
    const s = await lastSession(`${sshd.user}@moved`);
    expect(s).toMatchObject({ status: 'failed', endReason: 'host key mismatch for moved' });
  });

  it('refuses a credential without a grant', async () => {
    const r = await sshExec(alice(`${sshd.user}@web03`), 'id');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`no grant for ${sshd.user}@web03`);
    expect(await lastSession(`${sshd.user}@web03`)).toMatchObject({ status: 'failed', endReason: `no grant for ${sshd.user}@web03` });
  });

  it('reports a target that is down and a vaulted secret the target rejects', async () => {
    const down = await sshExec(alice(`${sshd.user}@down`), 'id');
    expect(down.code).not.toBe(0);
    expect(down.stderr).toContain('target unreachable: ECONNREFUSED');
    expect(await lastSession(`${sshd.user}@down`)).toMatchObject({ status: 'failed', endReason: 'target unreachable: ECONNREFUSED' });
    const stale = await sshExec(alice(`${sshd.user}@stale`), 'id');
    expect(stale.code).not.toBe(0);
    expect(stale.stderr).toContain('target rejected the vaulted credential');
    expect(stale.stderr).not.toContain('not-the-password-anymore');
    expect(await lastSession(`${sshd.user}@stale`)).toMatchObject({ status: 'failed', endReason: 'target rejected the vaulted credential' });
  });

  it('pins the host key on first use', async () => {
    const r = await sshExec(alice(`${sshd.user}@fresh`), 'echo ok');
    expect(r.stdout).toBe('ok\n');
    const device = await seeder.admin.store.devices.byName('fresh');
    expect(device?.hostKey).toBe(sshd.hostKeyLine);
  });

  it('relays the sftp subsystem as an SFTP session', async () => {
    const local = path.join(dataDir, 'upload.bin');
    fs.writeFileSync(local, Buffer.alloc(200_000, 0x5a));
    const out = execFileSync(
      'sftp',
      ['-F', '/dev/null', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-i', aliceKey, '-P', String(vigil.sshPort), '-b', '-', `alice[${sshd.user}@web02]@127.0.0.1`],
      { input: `put ${local} /tmp/vigil-sftp-upload.bin\nls -l /tmp/vigil-sftp-upload.bin\n`, encoding: 'utf8', timeout: 30_000 },
    );
    expect(out).toContain('200000');
    const s = await lastSession(`${sshd.user}@web02`);
    expect(s).toMatchObject({ protocol: 'SFTP', status: 'completed' });
    // The transfer is counted, but the binary sftp protocol is not written into the terminal recording.
    expect(s.bytesIn as number).toBeGreaterThan(200_000);
    expect(s.recordingSize as number).toBeLessThan(2_000);
  });

  it('refuses port forwarding', async () => {
    const r = await sshExec(alice(`${sshd.user}@web01`), null, { extra: ['-W', `127.0.0.1:${sshd.port}`] });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/forwarding failed|open failed|administratively prohibited/i);
  });

  it('refuses wrong passwords, disabled users, and locks an account after 5 failures', async () => {
    // sshpass exits 5 when the password is asked again (refused), ssh itself 255.
    const refused = [5, 255];
    const erin = (password: string) => sshExec({ port: vigil.sshPort, login: `erin[${sshd.user}@web01]`, password }, 'id');
    const ok = await erin('Erin-pass-8uJk2Sd');
    // Logged in, then refused for lack of a grant: the password itself was accepted.
    expect(ok.code).toBe(1);
    expect(ok.stderr).toContain('no grant');
    const wrong = await erin('wrong-password');
    expect(refused).toContain(wrong.code);
    expect(wrong.stdout).not.toContain('uid=');
    const disabled = await sshExec({ port: vigil.sshPort, login: `dave[${sshd.user}@web01]`, password: 'Dave-pass-3wQe7Rt' }, 'id');
    expect(refused).toContain(disabled.code);
    for (let i = 0; i < 4; i++) await erin(`wrong-${i}`);
    const locked = await erin('Erin-pass-8uJk2Sd');
    expect(refused).toContain(locked.code);
    expect(locked.stderr).not.toContain('no grant');
    const user = await seeder.admin.store.users.byName('erin');
    expect(user?.lockedUntil?.getTime()).toBeGreaterThan(Date.now() + 10 * 60_000);
  });

  it('refuses a blocked user with the exact message', async () => {
    const carol = await seeder.admin.store.users.byName('carol');
    await seeder.admin.store.blocks.add({ userId: carol!.id, sessionId: null, blockedBy: 'secops', blockedAt: new Date('2026-03-04T05:06:07Z') });
    await seeder.vault.addGrant('carol', `${sshd.user}@web01`, {}, 'test');
    const r = await sshExec({ port: vigil.sshPort, login: `carol[${sshd.user}@web01]`, password: 'Carol-pass-5tGv8Lm' }, 'id');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('User has been prevented to start sessions by secops on 2026-03-04 05:06:07 UTC');
  });

  it('survives random bytes, truncated handshakes and vanishing clients, and keeps serving', async () => {
    const junk = async (payload: Buffer | string) => {
      const s = net.connect(vigil.sshPort, '127.0.0.1');
      s.on('error', () => undefined);
      await new Promise((r) => s.once('connect', r));
      s.write(payload);
      await new Promise((r) => setTimeout(r, 50));
      s.destroy();
    };
    const random = Buffer.alloc(64 * 1024);
    for (let i = 0; i < random.length; i++) random[i] = (i * 131 + 17) & 0xff;
    await junk(random);
    await junk('SSH-2.0-OpenSSH_9.2\r\n');
    await junk(Buffer.concat([Buffer.from('SSH-2.0-x\r\n'), Buffer.from([0, 0, 0, 40, 4, 20]), random.subarray(0, 30)]));
    await junk('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await Promise.all(Array.from({ length: 10 }, () => junk('SSH-2.0-')));
    const r = await sshExec(alice(`${sshd.user}@web01`), 'echo alive');
    expect(r.stdout).toBe('alive\n');
  });

  it('never writes a secret to the database, the WAL, or the logs', async () => {
    const paths = dataPaths(dataDir);
    const masterKey = fs.readFileSync(paths.masterKey, 'utf8').trim();
    const keyBody = sshd.privateKey.split('\n').filter((l) => l && !l.startsWith('-----'))[1];
    const haystacks = [paths.database, `${paths.database}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f).toString('latin1'));
    haystacks.push(vigil.stdout(), vigil.stderr());
    for (const h of haystacks) {
      expect(h).not.toContain(sshd.password);
      expect(h).not.toContain(ALICE_PASSWORD);
      expect(h).not.toContain(keyBody);
      expect(h).not.toContain(masterKey);
    }
  });
});

/** Busy loops on `n` cores while the caller works (the flakes this guards against need a loaded machine). */
function cpuLoad(n: number): { stop(): void } {
  const children = Array.from({ length: n }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  return { stop: () => children.forEach((c) => c.kill('SIGKILL')) };
}

/** Runs `job(0..count-1)` with at most `width` at a time. */
async function inPool(count: number, width: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await job(next++);
  };
  await Promise.all(Array.from({ length: width }, worker));
}
