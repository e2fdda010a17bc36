// `npm run bench`: a real sshd and a real Vigil (recording on) on this machine; throughput, keystroke echo latency
// and memory under a slow reader, each against OpenSSH in the same run. Prints a markdown table of ratios.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import ssh2, { type ClientChannel, type ConnectConfig } from 'ssh2';
import { startSshd, type Sshd } from '../test/helpers/sshd.js';
import { openSeeder, userKeyPair } from '../test/helpers/seed.js';
import { newDataDir, startVigilProcess, type VigilProcess } from '../test/helpers/vigil.js';
import { dataPaths } from '../src/core/config.js';
import { startBareRelay, type BareRelay } from './bare-relay-process.js';
import { readProc } from './proc-stats.js';

const TEXT_BYTES = Number(process.env.BENCH_TEXT_MB ?? 200) * 1e6;
const BINARY_BYTES = Number(process.env.BENCH_BINARY_MB ?? 50) * 1e6;
const KEYS = Number(process.env.BENCH_KEYS ?? 1000);
const TEXT_CMD = `yes 'the quick brown fox jumps over the lazy dog 0123456789 ABCDEFGHIJ' | head -c ${TEXT_BYTES}`;
const BINARY_CMD = `head -c ${BINARY_BYTES} /dev/urandom`;

interface Route {
  name: string;
  /** ssh arguments up to (not including) the remote command. */
  args: string[];
}

interface Transfer {
  bytes: number;
  /** Transfer time: wall time of the whole command less the route's connection set-up time, seconds. */
  seconds: number;
}

/** Runs `ssh ROUTE COMMAND | wc -c` (output counted by wc, not by this process) and times it. */
function timed(route: Route, command: string): Promise<{ bytes: number; seconds: number }> {
  const quoted = [...route.args, command].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('sh', ['-c', `ssh ${quoted} | wc -c`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${route.name}: timed out`));
    }, Number(process.env.BENCH_TIMEOUT_MS ?? 180_000));
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`${route.name}: exited ${code}: ${err}`));
      else resolve({ bytes: Number(out.trim()), seconds: (performance.now() - t0) / 1000 });
    });
  });
}

/** Connection set-up of a route (median of 3 runs of `true`), subtracted from transfers. */
async function setupTime(route: Route): Promise<number> {
  const t: number[] = [];
  for (let i = 0; i < 3; i++) t.push((await timed(route, 'true')).seconds);
  return t.sort((a, b) => a - b)[1];
}

/** CPU seconds a process has used so far: its main (relay) thread, and all its threads. From /proc, so Linux only. */
function cpuSeconds(pid: number): { main: number; all: number } {
  const ticks = (file: string) => {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const f = fs.readFileSync(file, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  };
  return { main: ticks(`/proc/${pid}/task/${pid}/stat`), all: ticks(`/proc/${pid}/stat`) };
}

/** CPU seconds of each thread of a process (id and nice value: the workers that parse terminals run niced), busiest first. */
function threadCpu(pid: number): string {
  const dir = `/proc/${pid}/task`;
  return fs
    .readdirSync(dir)
    .map((tid) => {
      const stat = fs.readFileSync(`${dir}/${tid}/stat`, 'utf8');
      const f = stat.split(') ')[1]!.split(' ');
      const comm = fs.readFileSync(`${dir}/${tid}/comm`, 'utf8').trim();
      return { name: `${comm} (${tid}, nice ${f[16]})`, s: (Number(f[11]) + Number(f[12])) / 100 };
    })
    .filter((t) => t.s >= 0.1)
    .sort((a, b) => b.s - a.s)
    .map((t) => `${t.name} ${t.s.toFixed(1)}s`)
    .join(', ');
}

/** Vigil CPU spent during its transfers, per MB relayed: a measure that background load disturbs far less than rates. */
const vigilCpu = { pid: 0, text: { main: 0, all: 0, mb: 0 }, binary: { main: 0, all: 0, mb: 0 } };

/** Best of `rounds`, with the routes interleaved so background load hits them alike. */
async function compare(routes: Route[], command: string, rounds: number, cpu?: { main: number; all: number; mb: number }): Promise<Map<string, Transfer>> {
  const setup = new Map<string, number>();
  for (const r of routes) setup.set(r.name, await setupTime(r));
  const best = new Map<string, Transfer>();
  for (let i = 0; i < rounds; i++) {
    for (const r of routes) {
      const before = r.name === 'Vigil' && cpu ? cpuSeconds(vigilCpu.pid) : null;
      const t = await timed(r, command);
      if (before && cpu) {
        const after = cpuSeconds(vigilCpu.pid);
        cpu.main += after.main - before.main;
        cpu.all += after.all - before.all;
        cpu.mb += t.bytes / 1e6;
      }
      const x = { bytes: t.bytes, seconds: Math.max(0.001, t.seconds - setup.get(r.name)!) };
      const prev = best.get(r.name);
      if (!prev || x.seconds < prev.seconds) best.set(r.name, x);
    }
  }
  return best;
}

function connect(cfg: ConnectConfig): Promise<ssh2.Client> {
  return new Promise((resolve, reject) => {
    const c = new ssh2.Client();
    c.once('ready', () => {
      c.setNoDelay(true);
      resolve(c);
    });
    c.once('error', reject);
    c.connect({ readyTimeout: 20_000, ...cfg });
  });
}

/** Types KEYS single characters into `cat` on a raw pty and times each echo. */
async function echoLatency(cfg: ConnectConfig): Promise<{ p50: number; p99: number; mean: number }> {
  const client = await connect(cfg);
  try {
    const ch = await new Promise<ClientChannel>((resolve, reject) => client.shell({ term: 'xterm', cols: 80, rows: 24 }, (e, c) => (e ? reject(e) : resolve(c))));
    let buf = '';
    let waiter: (() => void) | null = null;
    ch.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      waiter?.();
    });
    const waitFor = (s: string) =>
      new Promise<void>((resolve) => {
        const check = () => {
          const i = buf.indexOf(s);
          if (i !== -1) {
            buf = buf.slice(i + s.length);
            waiter = null;
            resolve();
          }
        };
        waiter = check;
        check();
      });
    ch.write("stty raw -echo; echo READY''-GO; exec cat\r");
    await waitFor('READY-GO');
    await new Promise((r) => setTimeout(r, 300));
    buf = '';
    const times: number[] = [];
    const alphabet = 'abcdefghijklmnopqrstuvwxyz';
    for (let i = 0; i < KEYS + 20; i++) {
      const key = alphabet[i % alphabet.length];
      const t0 = performance.now();
      const seen = waitFor(key);
      ch.write(key);
      await seen;
      // The first keys warm up the path (JIT, TCP); they are not counted.
      if (i >= 20) times.push(performance.now() - t0);
    }
    ch.close();
    times.sort((a, b) => a - b);
    const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
    return { p50: q(0.5), p99: q(0.99), mean: times.reduce((a, b) => a + b, 0) / times.length };
  } finally {
    client.end();
  }
}

/** Reads a huge exec output at ~4 MB/s through Vigil while sampling Vigil's RSS. */
async function slowReader(cfg: ConnectConfig, pid: number, seconds: number): Promise<{ before: number; max: number; after: number; readMB: number }> {
  const client = await connect(cfg);
  try {
    const before = readProc(pid).rssMiB;
    const ch = await new Promise<ClientChannel>((resolve, reject) => client.exec(`yes 'slow reader line of text 0123456789' | head -c 2000000000`, (e, c) => (e ? reject(e) : resolve(c))));
    let read = 0;
    let max = before;
    ch.pause();
    const end = performance.now() + seconds * 1000;
    while (performance.now() < end) {
      await new Promise((r) => setTimeout(r, 16));
      let chunk: Buffer | null;
      let got = 0;
      while (got < 64 * 1024 && (chunk = (ch.read(16 * 1024) ?? ch.read()) as Buffer | null)) got += chunk.length;
      read += got;
      max = Math.max(max, readProc(pid).rssMiB);
    }
    const after = readProc(pid).rssMiB;
    ch.close();
    return { before, max, after, readMB: read / 1e6 };
  } finally {
    client.end();
  }
}

const mbps = (t: Transfer) => t.bytes / 1e6 / t.seconds;
const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);

async function main(): Promise<void> {
  let sshd: Sshd | null = null;
  let vigil: VigilProcess | null = null;
  let bare: BareRelay | null = null;
  const dataDir = newDataDir();
  const work = fs.mkdtempSync(path.join(path.dirname(dataDir), 'vigil-bench-'));
  try {
    sshd = await startSshd();
    const keys = userKeyPair('bench');
    const aliceKey = path.join(work, 'alice_key');
    fs.writeFileSync(aliceKey, keys.privateKey, { mode: 0o600 });
    const seeder = await openSeeder(dataDir);
    await seeder.users.addUser({ username: 'alice', publicKey: keys.publicKey, roles: ['PAM User'] }, 'bench');
    await seeder.vault.addDevice({ name: 'web01', host: '127.0.0.1', port: sshd.port, hostKey: sshd.hostKeyLine, trustOnFirstUse: false }, 'bench');
    await seeder.vault.addCredential(`${sshd.user}@web01`, { privateKey: sshd.privateKey }, 'bench');
    await seeder.vault.addGrant('alice', `${sshd.user}@web01`, {}, 'bench');
    await seeder.close();
    vigil = await startVigilProcess({ dataDir, env: { VIGIL_LOG_LEVEL: 'info' }, nodeArgs: process.env.BENCH_VIGIL_NODE_ARGS?.split(' ').filter(Boolean) });
    const native = /"nativeCrypto":true/.test(vigil.stdout());
    // The SSH library alone (no recording): what a relay in Node can do on this machine, next to Vigil.
    bare = await startBareRelay({ targetPort: sshd.port, user: sshd.user, keyPath: sshd.privateKeyPath, processes: 1 });

    // OpenSSH client config: one file, so the ProxyJump hop authenticates with the same key.
    const cfg = path.join(work, 'ssh_config');
    const common = `  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n  BatchMode yes\n  IdentitiesOnly yes\n`;
    fs.writeFileSync(
      cfg,
      `Host target jump\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User ${sshd.user}\n  IdentityFile ${sshd.privateKeyPath}\n${common}` +
        `Host viajump\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User ${sshd.user}\n  IdentityFile ${sshd.privateKeyPath}\n  ProxyJump jump\n${common}` +
        `Host vigil\n  HostName 127.0.0.1\n  Port ${vigil.sshPort}\n  User alice[${sshd.user}@web01]\n  IdentityFile ${aliceKey}\n${common}` +
        `Host bare\n  HostName 127.0.0.1\n  Port ${bare.port}\n  User any\n  IdentityFile ${aliceKey}\n${common}`,
    );
    const direct: Route = { name: 'direct', args: ['-F', cfg, '-T', 'target'] };
    const jump: Route = { name: 'ProxyJump', args: ['-F', cfg, '-T', 'viajump'] };
    const viaVigil: Route = { name: 'Vigil', args: ['-F', cfg, '-T', 'vigil'] };
    const viaBare: Route = { name: 'bare', args: ['-F', cfg, '-T', 'bare'] };

    const log = (s: string) => process.stderr.write(`${s}\n`);
    log(`bench: sshd :${sshd.port}, Vigil :${vigil.sshPort} (native crypto ${native ? 'loaded' : 'MISSING'}), ${TEXT_BYTES / 1e6} MB text, ${BINARY_BYTES / 1e6} MB binary, ${KEYS} keys`);
    vigilCpu.pid = vigil.child.pid!;
    const textRuns = await compare([direct, jump, viaBare, viaVigil], TEXT_CMD, 3, vigilCpu.text);
    const text = { direct: textRuns.get('direct')!, jump: textRuns.get('ProxyJump')!, bare: textRuns.get('bare')!, vigil: textRuns.get('Vigil')! };
    log(`text: direct ${f1(mbps(text.direct))} MB/s, ProxyJump ${f1(mbps(text.jump))}, bare ssh2 relay ${f1(mbps(text.bare))}, Vigil ${f1(mbps(text.vigil))}`);
    const binRuns = await compare([direct, viaVigil], BINARY_CMD, 3, vigilCpu.binary);
    const bin = { direct: binRuns.get('direct')!, vigil: binRuns.get('Vigil')! };
    log(`binary: direct ${f1(mbps(bin.direct))} MB/s, Vigil ${f1(mbps(bin.vigil))}`);
    const perMB = (c: { main: number; all: number; mb: number }) => `${f2((1000 * c.main) / c.mb)} ms relay thread, ${f2((1000 * c.all) / c.mb)} ms all threads`;
    log(`Vigil CPU per MB: text ${perMB(vigilCpu.text)}; binary ${perMB(vigilCpu.binary)}`);
    if (process.env.BENCH_THREADS) log(`Vigil CPU by thread so far: ${threadCpu(vigilCpu.pid)}`);
    if (text.vigil.bytes !== TEXT_BYTES || bin.vigil.bytes !== BINARY_BYTES) throw new Error(`Vigil lost output: ${text.vigil.bytes} / ${bin.vigil.bytes}`);
    if (text.bare.bytes !== TEXT_BYTES) throw new Error(`the bare relay lost output: ${text.bare.bytes} of ${TEXT_BYTES} bytes`);

    const directCfg: ConnectConfig = { host: '127.0.0.1', port: sshd.port, username: sshd.user, privateKey: sshd.privateKey };
    const vigilCfg: ConnectConfig = { host: '127.0.0.1', port: vigil.sshPort, username: `alice[${sshd.user}@web01]`, privateKey: keys.privateKey };
    const echoDirect = await echoLatency(directCfg);
    const echoVigil = await echoLatency(vigilCfg);
    log(`echo: direct p50 ${f2(echoDirect.p50)} p99 ${f2(echoDirect.p99)} ms; Vigil p50 ${f2(echoVigil.p50)} p99 ${f2(echoVigil.p99)} ms`);
    const slow = await slowReader(vigilCfg, vigil.child.pid!, 15);
    log(`slow reader: read ${f1(slow.readMB)} MB in 15 s; Vigil RSS ${f1(slow.before)} → max ${f1(slow.max)} → ${f1(slow.after)} MiB`);
    const recordings = dataPaths(dataDir).recordings;
    const castBytes = (function du(d: string): number {
      return fs.readdirSync(d, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? du(path.join(d, e.name)) : fs.statSync(path.join(d, e.name)).size), 0);
    })(recordings);

    const row = (name: string, t: Transfer, base: Transfer) => `| ${name} | ${f1(mbps(t))} MB/s | ${f2(mbps(t) / mbps(base))}× |`;
    const out = [
      '',
      `Vigil benchmark — ${new Date().toISOString().slice(0, 10)}, ${(await import('node:os')).cpus().length} cores, Node ${process.version}, ssh2 native crypto ${native ? 'loaded' : 'MISSING'}`,
      '',
      '| Bulk output (exec, best of 3, connection set-up excluded) | rate | vs direct |',
      '|---|---|---|',
      row(`${TEXT_BYTES / 1e6} MB text, OpenSSH direct`, text.direct, text.direct),
      row(`${TEXT_BYTES / 1e6} MB text, OpenSSH ProxyJump`, text.jump, text.direct),
      row(`${TEXT_BYTES / 1e6} MB text, reference: bare ssh2 relay (bench/bare-relay.ts, no recording)`, text.bare, text.direct),
      row(`${TEXT_BYTES / 1e6} MB text, Vigil (recording on)`, text.vigil, text.direct),
      `| Vigil vs ProxyJump (text) | | ${f2(mbps(text.vigil) / mbps(text.jump))}× |`,
      row(`${BINARY_BYTES / 1e6} MB /dev/urandom, OpenSSH direct`, bin.direct, bin.direct),
      row(`${BINARY_BYTES / 1e6} MB /dev/urandom, Vigil (recording on)`, bin.vigil, bin.direct),
      '',
      '| Vigil CPU per MB relayed (all rounds; ssh/sshd processes not included) | relay thread | all threads |',
      '|---|---|---|',
      `| text | ${f2((1000 * vigilCpu.text.main) / vigilCpu.text.mb)} ms | ${f2((1000 * vigilCpu.text.all) / vigilCpu.text.mb)} ms |`,
      `| /dev/urandom | ${f2((1000 * vigilCpu.binary.main) / vigilCpu.binary.mb)} ms | ${f2((1000 * vigilCpu.binary.all) / vigilCpu.binary.mb)} ms |`,
      '',
      `| Keystroke echo (${KEYS} keys, pty, cat) | p50 | p99 | mean |`,
      '|---|---|---|---|',
      `| direct | ${f2(echoDirect.p50)} ms | ${f2(echoDirect.p99)} ms | ${f2(echoDirect.mean)} ms |`,
      `| Vigil (recording on) | ${f2(echoVigil.p50)} ms | ${f2(echoVigil.p99)} ms | ${f2(echoVigil.mean)} ms |`,
      `| added by Vigil | ${f2(echoVigil.p50 - echoDirect.p50)} ms | ${f2(echoVigil.p99 - echoDirect.p99)} ms | ${f2(echoVigil.mean - echoDirect.mean)} ms |`,
      '',
      '| Slow reader (15 s at ~4 MB/s of a 2 GB output, via Vigil) | Vigil RSS |',
      '|---|---|',
      `| before / max / after | ${f1(slow.before)} / ${f1(slow.max)} / ${f1(slow.after)} MiB (read ${f1(slow.readMB)} MB) |`,
      '',
      `Recordings written: ${f1(castBytes / 1e6)} MB on disk.`,
      '',
    ].join('\n');
    process.stdout.write(out);
  } catch (err) {
    if (vigil) process.stderr.write(`Vigil log tail:\n${vigil.stdout().split('\n').slice(-15).join('\n')}\n`);
    throw err;
  } finally {
    await bare?.stop();
    await vigil?.stop();
    await sshd?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
