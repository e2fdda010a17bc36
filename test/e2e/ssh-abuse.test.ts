// End to end: abuse of Vigil's SSH port (garbage, truncated handshakes, half-open floods, per-source limits,
// window-change floods, a client that never reads) while a well-behaved OpenSSH session keeps typing through it.
// Each abuser comes from its own loopback address (127.0.0.x), as separate hosts would; the good user is 127.0.0.1.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import ssh2, { type ClientChannel, type ConnectConfig } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPaths } from '../../src/core/config.js';
import { FileRecordingStore } from '../../src/recording/file-recording-store.js';
import { openSeeder, userKeyPair } from '../helpers/seed.js';
import { sshCommand, sshExec, sshInteractive, type SshInteractive, type SshLogin } from '../helpers/ssh-client.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { dirBytes, eventually, packetStart, rawConnect, rssMiB, type RawConn } from '../helpers/raw-ssh.js';
import { requireTool } from '../helpers/tools.js';
import { listSessions, newDataDir, startVigilProcess, type VigilProcess } from '../helpers/vigil.js';

const skip = requireTool('sshd', 'ssh', 'ssh-keygen');

/** The functional bound for the good user's echo while others abuse the port (speed is measured in bench/). */
const ECHO_BUDGET_MS = 5000;
const LIMITS = { perSource: 12, unauthenticatedPerSource: 10, loginTimeoutMs: 4000 };

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface LatencyStats {
  probes: number;
  p50: number;
  max: number;
}

describe.skipIf(skip)('SSH port abuse: Vigil keeps serving a well-behaved user', () => {
  let sshd: Sshd;
  let vigil: VigilProcess;
  let dataDir: string;
  let keyFile: string;
  let privateKey: string;
  let good: SshInteractive;
  let probes = 0;
  const latency: Record<string, LatencyStats> = {};
  const cleanups: Array<() => void | Promise<void>> = [];

  const target = () => `alice[${sshd.user}@web01]`;
  const login = (): SshLogin => ({ port: vigil.sshPort, login: target(), identity: keyFile });
  const ssh2Config = (from: string): ConnectConfig => ({ host: '127.0.0.1', port: vigil.sshPort, localAddress: from, username: target(), privateKey, readyTimeout: 15_000 });

  /** Types a command in the good session and resolves with the ms until its output came back. */
  async function probe(): Promise<number> {
    const n = ++probes;
    const from = good.output().length;
    const t0 = performance.now();
    // The quotes keep the typed (echoed) text from matching the output.
    good.type(`echo pr''obe-${n}\r`);
    await good.waitFor(new RegExp(`probe-${n}\\r?\\n`), ECHO_BUDGET_MS, from);
    return performance.now() - t0;
  }

  /**
   * Runs `abuse` while the good user keeps typing (a probe every 100 ms). A probe over the budget fails the test at
   * once; an abuse that hangs fails it after 90 s (and stops the probes, which would run into the next test).
   */
  async function whileProbing<T>(label: string, abuse: () => Promise<T>): Promise<T> {
    const samples: number[] = [];
    let stop = false;
    const loop = (async () => {
      while (!stop) {
        samples.push(await probe());
        await sleep(100);
      }
    })();
    let deadline: NodeJS.Timeout | undefined;
    const hung = new Promise<never>((_, reject) => (deadline = setTimeout(() => reject(new Error(`${label}: did not finish in 90 s`)), 90_000)));
    try {
      return await Promise.race([abuse(), loop.then(() => hung), hung]);
    } finally {
      stop = true;
      clearTimeout(deadline);
      await loop.catch(() => undefined);
      samples.sort((a, b) => a - b);
      latency[label] = { probes: samples.length, p50: samples[samples.length >> 1] ?? NaN, max: samples[samples.length - 1] ?? NaN };
    }
  }

  function ssh2Connect(from: string): Promise<ssh2.Client> {
    return new Promise((resolve, reject) => {
      const c = new ssh2.Client();
      c.once('ready', () => resolve(c));
      // Kept for the connection's life: a later error (Vigil ending it) must not go unhandled.
      c.on('error', reject);
      c.connect(ssh2Config(from));
      cleanups.push(() => void c.end());
    });
  }

  const throttleLines = (ip: string) =>
    vigil
      .stdout()
      .split('\n')
      .filter((l) => l.includes('"msg":"ssh source throttled: connection refused"') && l.includes(`"ip":"${ip}"`))
      .map((l) => JSON.parse(l) as { limit: string; max: number });

  beforeAll(async () => {
    dataDir = newDataDir();
    sshd = await startSshd();
    const keys = userKeyPair('alice@laptop');
    privateKey = keys.privateKey;
    keyFile = `${dataDir}-alice_key`;
    fs.writeFileSync(keyFile, keys.privateKey, { mode: 0o600 });
    const seeder = await openSeeder(dataDir);
    try {
      await seeder.users.addUser({ username: 'alice', publicKey: keys.publicKey, roles: ['PAM User'] }, 'test');
      await seeder.vault.addDevice({ name: 'web01', host: '127.0.0.1', port: sshd.port, hostKey: sshd.hostKeyLine, trustOnFirstUse: false }, 'test');
      await seeder.vault.addCredential(`${sshd.user}@web01`, { privateKey: sshd.privateKey }, 'test');
      await seeder.vault.addGrant('alice', `${sshd.user}@web01`, {}, 'test');
    } finally {
      await seeder.close();
    }
    vigil = await startVigilProcess({
      dataDir,
      env: {
        VIGIL_SSH_MAX_CONNECTIONS_PER_SOURCE: String(LIMITS.perSource),
        VIGIL_SSH_MAX_UNAUTHENTICATED_PER_SOURCE: String(LIMITS.unauthenticatedPerSource),
        VIGIL_SSH_LOGIN_TIMEOUT_MS: String(LIMITS.loginTimeoutMs),
      },
    });
    good = sshInteractive(login(), { extra: ['-b', '127.0.0.1'] });
    await good.waitFor(/[$#] $/m);
    const idle: number[] = [];
    for (let i = 0; i < 10; i++) idle.push(await probe());
    idle.sort((a, b) => a - b);
    latency['no abuse (baseline)'] = { probes: idle.length, p50: idle[5]!, max: idle[9]! };
  }, 120_000);

  afterAll(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    good?.kill();
    await vigil?.stop();
    await sshd?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    if (keyFile) fs.rmSync(keyFile, { force: true });
    const rows = Object.entries(latency).map(([k, v]) => `| ${k} | ${v.probes} | ${v.p50.toFixed(1)} ms | ${v.max.toFixed(1)} ms |`);
    console.log(['good user echo while abused (OpenSSH → Vigil → sshd)', '| abuse | probes | p50 | max |', '|---|---|---|---|', ...rows].join('\n'));
  });

  it.each([
    ['random bytes instead of a banner', '127.0.0.11', () => randomBytes(64 * 1024)],
    ['a banner line that never ends', '127.0.0.12', () => Buffer.alloc(16 * 1024, 'A')],
    ['a banner, then a packet claiming 4 GiB', '127.0.0.13', () => Buffer.concat([Buffer.from('SSH-2.0-abuse\r\n'), packetStart(0xfffffff0, randomBytes(64))])],
    ['a banner, then a packet over the 35000-byte limit', '127.0.0.14', () => Buffer.concat([Buffer.from('SSH-2.0-abuse\r\n'), packetStart(35_004, randomBytes(40_000))])],
  ])('hangs up on %s at once, and frees the slot though the sender keeps its side open', async (name, from, bytes) => {
    await whileProbing(`bad input: ${name}`, async () => {
      const t0 = performance.now();
      // As many as the source may have waiting to log in: all admitted, all sending garbage.
      const conns = await Promise.all(Array.from({ length: LIMITS.unauthenticatedPerSource }, () => rawConnect(vigil.sshPort, from)));
      for (const c of conns) {
        cleanups.push(() => void c.socket.destroy());
        c.socket.write(bytes());
      }
      // Vigil spoke first (its identification line), then hung up at once rather than at the login deadline.
      for (const ms of await Promise.all(conns.map((c) => c.ended))) expect(ms).toBeLessThan(LIMITS.loginTimeoutMs / 2);
      for (const c of conns) expect(c.received().toString('latin1')).toMatch(/^SSH-2\.0-Vigil\r\n/);
      // The source may connect again well before the deadline would have freed its slots.
      await eventually(async () => {
        const probeConn = await rawConnect(vigil.sshPort, from);
        const admitted = await probeConn.admitted;
        probeConn.socket.destroy();
        return admitted;
      }, 'a free slot for the source');
      expect(performance.now() - t0).toBeLessThan(LIMITS.loginTimeoutMs);
    });
    expect(vigil.child.exitCode).toBeNull();
  });

  it('refuses half-open connections beyond the per-source limit, closes the rest at the login deadline, and serves other sources', async () => {
    const kinds = [
      (s: net.Socket) => void s, // silent: a port scanner or a stalled client
      (s: net.Socket) => void s.write('SSH-2.0-OpenSSH_9.2\r\n'), // banner only
      (s: net.Socket) => void s.write(Buffer.concat([Buffer.from('SSH-2.0-OpenSSH_9.2\r\n'), packetStart(1020, randomBytes(100))])), // half a KEXINIT
    ];
    const conns = await whileProbing('15 half-open connections from one source', async () => {
      const all: RawConn[] = [];
      for (let i = 0; i < LIMITS.unauthenticatedPerSource + 5; i++) {
        const c = await rawConnect(vigil.sshPort, '127.0.0.2');
        cleanups.push(() => void c.socket.destroy());
        kinds[i % kinds.length]!(c.socket);
        // One at a time, so that which ones are admitted is deterministic.
        await c.admitted;
        all.push(c);
      }
      // Another source is not affected: a new OpenSSH login from 127.0.0.1 works while 127.0.0.2 is throttled.
      const other = await sshExec(login(), 'echo other-source-ok', { extra: ['-b', '127.0.0.1'] });
      expect(other.stdout).toBe('other-source-ok\n');
      return all;
    });
    const admitted = await Promise.all(conns.map((c) => c.admitted));
    expect(admitted.filter(Boolean)).toHaveLength(LIMITS.unauthenticatedPerSource);
    expect(admitted.slice(LIMITS.unauthenticatedPerSource)).toEqual([false, false, false, false, false]);
    // The refused ones got nothing at all: refused before ssh2 saw them.
    for (const c of conns.slice(LIMITS.unauthenticatedPerSource)) expect(c.received().length).toBe(0);
    await eventually(() => throttleLines('127.0.0.2').length > 0, 'the throttle log line');
    expect(throttleLines('127.0.0.2')[0]).toMatchObject({ limit: 'connections not logged in per source', max: LIMITS.unauthenticatedPerSource });

    // The admitted ones are cut at the login deadline (not before), freeing the source's slots.
    const closedAfter = await Promise.all(conns.slice(0, LIMITS.unauthenticatedPerSource).map((c) => c.ended));
    for (const ms of closedAfter) expect(ms).toBeGreaterThanOrEqual(LIMITS.loginTimeoutMs - 100);
    const again = await rawConnect(vigil.sshPort, '127.0.0.2');
    cleanups.push(() => void again.socket.destroy());
    expect(await again.admitted).toBe(true);
    again.socket.destroy();
  }, 120_000);

  it('caps connections per source address, logged in or not', async () => {
    const clients = await whileProbing(`${LIMITS.perSource} logged-in connections from one source`, async () => {
      const cs: ssh2.Client[] = [];
      for (let i = 0; i < LIMITS.perSource; i++) cs.push(await ssh2Connect('127.0.0.3'));
      return cs;
    });
    // One more from the same address, by a real OpenSSH client, is refused before the key exchange.
    const refused = await sshExec(login(), 'echo should-not-run', { extra: ['-b', '127.0.0.3'] });
    expect(refused.code).toBe(255);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/Connection (closed|reset)/);
    await eventually(() => throttleLines('127.0.0.3').some((l) => l.limit === 'connections per source'), 'the throttle log line');

    // Once one of them leaves, the source may connect again.
    clients[0]!.end();
    await eventually(async () => (await sshExec(login(), 'echo back-in', { extra: ['-b', '127.0.0.3'] })).stdout === 'back-in\n', 'a freed slot');
    for (const c of clients) c.end();
  }, 120_000);

  it('survives a window-change flood in a live session, with absurd sizes clamped', async () => {
    const client = await ssh2Connect('127.0.0.5');
    const ch = await new Promise<ClientChannel>((resolve, reject) => client.shell({ term: 'xterm', cols: 80, rows: 24 }, (e, c) => (e ? reject(e) : resolve(c))));
    let out = '';
    ch.on('data', (d: Buffer) => (out += d.toString('latin1')));
    const waitOut = async (re: RegExp, from: number) => eventually(() => re.test(out.slice(from)), `${re} in the flooded session`, 30_000);
    await waitOut(/[$#] $/m, 0);
    const pid = vigil.child.pid!;
    const rssBefore = rssMiB(pid);
    let rssMax = rssBefore;
    const FLOOD = 20_000;
    await whileProbing(`window-change flood (${FLOOD} requests)`, async () => {
      for (let i = 0; i < FLOOD; i++) {
        if (i % 997 === 0) ch.setWindow(65535, 65535, 0, 0);
        else ch.setWindow(24 + (i % 40), 80 + (i % 120), 0, 0);
        if (i % 500 === 0) {
          rssMax = Math.max(rssMax, rssMiB(pid));
          await new Promise((r) => setImmediate(r));
        }
      }
      // Requests on a channel are handled in order: once this output is back, Vigil has been through the flood.
      const from = out.length;
      ch.write("echo fl''ood-done\r");
      await waitOut(/flood-done\r?\n/, from);
      rssMax = Math.max(rssMax, rssMiB(pid));
    });
    // A size larger than Vigil relays reaches the target clamped (rows cols); a normal one as asked. Window
    // changes are passed on at most every 50 ms, so the last one may land just after the next command.
    const sttySize = async () => {
      const from = out.length;
      ch.write('stty size\r');
      // After the echoed command, bash may write mode switches and a CR before the output line.
      await waitOut(/[\r\n](\d+ \d+)\r?\n/, from);
      return /[\r\n](\d+ \d+)\r?\n/.exec(out.slice(from))![1];
    };
    ch.setWindow(65535, 65535, 0, 0);
    await eventually(async () => (await sttySize()) === '500 1000', 'the clamped size on the target');
    ch.setWindow(40, 132, 0, 0);
    await eventually(async () => (await sttySize()) === '40 132', 'the new size on the target');
    // A 65535x65535 terminal mirror alone would take many GiB; a clamped one takes tens of MiB.
    expect(rssMax - rssBefore).toBeLessThan(300);
    console.log(`window-change flood: Vigil RSS ${rssBefore.toFixed(0)} → max ${rssMax.toFixed(0)} MiB`);
    client.end();
  }, 120_000);

  it('holds the target back for a client that never reads, without growing', async () => {
    const { cmd, args, env } = sshCommand(login(), ['-tt', '-b', '127.0.0.6']);
    // stdout is a pipe nobody reads: once it is full, ssh stops reading the channel and its window closes.
    const child: ChildProcess = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const exited = new Promise<void>((r) => child.once('close', () => r()));
    cleanups.push(() => void child.kill('SIGKILL'));
    child.stdin!.on('error', () => undefined);
    child.stdin!.write("yes 'never read 0123456789 abcdefghijklmnopqrstuvwxyz'\r");
    const pid = vigil.child.pid!;
    const recordings = dataPaths(dataDir).recordings;
    const rssBefore = rssMiB(pid);
    let rssMax = rssBefore;
    const sizes: number[] = [];
    await whileProbing('a client that never reads (yes in its shell)', async () => {
      for (let i = 0; i < 20; i++) {
        await sleep(500);
        rssMax = Math.max(rssMax, rssMiB(pid));
        sizes.push(dirBytes(recordings));
      }
    });
    const lastFive = sizes[sizes.length - 1]! - sizes[sizes.length - 11]!;
    console.log(`never-reading client: Vigil RSS ${rssBefore.toFixed(0)} → max ${rssMax.toFixed(0)} MiB; recordings grew ${((sizes[sizes.length - 1]! - sizes[0]!) / 1e6).toFixed(1)} MB, ${(lastFive / 1e6).toFixed(2)} MB in the last 5 s`);
    // Flow control: after the windows filled, `yes` is held back, so nothing more passes (or is recorded).
    expect(lastFive).toBeLessThan(1_000_000);
    expect(rssMax - rssBefore).toBeLessThan(150);
    child.kill('SIGKILL');
    await exited;
  }, 120_000);

  it('kept the good session working and recorded whole; every abusive session ended', async () => {
    expect(vigil.child.exitCode).toBeNull();
    good.type('exit 0\r');
    expect((await good.exited).code).toBe(0);
    await eventually(async () => (await listSessions(dataDir)).every((s) => s.status !== 'active'), 'every session to end');
    const sessions = await listSessions(dataDir);
    const store = new FileRecordingStore({ dir: dataPaths(dataDir).recordings });
    const goodRow = sessions.find((s) => s.originIp === '127.0.0.1' && s.type === 'shell' && s.exitStatus === 0);
    expect(goodRow).toBeDefined();
    const cast = fs.readFileSync(store.pathFor(goodRow!.sessionId, new Date(goodRow!.startedAt)), 'utf8');
    const output = cast
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((l) => JSON.parse(l) as [number, string, string])
      .filter((e) => e[1] === 'o')
      .map((e) => e[2])
      .join('');
    for (let n = 1; n <= probes; n++) expect(output).toMatch(new RegExp(`probe-${n}\\r?\\n`));

    // The flooded session's recording holds only sizes Vigil relays.
    const flooded = sessions.find((s) => s.originIp === '127.0.0.5');
    expect(flooded).toMatchObject({ status: 'completed' });
    const resizes = fs
      .readFileSync(store.pathFor(flooded!.sessionId, new Date(flooded!.startedAt)), 'utf8')
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((l) => JSON.parse(l) as [number, string, string])
      .filter((e) => e[1] === 'r')
      .map((e) => e[2].split('x').map(Number));
    // Passed on at most every 50 ms: the 20,000 requests of the flood left a few dozen resize events, not 20,000.
    expect(resizes.length).toBeGreaterThan(0);
    expect(resizes.length).toBeLessThan(1000);
    for (const [cols, rows] of resizes) {
      expect(cols).toBeLessThanOrEqual(1000);
      expect(rows).toBeLessThanOrEqual(500);
    }
    expect(sessions.find((s) => s.originIp === '127.0.0.6')).toMatchObject({ status: 'completed', endReason: 'client disconnected' });
  }, 120_000);
});
