// `npx tsx bench/load.ts [--sessions 500] [--seconds 30] [--interval-ms 100]`: N concurrent interactive pty
// sessions, each typing a key every 100 ms into `cat` on a raw pty, first straight to a real sshd, then through a
// real Vigil (recording on), in the same run. Reports echo latency p50/p99 both ways and the difference, Vigil's
// RSS per session (idle and typing) and CPU, then checks that nothing was lost: every key echoed, and every
// session's recording holds exactly the bytes its client sent and received. Prints a markdown table.
//
// The load clients are ssh2 Clients inside this process (500 OpenSSH processes would swamp 2 cores); the system
// under test is a real Vigil process and a real OpenSSH sshd. Clients come from 50 loopback addresses
// (127.0.1.1-50), as users from many hosts would, so Vigil's default per-source limits apply unchanged.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { ConnectConfig } from 'ssh2';
import { dataPaths } from '../src/core/config.js';
import { FileRecordingStore } from '../src/recording/file-recording-store.js';
import { openSeeder, userKeyPair } from '../test/helpers/seed.js';
import { startSshd, type Sshd } from '../test/helpers/sshd.js';
import { newDataDir, startVigilProcess, type VigilProcess } from '../test/helpers/vigil.js';
import { recordingBytes } from '../test/helpers/recording-file.js';
import { startBareRelay } from './bare-relay-process.js';
import { EchoSession } from './echo-session.js';
import { machineCores, readMachine, readProc, readThreads, threadLoad, treeCpuS } from './proc-stats.js';

const { values: args } = parseArgs({
  options: {
    sessions: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '30' },
    'interval-ms': { type: 'string', default: '100' },
    /** Sessions opened at once while ramping up. */
    ramp: { type: 'string', default: '16' },
    /** Also measure a bare ssh2 relay (bench/bare-relay.ts) run as these numbers of processes, e.g. "1,2": what
     *  the SSH library alone allows on this machine, and what spreading sessions over cores would. */
    bare: { type: 'string', default: '' },
    /** Write V8 CPU profiles of Vigil (every thread) to this directory. */
    'cpu-prof': { type: 'string' },
  },
});
const N = Number(args.sessions);
const SECONDS = Number(args.seconds);
const INTERVAL_MS = Number(args['interval-ms']);
const RAMP = Number(args.ramp);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const log = (s: string) => process.stderr.write(`${s}\n`);


/** Opens `n` sessions numbered from `first`, RAMP at a time. */
async function openAll(cfg: ConnectConfig, n: number, first = 0): Promise<EchoSession[]> {
  const sessions = Array.from({ length: n }, (_, i) => new EchoSession(first + i));
  let next = 0;
  let opened = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: RAMP }, async () => {
      while (next < n) {
        const s = sessions[next++]!;
        await s.open(cfg);
        if (++opened % 100 === 0) log(`  ${opened} sessions open (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      }
    }),
  );
  return sessions;
}

interface PhaseResult {
  latencies: number[];
  /** Echo latency of Enter keys alone. */
  enter: number[];
  keysSent: number;
  keysEchoed: number;
  keyMismatches: number;
  clientLagP99: number;
  clientCpu: number;
  /** The machine's 1-minute load average at the end of typing: other work on the same cores skews both runs. */
  loadavg: number;
  /** Cores busy on the whole machine while typing (every process, the kernel included), of os.cpus().length. */
  machineCores: number;
  /** The bare relay's CPU over the whole phase (its processes together), for the reference rows. */
  bareCores?: number;
  /** Vigil's busiest threads while typing: cores running, cores waiting for a CPU while runnable. */
  threads?: { name: string; run: number; wait: number }[];
  vigil?: { baseline: number; idle: number; activeMean: number; activeMax: number; cpuCores: number; idleCpuCores: number };
}

/** Opens N sessions, lets them idle, types for SECONDS, waits for the last echoes. */
async function phase(name: string, cfg: ConnectConfig, pid: number | null): Promise<{ result: PhaseResult; sessions: EchoSession[] }> {
  log(`${name}: opening ${N} sessions`);
  const baseline = pid ? readProc(pid).rssMiB : 0;
  const sessions = await openAll(cfg, N);
  await sleep(2000);
  const idle0 = pid ? readProc(pid) : null;
  await sleep(5000);
  const idle1 = pid ? readProc(pid) : null;
  const idle = idle1?.rssMiB ?? 0;
  log(`${name}: ${N} sessions idle${pid ? `, Vigil RSS ${idle.toFixed(0)} MiB` : ''}; typing for ${SECONDS} s`);
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const cpu0 = process.cpuUsage();
  const vigil0 = pid ? readProc(pid) : null;
  const threads0 = pid ? readThreads(pid) : null;
  const machine0 = readMachine();
  const t0 = performance.now();
  sessions.forEach((s, i) => s.startTyping((i * INTERVAL_MS) / N, INTERVAL_MS));
  const rss: number[] = [];
  while (performance.now() - t0 < SECONDS * 1000) {
    await sleep(1000);
    if (pid) rss.push(readProc(pid).rssMiB);
  }
  for (const s of sessions) s.stopTyping();
  const wall = (performance.now() - t0) / 1000;
  const vigil1 = pid ? readProc(pid) : null;
  const threads1 = pid ? readThreads(pid) : null;
  const machine = machineCores(machine0);
  const clientCpu = process.cpuUsage(cpu0);
  lag.disable();
  await Promise.all(sessions.map((s) => s.until(() => s.keysEchoed >= s.keysSent, 30_000).catch(() => undefined)));
  const result: PhaseResult = {
    latencies: sessions.flatMap((s) => s.latencies).sort((a, b) => a - b),
    enter: sessions.flatMap((s) => s.latencies.filter((_, k) => s.isEnter[k])).sort((a, b) => a - b),
    keysSent: sessions.reduce((n, s) => n + s.keysSent, 0),
    keysEchoed: sessions.reduce((n, s) => n + Math.min(s.keysEchoed, s.keysSent), 0),
    keyMismatches: sessions.filter((s) => s.echoed() !== s.keysTyped()).length,
    clientLagP99: lag.percentile(99) / 1e6,
    clientCpu: (clientCpu.user + clientCpu.system) / 1e6 / wall,
    loadavg: os.loadavg()[0]!,
    machineCores: machine,
    ...(threads0 && threads1 ? { threads: threadLoad(threads0, threads1, wall) } : {}),
    ...(pid && vigil0 && vigil1 && idle0 && idle1
      ? {
          vigil: {
            baseline,
            idle,
            activeMean: rss.reduce((a, b) => a + b, 0) / rss.length,
            activeMax: Math.max(...rss),
            cpuCores: (vigil1.cpuS - vigil0.cpuS) / wall,
            idleCpuCores: idle1 && idle0 ? (idle1.cpuS - idle0.cpuS) / 5 : NaN,
          },
        }
      : {}),
  };
  return { result, sessions };
}

/** Compares each session's recording with what its client sent and received. */
async function verifyRecordings(dataDir: string, sessions: EchoSession[]): Promise<{ checked: number; outputMismatch: number; inputMismatch: number; missing: number; bytes: number }> {
  const seeder = await openSeeder(dataDir);
  try {
    const store = seeder.admin.store.sessions;
    const end = Date.now() + 120_000;
    while ((await store.listActive()).length > 0) {
      if (Date.now() > end) throw new Error('sessions still active 2 minutes after their clients left');
      await sleep(500);
    }
    const rows = (await store.query({ pageSize: N + 10, sort: 'startedAt', order: 'desc' })).items;
    const files = new FileRecordingStore({ dir: dataPaths(dataDir).recordings });
    const byMarker = new Map<number, { input: string; output: string }>();
    for (const row of rows) {
      // Through Vigil's reader: a recording may be sealed while active or compressed once closed.
      const events = (await recordingBytes(files.pathFor(row.sessionId, row.startedAt)))
        .toString('utf8')
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((l) => JSON.parse(l) as [number, string, string]);
      const output = events.filter((e) => e[1] === 'o').map((e) => e[2]).join('');
      const input = events.filter((e) => e[1] === 'i').map((e) => e[2]).join('');
      const m = /READY-GO-(\d+)/.exec(output);
      if (m && Number(m[1]) < N) byMarker.set(Number(m[1]), { input, output });
    }
    let outputMismatch = 0;
    let inputMismatch = 0;
    let missing = 0;
    let bytes = 0;
    for (const s of sessions) {
      const rec = byMarker.get(s.index);
      if (!rec) {
        missing++;
        continue;
      }
      bytes += rec.output.length + rec.input.length;
      if (rec.output !== s.text()) outputMismatch++;
      if (rec.input !== s.typed) inputMismatch++;
    }
    return { checked: byMarker.size, outputMismatch, inputMismatch, missing, bytes };
  } finally {
    await seeder.close();
  }
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);

async function main(): Promise<void> {
  let sshd: Sshd | null = null;
  let vigil: VigilProcess | null = null;
  const dataDir = newDataDir();
  try {
    sshd = await startSshd();
    const keys = userKeyPair('bench');
    const seeder = await openSeeder(dataDir);
    await seeder.users.addUser({ username: 'alice', publicKey: keys.publicKey, roles: ['PAM User'] }, 'bench');
    await seeder.vault.addDevice({ name: 'web01', host: '127.0.0.1', port: sshd.port, hostKey: sshd.hostKeyLine, trustOnFirstUse: false }, 'bench');
    await seeder.vault.addCredential(`${sshd.user}@web01`, { privateKey: sshd.privateKey }, 'bench');
    await seeder.vault.addGrant('alice', `${sshd.user}@web01`, {}, 'bench');
    await seeder.close();

    const direct = await phase('direct', { host: '127.0.0.1', port: sshd.port, username: sshd.user, privateKey: sshd.privateKey }, null);
    for (const s of direct.sessions) s.close();
    await sleep(3000);

    // BENCH_VIGIL_NODE_ARGS (as in run.ts), e.g. "--perf-basic-prof" to read Vigil and the bare relay with perf.
    const prof = [...(args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(args['cpu-prof'])}`] : []), ...(process.env.BENCH_VIGIL_NODE_ARGS?.split(' ').filter(Boolean) ?? [])];
    vigil = await startVigilProcess({ dataDir, nodeArgs: prof, env: { VIGIL_LOG_LEVEL: 'info' } });
    const pid = vigil.child.pid!;
    const vigilCfg: ConnectConfig = { host: '127.0.0.1', port: vigil.sshPort, username: `alice[${sshd.user}@web01]`, privateKey: keys.privateKey };
    // One session first, so that the baseline includes what every session path loads once (JIT, modules).
    const warm = await openAll(vigilCfg, 1, N);
    warm[0]!.close();
    await sleep(3000);
    const via = await phase('Vigil', vigilCfg, pid);
    for (const s of via.sessions) s.close();
    const rec = await verifyRecordings(dataDir, via.sessions);
    const stdout = vigil.stdout();
    await vigil.stop();
    vigil = null;
    const bare: { processes: number; result: PhaseResult }[] = [];
    for (const n of args.bare.split(',').filter(Boolean).map(Number)) {
      await sleep(3000);
      const relay = await startBareRelay({ targetPort: sshd.port, user: sshd.user, keyPath: sshd.privateKeyPath, processes: n, nodeArgs: prof });
      try {
        const cpu0 = treeCpuS(relay.child.pid!);
        const t0 = performance.now();
        const r = await phase(`bare ssh2 relay, ${n} process${n > 1 ? 'es' : ''}`, { host: '127.0.0.1', port: relay.port, username: 'any', password: 'any' }, null);
        const cores = (treeCpuS(relay.child.pid!) - cpu0) / ((performance.now() - t0) / 1000);
        for (const s of r.sessions) s.close();
        bare.push({ processes: n, result: { ...r.result, clientCpu: r.result.clientCpu, bareCores: cores } });
      } finally {
        await relay.stop();
      }
    }
    report(direct.result, via.result, rec, /"nativeCrypto":true/.test(stdout), bare);
  } catch (err) {
    if (vigil) log(`Vigil log tail:\n${vigil.stdout().split('\n').slice(-15).join('\n')}\n${vigil.stderr().slice(-2000)}`);
    throw err;
  } finally {
    await vigil?.stop();
    await sshd?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function report(d: PhaseResult, v: PhaseResult, rec: Awaited<ReturnType<typeof verifyRecordings>>, native: boolean, bare: { processes: number; result: PhaseResult }[]): void {
  const vm = v.vigil!;
  const row = (name: string, r: PhaseResult) =>
    `| ${name} | ${r.latencies.length} | ${f2(pct(r.latencies, 0.5))} ms | ${f2(pct(r.latencies, 0.99))} ms | ${f2(pct(r.latencies, 0.999))} ms | ${f1(r.latencies[r.latencies.length - 1] ?? NaN)} ms | ${f2(r.clientLagP99)} ms / ${f2(r.clientCpu)} | ${f1(r.loadavg)} |`;
  const enterRow = (name: string, l: number[]) => `| ${name} | ${l.length} | ${f2(pct(l, 0.5))} ms | ${f2(pct(l, 0.99))} ms | ${f2(pct(l, 0.999))} ms | ${f1(l[l.length - 1] ?? NaN)} ms | | |`;
  const perSession = (mib: number) => `${f2(((mib - vm.baseline) * 1024) / N)} KiB`;
  const lostKeys = v.keysSent - v.keysEchoed + (d.keysSent - d.keysEchoed);
  const out = [
    '',
    `Vigil load — ${new Date().toISOString().slice(0, 10)}, ${N} concurrent pty sessions, a key every ${INTERVAL_MS} ms each for ${SECONDS} s, ${os.cpus().length} cores, Node ${process.version}, ssh2 native crypto ${native ? 'loaded' : 'MISSING'}`,
    '',
    '| Keystroke echo (cat on a raw pty) | keys | p50 | p99 | p99.9 | max | bench client loop lag p99 / CPU cores | load avg |',
    '|---|---|---|---|---|---|---|---|',
    row('direct: ssh2 client → sshd', d),
    row('via Vigil (recording on) → sshd', v),
    `| added by Vigil | | ${f2(pct(v.latencies, 0.5) - pct(d.latencies, 0.5))} ms | ${f2(pct(v.latencies, 0.99) - pct(d.latencies, 0.99))} ms | ${f2(pct(v.latencies, 0.999) - pct(d.latencies, 0.999))} ms | | | |`,
    ...bare.map(
      (b) =>
        `| reference: bare ssh2 relay, no recording, ${b.processes} process${b.processes > 1 ? 'es' : ''} (added p50 / p99: ${f2(pct(b.result.latencies, 0.5) - pct(d.latencies, 0.5))} / ${f2(pct(b.result.latencies, 0.99) - pct(d.latencies, 0.99))} ms; relay ${f2(b.result.bareCores ?? NaN)} cores, machine ${f2(b.result.machineCores)}) ${row('', b.result).slice(4)}`,
    ),
    enterRow('Enter keys alone, direct', d.enter),
    enterRow('Enter keys alone, via Vigil (each line goes through the command log first)', v.enter),
    '',
    '| Vigil process | RSS | per session |',
    '|---|---|---|',
    `| after start and one session (baseline) | ${f1(vm.baseline)} MiB | |`,
    `| ${N} sessions idle | ${f1(vm.idle)} MiB | ${perSession(vm.idle)} |`,
    `| ${N} sessions typing (mean / max) | ${f1(vm.activeMean)} / ${f1(vm.activeMax)} MiB | ${perSession(vm.activeMean)} / ${perSession(vm.activeMax)} |`,
    `| CPU with ${N} sessions idle (5 s) | ${f2(vm.idleCpuCores)} cores | |`,
    `| CPU while typing | ${f2(vm.cpuCores)} cores (${f1(vm.cpuCores * 100)}% of one), ${f1(((vm.cpuCores - vm.idleCpuCores) * 1e6) / (v.keysSent / SECONDS))} µs per key above idle | |`,
    '',
    `Whole machine busy while typing: direct ${f2(d.machineCores)} of ${os.cpus().length} cores, via Vigil ${f2(v.machineCores)}.`,
    '',
    '| Vigil thread while typing | cores running | cores runnable but waiting for a CPU |',
    '|---|---|---|',
    ...(v.threads ?? []).slice(0, 8).map((t) => `| ${t.name} | ${f2(t.run)} | ${f2(t.wait)} |`),
    '',
    '| Nothing lost | result |',
    '|---|---|',
    `| keys typed / echoed back (both runs) | ${d.keysSent + v.keysSent} / ${d.keysEchoed + v.keysEchoed} (${lostKeys} lost) |`,
    `| sessions whose echo differs from what was typed | direct ${d.keyMismatches}, Vigil ${v.keyMismatches} |`,
    `| recordings found / sessions | ${rec.checked} / ${N} (${rec.missing} missing) |`,
    `| recordings whose output ≠ bytes the client received | ${rec.outputMismatch} |`,
    `| recordings whose input ≠ bytes the client sent | ${rec.inputMismatch} |`,
    '',
    `Targets (issue #8): p99 added < 25 ms → ${f2(pct(v.latencies, 0.99) - pct(d.latencies, 0.99))} ms; < 1 MiB per idle session → ${perSession(vm.idle)}; nothing lost → ${lostKeys + d.keyMismatches + v.keyMismatches + rec.missing + rec.outputMismatch + rec.inputMismatch === 0 ? 'yes' : 'NO'}.`,
    '',
  ].join('\n');
  process.stdout.write(out);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
