// End to end, with Vigil in-process so the test can act as security staff: drop, block and release a live
// session and check what the real OpenSSH user sees; resize and signals driven from an ssh2 client.

import fs from 'node:fs';
import ssh2, { type ClientChannel } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAliceOnWeb01 } from '../helpers/seed.js';
import { sshInteractive } from '../helpers/ssh-client.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { requireTool } from '../helpers/tools.js';
import { listSessions, newDataDir, startVigilInProcess } from '../helpers/vigil.js';
import { dataPaths } from '../../src/core/config.js';
import { FileRecordingStore } from '../../src/recording/file-recording-store.js';
import type { LiveSession } from '../../src/hub/live-session.js';

const skip = requireTool('sshd', 'ssh', 'ssh-keygen');
type Vigil = Awaited<ReturnType<typeof startVigilInProcess>>;
const SECOPS = { userId: null, username: 'secops' };

describe.skipIf(skip)('live control of a gateway session', () => {
  let sshd: Sshd;
  let vigil: Vigil;
  let dataDir: string;
  let keyFile: string;
  let privateKey: string;

  const login = () => ({ port: vigil.sshAddress.port, login: `alice[${sshd.user}@web01]`, identity: keyFile });

  let lastId = 0;
  /** The live session started after the previous call, once the hub has it. */
  async function liveSession(): Promise<LiveSession> {
    const newest = () => vigil.hub.list().find((s) => s.id > lastId);
    await expect.poll(newest, { timeout: 20_000 }).toBeDefined();
    const s = newest()!;
    lastId = s.id;
    return s;
  }

  beforeAll(async () => {
    dataDir = newDataDir();
    sshd = await startSshd();
    keyFile = `${dataDir}-alice_key`;
    ({ privateKey } = await seedAliceOnWeb01(dataDir, sshd, { keyFile, vaulted: 'key' }));
    vigil = await startVigilInProcess({ dataDir });
  }, 60_000);

  afterAll(async () => {
    await vigil?.stop();
    await sshd?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    if (keyFile) fs.rmSync(keyFile, { force: true });
  });

  it('drops a session: the user reads the message and ssh exits non-zero', async () => {
    const ssh = sshInteractive(login());
    await ssh.waitFor(/[$#] $/m);
    const live = await liveSession();
    await vigil.hub.drop(live.id, SECOPS);
    await ssh.waitFor('You have been disconnected');
    expect((await ssh.exited).code).not.toBe(0);
    await expect.poll(() => vigil.hub.get(live.id)).toBeUndefined();
    const [s] = await listSessions(dataDir);
    expect(s).toMatchObject({ id: live.id, status: 'dropped', droppedBy: 'secops' });
  });

  it('ends a session cleanly, with a reason, when the target dies under it; the gateway keeps serving', async () => {
    const ssh = sshInteractive(login());
    await ssh.waitFor(/[$#] $/m);
    const live = await liveSession();
    ssh.type('echo before-target-dies-$((40+2))\r');
    await ssh.waitFor('before-target-dies-42');
    sshd.killConnections();
    // The user's client is let go (no hang), and the session leaves the live list.
    expect((await ssh.exited).code).not.toBe(0);
    await expect.poll(() => vigil.hub.get(live.id), { timeout: 20_000 }).toBeUndefined();
    const s = (await listSessions(dataDir)).find((x) => x.id === live.id)!;
    expect(s.status).not.toBe('active');
    expect(s.endedAt).not.toBeNull();
    expect(s.endReason).toBe('target closed the connection');
    const file = new FileRecordingStore({ dir: dataPaths(dataDir).recordings }).pathFor(s.sessionId, new Date(s.startedAt));
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    for (const line of lines) JSON.parse(line);
    expect(lines.join('\n')).toContain('before-target-dies-42');
    // A new session to the (still running) sshd works.
    const again = sshInteractive(login());
    await again.waitFor(/[$#] $/m);
    again.type('exit\r');
    expect((await again.exited).code).toBe(0);
  });

  it('blocks and releases interactivity: blocked keystrokes never reach the target', async () => {
    const ssh = sshInteractive(login());
    await ssh.waitFor(/[$#] $/m);
    const live = await liveSession();
    await vigil.hub.block(live.id, SECOPS);
    await ssh.waitFor('Session interaction revoked');
    const typed = 'echo typed-while-blocked-$((1+1))\r';
    ssh.type(typed);
    await expect.poll(() => live.bytesDiscarded).toBe(typed.length);
    await vigil.hub.unblock(live.id, SECOPS);
    await ssh.waitFor('Interactivity restored. User may interact with the session!');
    ssh.type('echo after-release-$((2+2))\r');
    const out = await ssh.waitFor('after-release-4');
    expect(out).not.toContain('typed-while-blocked-2');
    ssh.type('exit\r');
    expect((await ssh.exited).code).toBe(0);
  });

  it('relays window changes (recorded as resize events) and signals', async () => {
    const client = new ssh2.Client();
    await new Promise<void>((resolve, reject) => {
      client.once('ready', () => resolve()).once('error', reject);
      client.connect({ host: '127.0.0.1', port: vigil.sshAddress.port, username: `alice[${sshd.user}@web01]`, privateKey });
    });
    try {
      const shell = await new Promise<ClientChannel>((resolve, reject) =>
        client.shell({ rows: 24, cols: 80, term: 'xterm' }, (err, ch) => (err ? reject(err) : resolve(ch))),
      );
      let out = '';
      shell.on('data', (d: Buffer) => (out += d.toString()));
      const seen = (s: string) => expect.poll(() => out, { timeout: 20_000 }).toContain(s);
      shell.write('echo ready-$((3*3))\r');
      await seen('ready-9');
      shell.setWindow(50, 132, 0, 0);
      shell.write('stty size\r');
      await seen('50 132');
      const live = await liveSession();
      expect([live.cols, live.rows]).toEqual([132, 50]);
      shell.end('exit\r');
      await new Promise((r) => shell.once('close', r));
      await expect.poll(() => vigil.hub.get(live.id)).toBeUndefined();
      const file = new FileRecordingStore({ dir: dataPaths(dataDir).recordings }).pathFor(live.record.sessionId, live.record.startedAt);
      const events = fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(1).map((l) => JSON.parse(l) as [number, string, string]);
      expect(events).toContainEqual([expect.any(Number), 'r', '132x50']);

      const exec = await new Promise<ClientChannel>((resolve, reject) => client.exec('echo sleeping; exec sleep 30', (err, ch) => (err ? reject(err) : resolve(ch))));
      let started = '';
      exec.on('data', (d: Buffer) => (started += d.toString()));
      await expect.poll(() => started, { timeout: 20_000 }).toContain('sleeping');
      const exit = new Promise<unknown[]>((r) => exec.once('exit', (...args: unknown[]) => r(args)));
      exec.signal('TERM');
      expect(await exit).toEqual([null, 'SIGTERM', false, '']);
    } finally {
      client.end();
    }
  });
});
