// End to end: sftp file transfers logged as session events, and port forwarding as the grant allows, with the real
// OpenSSH `sftp` and `ssh` clients through a real Vigil (child process) to a real sshd.

import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userKeyPair } from '../helpers/seed.js';
import { sshCommand, sshExec, type SshLogin } from '../helpers/ssh-client.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { requireTool } from '../helpers/tools.js';
import { freePort } from '../helpers/ports.js';
import { listSessions, newDataDir, runCli, startVigilProcess, type CliSession, type VigilProcess } from '../helpers/vigil.js';

const skip = requireTool('sshd', 'ssh', 'sftp', 'ssh-keygen');

interface LogsJson {
  events: Array<{ user: string; event: string; note: string }>;
  fileTransfers: Array<{ user: string; path: string; direction: string; size: number | null }>;
}

describe.skipIf(skip)('sftp transfers and port forwarding through Vigil', () => {
  let sshd: Sshd;
  let vigil: VigilProcess;
  let dataDir: string;
  let aliceKey: string;
  let echo: net.Server;
  let echoPort: number;
  let echoConnections = 0;

  const alice = (device: string): SshLogin => ({ port: vigil.sshPort, login: `alice[${sshd.user}@${device}]`, identity: aliceKey });

  const cli = async (args: string[], stdin?: string) => {
    const r = await runCli(dataDir, args, { stdin });
    if (r.code !== 0) throw new Error(`vigil ${args.join(' ')} failed: ${r.stderr}`);
    return r;
  };

  /** The newest session matching `pick`, once Vigil has stored its end (the client may exit a moment before). */
  async function endedSession(pick: (s: CliSession) => boolean): Promise<CliSession> {
    for (let attempt = 0; ; attempt++) {
      const s = (await listSessions(dataDir)).find(pick);
      if (s && s.status !== 'active') return s;
      if (attempt === 20) throw new Error(`no ended session found: ${JSON.stringify(s ?? null)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async function sessionLogs(id: number): Promise<LogsJson> {
    return JSON.parse((await cli(['sessions', 'logs', String(id), '--json'])).stdout) as LogsJson;
  }

  beforeAll(async () => {
    dataDir = newDataDir();
    sshd = await startSshd();
    vigil = await startVigilProcess({ dataDir });
    const keys = userKeyPair('alice@laptop');
    aliceKey = `${dataDir}-alice_key`;
    fs.writeFileSync(aliceKey, keys.privateKey, { mode: 0o600 });
    fs.writeFileSync(`${aliceKey}.pub`, keys.publicKey);

    // A service only the device reaches (here on the same loopback): it echoes what it gets, until EOF.
    echo = net.createServer((socket) => {
      echoConnections++;
      socket.on('error', () => undefined);
      socket.pipe(socket);
    });
    echoPort = await new Promise<number>((resolve) => echo.listen(0, '127.0.0.1', () => resolve((echo.address() as net.AddressInfo).port)));

    await cli(['user', 'add', 'alice', '--key-file', `${aliceKey}.pub`]);
    for (const d of ['web01', 'web02']) {
      await cli(['device', 'add', d, '--host', '127.0.0.1', '--port', String(sshd.port), '--host-key', sshd.hostKeyLine]);
      await cli(['credential', 'add', `${sshd.user}@${d}`, '--password-stdin'], `${sshd.password}\n`);
    }
    await cli(['grant', 'add', '--user', 'alice', '--credential', `${sshd.user}@web01`, '--allow-port-forwarding']);
    await cli(['grant', 'add', '--user', 'alice', '--credential', `${sshd.user}@web02`]);
  }, 120_000);

  afterAll(async () => {
    await vigil?.stop();
    await sshd?.stop();
    await new Promise((r) => (echo ? echo.close(r) : r(undefined)));
    if (dataDir) {
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(aliceKey, { force: true });
      fs.rmSync(`${aliceKey}.pub`, { force: true });
    }
  });

  it('logs each sftp upload, download, rename and remove in the Session Logs, with the bytes transferred', async () => {
    const local = path.join(dataDir, 'report.bin');
    const back = path.join(dataDir, 'report-back.bin');
    const content = randomBytes(300_000);
    fs.writeFileSync(local, content);
    const remote = `/tmp/vigil-e2e-${randomBytes(6).toString('hex')}.bin`;
    const renamed = `${remote}.old`;
    const batch = [`put ${local} ${remote}`, `get ${remote} ${back}`, `rename ${remote} ${renamed}`, `rm ${renamed}`].join('\n');
    const out = await run(
      'sftp',
      ['-F', '/dev/null', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-i', aliceKey, '-P', String(vigil.sshPort), '-b', '-', `alice[${sshd.user}@web01]@127.0.0.1`],
      batch,
    );
    expect(out.code, out.stderr).toBe(0);
    expect(fs.readFileSync(back).equals(content)).toBe(true);

    const s = await endedSession((x) => x.protocol === 'SFTP');
    expect(s).toMatchObject({ user: 'alice', status: 'completed' });
    const logs = await sessionLogs(s.id);
    expect(logs.fileTransfers).toEqual([
      { at: expect.any(String), user: 'alice', path: remote, direction: 'upload', size: 300_000 },
      { at: expect.any(String), user: 'alice', path: remote, direction: 'download', size: 300_000 },
      { at: expect.any(String), user: 'alice', path: `${remote} -> ${renamed}`, direction: 'rename', size: null },
      { at: expect.any(String), user: 'alice', path: renamed, direction: 'remove', size: null },
    ]);
    // Written before the session's end, in order.
    const names = logs.events.map((e) => e.event);
    expect(names.lastIndexOf('File transfer')).toBeLessThan(names.indexOf('Terminated'));
  });

  it('forwards a local port through the device when the grant allows it (ssh -L), each connection a session', async () => {
    const localPort = await freePort();
    const { cmd, args, env } = sshCommand(alice('web01'), [
      '-N',
      '-L',
      `127.0.0.1:${localPort}:127.0.0.1:${echoPort}`,
      '-o',
      'ExitOnForwardFailure=yes',
      // Runs once the forwarding listener is up: the test waits for it instead of guessing.
      '-o',
      'PermitLocalCommand=yes',
      '-o',
      'LocalCommand=echo forward-ready',
    ]);
    const ssh = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let said = '';
    ssh.stdout.setEncoding('utf8').on('data', (t: string) => (said += t));
    ssh.stderr.setEncoding('utf8').on('data', (t: string) => (said += t));
    const exited = new Promise((r) => ssh.once('exit', r));
    try {
      await new Promise<void>((resolve, reject) => {
        const check = () => (said.includes('forward-ready') ? resolve() : undefined);
        ssh.stdout.on('data', check);
        void exited.then(() => reject(new Error(`ssh -L exited: ${said}`)));
      });
      const before = echoConnections;
      const payloads = [randomBytes(200_000), randomBytes(50_000)];
      const echoed = await Promise.all(payloads.map((p) => throughTunnel(localPort, p)));
      echoed.forEach((e, i) => expect(e.equals(payloads[i]!)).toBe(true));
      expect(echoConnections - before).toBe(2);
    } finally {
      ssh.kill('SIGTERM');
      await exited;
    }

    const command = `direct-tcpip 127.0.0.1:${echoPort}`;
    const big = await endedSession((x) => x.command === command && (x.bytesIn as number) >= 200_000);
    expect(big).toMatchObject({ user: 'alice', credential: sshd.user, device: 'web01', protocol: 'SSH', status: 'completed' });
    expect(big.bytesOut as number).toBeGreaterThanOrEqual(200_000);
    const all = (await listSessions(dataDir)).filter((x) => x.command === command);
    expect(all).toHaveLength(2);
    const logs = await sessionLogs(big.id);
    expect(logs.events.find((e) => e.event === 'Started')).toMatchObject({ user: 'alice', note: `exec: ${command}` });
  });

  it('refuses forwarding the grant does not allow, and remote forwarding always, recording the refusal', async () => {
    const before = echoConnections;
    const r = await sshExec(alice('web02'), null, { extra: ['-W', `127.0.0.1:${echoPort}`], stdin: 'hello' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/forwarding failed|open failed|administratively prohibited/i);
    expect(echoConnections).toBe(before);
    const refused = await endedSession((x) => x.device === 'web02' && x.command === `direct-tcpip 127.0.0.1:${echoPort}`);
    expect(refused).toMatchObject({ status: 'failed', endReason: `port forwarding is not allowed by the grant for ${sshd.user}@web02` });

    // Remote forwarding (ssh -R) is not offered by Vigil at all, even with a grant that allows local forwarding.
    const remote = await sshExec(alice('web01'), null, { extra: ['-N', '-R', `0:127.0.0.1:${echoPort}`, '-o', 'ExitOnForwardFailure=yes'] });
    expect(remote.code).not.toBe(0);
    expect(remote.stderr).toMatch(/remote port forwarding failed/i);
  });
});

/** Sends `payload` through the tunnel, half-closes, and resolves with everything that came back. */
function throughTunnel(port: number, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const s = net.connect(port, '127.0.0.1', () => s.end(payload));
    s.on('data', (d: Buffer) => parts.push(d));
    s.once('error', reject);
    s.once('close', () => resolve(Buffer.concat(parts)));
  });
}

function run(cmd: string, args: string[], stdin: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: 60_000 }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
    child.stdin!.end(stdin);
  });
}
