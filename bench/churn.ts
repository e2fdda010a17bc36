// `npx tsx bench/churn.ts [--rate 50] [--seconds 60]`: session churn through a real Vigil (recording on) to a real
// sshd: RATE new sessions a second for SECONDS, each running a short command and checking its output. Before and
// after (all sessions ended, a settle, a forced full GC), it reads Vigil's open file descriptors (/proc/PID/fd),
// its handles, active resources and timers and heap from GET /api/v1/metrics (what an operator scrapes), its RSS,
// and a census of its heap (a V8 heap snapshot taken through the inspector: Vigil runs with --inspect on loopback),
// and reports what grew. The program's objects are told apart from V8's compiled code, which grows while V8 still
// optimises. The clients are ssh2 Clients in this process, from 50 loopback addresses (Vigil's default per-source
// limits).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import ssh2, { type ConnectConfig } from 'ssh2';
import { heapGrowth, inspector } from './heap-census.js';
import { openSeeder, userKeyPair } from '../test/helpers/seed.js';
import { startSshd, type Sshd } from '../test/helpers/sshd.js';
import { newDataDir, startVigilProcess, type VigilProcess } from '../test/helpers/vigil.js';
import { startBareRelay } from './bare-relay-process.js';
import { machineCores, readMachine, readProc, readThreads, threadLoad, treeCpuS } from './proc-stats.js';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '60' },
    /** Sessions allowed in flight before new ones are skipped (counted) rather than piled up; under the test sshd's
     *  MaxStartups 200, which drops (and Vigil reports as a failed session) what goes past it. */
    'max-in-flight': { type: 'string', default: '150' },
    'settle-s': { type: 'string', default: '5' },
    /** Seconds of the same churn straight to sshd first, to show what this machine allows without Vigil (0: skip). */
    'direct-seconds': { type: 'string', default: '20' },
    /** Also churn through a bare ssh2 relay (bench/bare-relay.ts) run as these numbers of processes, e.g. "1,2":
     *  what the SSH library alone allows on this machine. */
    bare: { type: 'string', default: '' },
    /** Write V8 CPU profiles of Vigil (every thread) to this directory. */
    'cpu-prof': { type: 'string' },
  },
});
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const MAX_IN_FLIGHT = Number(args['max-in-flight']);
const SETTLE_MS = Number(args['settle-s']) * 1000;
const DIRECT_SECONDS = Number(args['direct-seconds']);
const SOURCES = 50;
const OPS_PASSWORD = 'Ops-pass-Churn-7Kq2Vw';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const log = (s: string) => process.stderr.write(`${s}\n`);

/** Logs in as the administrator and returns a reader of Vigil's Prometheus metrics. */
async function metricsReader(httpPort: number): Promise<() => Promise<Map<string, number>>> {
  const base = `http://127.0.0.1:${httpPort}/api/v1`;
  const res = await fetch(`${base}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'ops', password: OPS_PASSWORD }) });
  if (!res.ok) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  const { token } = (await res.json()) as { token: string };
  return async () => {
    const r = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    if (!r.ok) throw new Error(`metrics: ${r.status}`);
    const values = new Map<string, number>();
    for (const line of (await r.text()).split('\n')) {
      const m = /^(vigil_[a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
      if (m) values.set(m[1]!, Number(m[2]));
    }
    return values;
  };
}

interface Snapshot {
  fds: number;
  rssMiB: number;
  heapUsedMiB: number;
  handles: number;
  resources: number;
  timers: number;
  sessionsActive: number;
  /** Open fds by kind (socket, pipe, anon_inode, file...). */
  fdKinds: Record<string, number>;
  /** Vigil's threads by name: a worker started between two snapshots brings its own fds. */
  threads: string[];
}

function fdKinds(pid: number): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    const kind = /^(socket|pipe|anon_inode):/.exec(target)?.[1] ?? (target.startsWith('/dev/') ? 'device' : 'file');
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return kinds;
}

async function snapshot(pid: number, metrics: () => Promise<Map<string, number>>): Promise<Snapshot> {
  const m = await metrics();
  const get = (k: string) => m.get(k) ?? NaN;
  const kinds = fdKinds(pid);
  const rss = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return {
    fds: Object.values(kinds).reduce((a, b) => a + b, 0),
    rssMiB: Number(rss![1]) / 1024,
    heapUsedMiB: get('vigil_nodejs_heap_size_used_bytes') / 2 ** 20,
    handles: get('vigil_nodejs_active_handles_total'),
    resources: get('vigil_nodejs_active_resources_total'),
    timers: get('vigil_nodejs_active_resources{type="Timeout"}') || 0,
    sessionsActive: get('vigil_sessions_active'),
    fdKinds: kinds,
    threads: [...readThreads(pid).values()].map((t) => t.name).filter((n) => n.startsWith('vigil-')).sort(),
  };
}

interface ChurnResult {
  launched: number;
  skipped: number;
  ok: number;
  failed: number;
  errors: Map<string, number>;
  durations: number[];
  wallS: number;
  maxInFlight: number;
}

/** One session: connect, exec a command, check its output and exit status, disconnect. */
function oneSession(cfg: ConnectConfig, i: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = new ssh2.Client();
    let settled = false;
    const done = (err?: Error) => {
      if (settled) return;
      settled = true;
      c.end();
      if (err) reject(err);
      else resolve();
    };
    c.once('error', (err: Error) => done(err));
    c.once('ready', () => {
      c.exec(`echo churn-$((${i}+1))`, (err, ch) => {
        if (err) return done(err);
        let out = '';
        let err2 = '';
        let code: number | null = null;
        ch.on('data', (d: Buffer) => (out += d.toString()));
        ch.stderr.on('data', (d: Buffer) => (err2 += d.toString()));
        ch.on('exit', (c0: number | null) => (code = c0));
        ch.on('close', () => done(out === `churn-${i + 1}\n` && code === 0 ? undefined : new Error(`exit ${code}: ${JSON.stringify(out)} ${err2.trim()}`)));
      });
    });
    c.connect({ readyTimeout: 30_000, ...cfg, localAddress: `127.0.2.${(i % SOURCES) + 1}` });
  });
}

async function churn(cfg: ConnectConfig, rate: number, seconds: number, first: number): Promise<ChurnResult> {
  const r: ChurnResult = { launched: 0, skipped: 0, ok: 0, failed: 0, errors: new Map(), durations: [], wallS: 0, maxInFlight: 0 };
  const total = Math.round(rate * seconds);
  const pending = new Set<Promise<void>>();
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    // Launch on schedule (t0 + i/rate), not after the previous one: a slow gateway must not lower the offered rate.
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    if (pending.size >= MAX_IN_FLIGHT) {
      r.skipped++;
      continue;
    }
    r.launched++;
    const started = performance.now();
    const p: Promise<void> = oneSession(cfg, first + i)
      .then(() => {
        r.ok++;
        r.durations.push(performance.now() - started);
      })
      .catch((err: Error) => {
        r.failed++;
        const key = err.message.slice(0, 120);
        r.errors.set(key, (r.errors.get(key) ?? 0) + 1);
      })
      .finally(() => pending.delete(p));
    pending.add(p);
    r.maxInFlight = Math.max(r.maxInFlight, pending.size);
    if ((i + 1) % (rate * 10) === 0) log(`  ${i + 1}/${total} launched, ${pending.size} in flight, ${r.failed} failed`);
  }
  await Promise.all(pending);
  r.wallS = (performance.now() - t0) / 1000;
  return r;
}

async function main(): Promise<void> {
  let sshd: Sshd | null = null;
  let vigil: VigilProcess | null = null;
  let cdp: Awaited<ReturnType<typeof inspector>> | null = null;
  const dataDir = newDataDir();
  try {
    sshd = await startSshd();
    const keys = userKeyPair('bench');
    const seeder = await openSeeder(dataDir);
    await seeder.users.addUser({ username: 'alice', publicKey: keys.publicKey, roles: ['PAM User'] }, 'bench');
    // Vigil creates no first administrator when users exist already: one to read the metrics as.
    await seeder.users.addUser({ username: 'ops', password: OPS_PASSWORD, roles: ['System Administrator'] }, 'bench');
    await seeder.vault.addDevice({ name: 'web01', host: '127.0.0.1', port: sshd.port, hostKey: sshd.hostKeyLine, trustOnFirstUse: false }, 'bench');
    await seeder.vault.addCredential(`${sshd.user}@web01`, { privateKey: sshd.privateKey }, 'bench');
    await seeder.vault.addGrant('alice', `${sshd.user}@web01`, {}, 'bench');
    await seeder.close();

    // The same clients straight to sshd: each session costs sshd a fork and a login too, on the same cores.
    let direct: { r: ChurnResult; machineCores: number } | null = null;
    if (DIRECT_SECONDS > 0) {
      log(`direct: ${RATE} sessions/s for ${DIRECT_SECONDS} s straight to sshd`);
      const m0 = readMachine();
      const r = await churn({ host: '127.0.0.1', port: sshd.port, username: sshd.user, privateKey: sshd.privateKey }, RATE, DIRECT_SECONDS, 2_000_000);
      direct = { r, machineCores: machineCores(m0) };
      await sleep(3000);
    }
    const bare: { processes: number; r: ChurnResult; machineCores: number; relayCores: number }[] = [];
    for (const n of args.bare.split(',').filter(Boolean).map(Number)) {
      log(`bare ssh2 relay, ${n} process(es): ${RATE} sessions/s for ${DIRECT_SECONDS || 20} s`);
      const relay = await startBareRelay({ targetPort: sshd.port, user: sshd.user, keyPath: sshd.privateKeyPath, processes: n });
      try {
        const cpu0 = treeCpuS(relay.child.pid!);
        const m0 = readMachine();
        const r = await churn({ host: '127.0.0.1', port: relay.port, username: 'any', password: 'any' }, RATE, DIRECT_SECONDS || 20, 3_000_000 + n * 100_000);
        const relayCores = (treeCpuS(relay.child.pid!) - cpu0) / r.wallS;
        bare.push({ processes: n, r, machineCores: machineCores(m0), relayCores });
      } finally {
        await relay.stop();
      }
      await sleep(3000);
    }

    const prof = args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(args['cpu-prof'])}`] : [];
    vigil = await startVigilProcess({ dataDir, nodeArgs: ['--inspect=127.0.0.1:0', ...prof], env: {
        VIGIL_LOG_LEVEL: 'info',
        // Closed recordings are compressed within seconds, not after 30 s, so that compression (and its worker) is
        // part of the steady state measured, warm-up included, as it is on a gateway that has run for a while.
        VIGIL_COMPRESSION_SETTLE_MS: '1000',
        VIGIL_COMPRESSION_INTERVAL_MS: '2000',
      },
    });
    const pid = vigil.child.pid!;
    // The API starts after the gateway reported its port: wait for its line too.
    const apiLine = /\{[^\n]*"msg":"web console and API listening"[^\n]*\}/;
    for (let i = 0; i < 300 && !apiLine.test(vigil.stdout()); i++) await sleep(100);
    const httpPort = (JSON.parse(apiLine.exec(vigil.stdout())![0]) as { port: number }).port;
    const metrics = await metricsReader(httpPort);
    cdp = await inspector(() => vigil!.stderr());
    const cfg: ConnectConfig = { host: '127.0.0.1', port: vigil.sshPort, username: `alice[${sshd.user}@web01]`, privateKey: keys.privateKey };

    // Warm-up: every code path of a session loaded and compiled once, so that "before" is a steady state.
    // Warm-up at the full rate, so that "before" is a steady state: every code path of a session compiled, caches
    // and pools (statements, buffers, the logger's) at their working size.
    log('warm-up: 10 s of churn at the full rate');
    const warm = await churn(cfg, RATE, 10, 1_000_000);
    if (warm.failed > 0) throw new Error(`warm-up sessions failed: ${[...warm.errors.keys()].join('; ')}`);
    const settle = async () => {
      await sleep(SETTLE_MS);
      const census = await cdp!.census();
      return { ...(await snapshot(pid, metrics)), census };
    };
    const before = await settle();
    log(`before: ${JSON.stringify({ ...before, census: undefined })}`);

    log(`churn: ${RATE} sessions/s for ${SECONDS} s`);
    const cpu0 = readProc(pid).cpuS;
    const client0 = process.cpuUsage();
    const machine0 = readMachine();
    const threads0 = readThreads(pid);
    const peak = { fds: 0, rssMiB: 0 };
    const sampler = setInterval(() => {
      peak.fds = Math.max(peak.fds, fs.readdirSync(`/proc/${pid}/fd`).length);
      peak.rssMiB = Math.max(peak.rssMiB, Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024);
    }, 500);
    const r = await churn(cfg, RATE, SECONDS, 0);
    const machine = machineCores(machine0);
    const threads = threadLoad(threads0, readThreads(pid), r.wallS);
    clearInterval(sampler);
    const cpu = (readProc(pid).cpuS - cpu0) / r.wallS;
    const clientCpu = process.cpuUsage(client0);

    // Every session row closed: the store agrees with the metrics gauge.
    const check = await openSeeder(dataDir);
    const end = Date.now() + 60_000;
    while ((await check.admin.store.sessions.listActive()).length > 0 && Date.now() < end) await sleep(500);
    const stillActive = (await check.admin.store.sessions.listActive()).length;
    const completed = (await check.admin.store.sessions.query({ status: 'completed', pageSize: 1 })).total;
    await check.close();
    const after = await settle();
    log(`after: ${JSON.stringify({ ...after, census: undefined })}`);
    report(before, after, heapGrowth(before.census, after.census), peak, r, { vigil: cpu, client: (clientCpu.user + clientCpu.system) / 1e6 / r.wallS, machine, threads }, { stillActive, completed, warm: warm.ok }, direct, bare);
  } catch (err) {
    if (vigil) log(`Vigil log tail:\n${vigil.stdout().split('\n').slice(-15).join('\n')}\n${vigil.stderr().slice(-2000)}`);
    throw err;
  } finally {
    cdp?.close();
    await vigil?.stop();
    await sshd?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const f1 = (n: number) => n.toFixed(1);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? NaN;

function report(before: Snapshot, after: Snapshot, heap: ReturnType<typeof heapGrowth>, peak: { fds: number; rssMiB: number }, r: ChurnResult, cpu: { vigil: number; client: number; machine: number; threads: { name: string; run: number; wait: number }[] }, db: { stillActive: number; completed: number; warm: number }, direct: { r: ChurnResult; machineCores: number } | null, bare: { processes: number; r: ChurnResult; machineCores: number; relayCores: number }[]): void {
  const n = r.ok;
  const row = (name: string, b: number, a: number, unit = '', perSession = false) =>
    `| ${name} | ${f1(b)}${unit} | ${f1(a)}${unit} | ${a - b >= 0 ? '+' : ''}${f1(a - b)}${unit}${perSession && n > 0 ? ` (${f1(((a - b) * 2 ** 20) / n)} B/session)` : ''} |`;
  const kinds = [...new Set([...Object.keys(before.fdKinds), ...Object.keys(after.fdKinds)])].sort();
  // Allowances: a scrape's own socket, a worker's pipe; anything that scales with the 3,000 sessions is a leak.
  const leaks = [
    after.fds - before.fds > 3 ? `file descriptors +${after.fds - before.fds}` : '',
    after.handles - before.handles > 3 ? `handles +${after.handles - before.handles}` : '',
    after.timers - before.timers > 3 ? `timers +${after.timers - before.timers}` : '',
    after.sessionsActive !== 0 || db.stillActive !== 0 ? `sessions still active (${after.sessionsActive} in metrics, ${db.stillActive} in the store)` : '',
    // The program's objects, not V8's code: a leak of even 100 bytes a session shows over 3,000 sessions.
    heap.objectBytes / Math.max(1, n) > 100 ? `heap objects +${f1(heap.objectBytes / 1024)} KiB (${f1(heap.objectBytes / Math.max(1, n))} B/session): ${heap.top.join(', ')}` : '',
  ].filter(Boolean);
  const out = [
    '',
    `Vigil session churn — ${new Date().toISOString().slice(0, 10)}, ${RATE} new sessions/s for ${SECONDS} s (exec \`echo\`, recording on), ${os.cpus().length} cores, Node ${process.version}, load avg ${f1(os.loadavg()[0]!)}`,
    '',
    '| Sessions | |',
    '|---|---|',
    `| offered / launched / skipped (over ${MAX_IN_FLIGHT} in flight) | ${Math.round(RATE * SECONDS)} / ${r.launched} / ${r.skipped} |`,
    `| succeeded (output and exit status checked) / failed | ${r.ok} / ${r.failed}${r.failed ? ` — ${[...r.errors].map(([k, v]) => `${v}× ${k}`).join('; ')}` : ''} |`,
    `| achieved rate | ${f1(r.ok / r.wallS)} sessions/s over ${f1(r.wallS)} s |`,
    `| session time (connect → output → closed), p50 / p99 | ${f1(pct(r.durations, 0.5))} / ${f1(pct(r.durations, 0.99))} ms |`,
    `| most in flight at once | ${r.maxInFlight} |`,
    `| whole machine busy during churn (every process) | ${cpu.machine.toFixed(2)} of ${os.cpus().length} cores |`,
    ...(direct
      ? [
          `| **direct to sshd, same clients, same run (${DIRECT_SECONDS} s)**: achieved rate / failed | ${f1(direct.r.ok / direct.r.wallS)} sessions/s / ${direct.r.failed} (${direct.r.skipped} skipped) |`,
          `| direct: session time p50 / p99; machine busy | ${f1(pct(direct.r.durations, 0.5))} / ${f1(pct(direct.r.durations, 0.99))} ms; ${direct.machineCores.toFixed(2)} of ${os.cpus().length} cores |`,
        ]
      : []),
    ...bare.map(
      (b) =>
        `| reference: bare ssh2 relay (no recording, no database), ${b.processes} process${b.processes > 1 ? 'es' : ''}: rate / failed; session p50 / p99; relay CPU; machine busy | ${f1(b.r.ok / b.r.wallS)} sessions/s / ${b.r.failed} (${b.r.skipped} skipped); ${f1(pct(b.r.durations, 0.5))} / ${f1(pct(b.r.durations, 0.99))} ms; ${b.relayCores.toFixed(2)} cores (${f1((b.relayCores * b.r.wallS * 1000) / Math.max(1, b.r.ok))} ms a session); ${b.machineCores.toFixed(2)} of ${os.cpus().length} cores |`,
    ),
    `| CPU during churn: Vigil / this bench's clients | ${cpu.vigil.toFixed(2)} (${f1((cpu.vigil * r.wallS * 1000) / Math.max(1, r.ok))} ms a session) / ${cpu.client.toFixed(2)} cores (load avg ${f1(os.loadavg()[0]!)}: other work shares the cores) |`,
    `| completed session rows in the store (incl. ${db.warm} warm-up) / still active | ${db.completed} / ${db.stillActive} |`,
    '',
    '| Vigil thread during churn | cores running (ms a session) | cores runnable but waiting for a CPU |',
    '|---|---|---|',
    ...cpu.threads.slice(0, 8).map((t) => `| ${t.name} | ${t.run.toFixed(2)} (${f1((t.run * r.wallS * 1000) / Math.max(1, n))}) | ${t.wait.toFixed(2)} |`),
    '',
    `| Vigil (after ${SETTLE_MS / 1000} s settle and a full GC) | before | after | change |`,
    '|---|---|---|---|',
    `| Vigil worker threads | ${before.threads.join(', ')} | ${after.threads.join(', ')} | |`,
    row('open file descriptors (/proc)', before.fds, after.fds),
    ...kinds.map((k) => row(`  of which ${k}`, before.fdKinds[k] ?? 0, after.fdKinds[k] ?? 0)),
    row('active handles (metrics)', before.handles, after.handles),
    row('active resources (metrics)', before.resources, after.resources),
    row('  of which timers (ref\'d Timeout)', before.timers, after.timers),
    row('sessions active (metrics)', before.sessionsActive, after.sessionsActive),
    row('heap used (metrics)', before.heapUsedMiB, after.heapUsedMiB, ' MiB', true),
    `| heap snapshot: program objects | | | ${heap.objectBytes >= 0 ? '+' : ''}${f1(heap.objectBytes / 1024)} KiB (${f1(heap.objectBytes / Math.max(1, n))} B/session) |`,
    `| heap snapshot: V8 compiled code and metadata | | | ${heap.v8Bytes >= 0 ? '+' : ''}${f1(heap.v8Bytes / 1024)} KiB |`,
    row('RSS', before.rssMiB, after.rssMiB, ' MiB', true),
    `| peak during churn | | fds ${peak.fds}, RSS ${f1(peak.rssMiB)} MiB | |`,
    '',
    leaks.length === 0 ? 'Leaks: none found.' : `Leaks: ${leaks.join('; ')}.`,
    '',
  ].join('\n');
  process.stdout.write(out);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
