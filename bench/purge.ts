// Retention purge at scale: purges N expired sessions (default 100,000) with small recording files, and measures how
// much it disturbs a gateway in the same process: event-loop delay (perf_hooks) and the round trip of a one-byte
// "keystroke" echoed over loopback TCP, both compared with the same probes while idle.
// Run: npx tsx bench/purge.ts [--sessions N] [--dir DIR] [--batch N] [--tx N] [--pause MS] [--concurrency N]   (PurgeService options; defaults otherwise)   (DIR defaults to the OS temp dir)
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { ManualClock } from '../src/core/clock.js';
import { dataPaths } from '../src/core/config.js';
import { FsPurgeFiles } from '../src/core/purge-files.js';
import { PurgeService } from '../src/core/purge-service.js';
import { SqlitePurgeRepo } from '../src/store/purge-repo.js';
import { openSqliteStore } from '../src/store/sqlite-store.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1);

const { values } = parseArgs({ options: { sessions: { type: 'string', default: '100000' }, dir: { type: 'string' }, batch: { type: 'string' }, tx: { type: 'string' }, pause: { type: 'string' }, concurrency: { type: 'string' } } });
const N = Number(values.sessions);

/** The "user": another thread sends one byte every 5 ms over TCP and times the echo; its own loop is never busy. */
const CLIENT = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
const sock = net.connect(workerData.port, '127.0.0.1', () => {
  sock.setNoDelay(true);
  let sentAt = 0, waiting = false, rtts = [];
  sock.on('data', () => { rtts.push(performance.now() - sentAt); waiting = false; });
  const timer = setInterval(() => { if (!waiting) { waiting = true; sentAt = performance.now(); sock.write('k'); } }, 5);
  parentPort.on('message', (m) => {
    if (m === 'reset') rtts = [];
    if (m === 'stop') { clearInterval(timer); sock.destroy(); parentPort.postMessage(rtts); }
  });
  parentPort.postMessage('ready');
});`;

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

interface Probe {
  loopP50: number;
  loopP99: number;
  loopMax: number;
  rttP50: number;
  rttP99: number;
  rttMax: number;
  keys: number;
}

/** Runs `work` while probing the event loop and the echo round trip. */
async function probe(worker: Worker, work: () => Promise<void>): Promise<Probe> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  worker.postMessage('reset');
  h.enable();
  await work();
  h.disable();
  worker.postMessage('stop');
  const rtts = ((await new Promise((r) => worker.once('message', r))) as number[]).sort((a, b) => a - b);
  const ms = (ns: number) => ns / 1e6;
  return { loopP50: ms(h.percentile(50)), loopP99: ms(h.percentile(99)), loopMax: ms(h.max), rttP50: pct(rtts, 50), rttP99: pct(rtts, 99), rttMax: rtts.at(-1) ?? NaN, keys: rtts.length };
}

async function startClient(port: number): Promise<Worker> {
  const w = new Worker(CLIENT, { eval: true, workerData: { port } });
  await new Promise((r) => w.once('message', r));
  return w;
}

async function setup(dir: string): Promise<void> {
  const paths = dataPaths(dir);
  const store = await openSqliteStore(paths.database, new ManualClock(NOW));
  const db = store.database.db;
  await mkdir(paths.videos, { recursive: true });
  // N sessions started over 100 days (100 day folders), all ended more than 90 days ago; every 10th has keyframes, every 100th a video.
  const CHUNK = 500;
  for (let start = 0; start < N; start += CHUNK) {
    const rows = [];
    const files: Array<[string, string]> = [];
    for (let i = start; i < Math.min(N, start + CHUNK); i++) {
      const sessionId = i.toString(16).padStart(32, '0');
      // In the order a gateway creates them: row ids follow start times.
      const startedAt = new Date(NOW - 200 * DAY + Math.floor((i * 100 * DAY) / N));
      const folder = join(paths.recordings, ...startedAt.toISOString().slice(0, 10).split('-'));
      const recordingPath = join(folder, `${sessionId}.cast`);
      rows.push({
        session_id: sessionId, user_id: null, username: 'alice', origin_ip: '10.0.0.1', credential_id: null, credential: 'root', device_id: null, device: 'web01',
        host: 'web01:22', protocol: 'SSH', type: 'shell', command: null, status: 'completed', started_at: startedAt.toISOString(), ended_at: new Date(startedAt.getTime() + 60_000).toISOString(),
        exit_status: 0, bytes_in: 10, bytes_out: 200, end_reason: null, error_message: null, dropped_by: null, recording_path: recordingPath, recording_size: 200,
        recording_duration: 60, recording_sha256: 'ab'.repeat(32), prevent_purge: 0, purged_at: null, cols: 80, rows: 24,
      });
      files.push([recordingPath, `{"version": 2, "width": 80, "height": 24}\n[0.5, "o", "session ${i}\\r\\n"]\n`]);
      if (i % 10 === 0) files.push([join(folder, `${sessionId}.keys`), '{}\n'], [join(folder, `${sessionId}.kidx`), 'VIGILKIX']);
      if (i % 100 === 0) files.push([join(paths.videos, `${sessionId}.mp4`), 'mp4']);
    }
    await db.insertInto('sessions').values(rows).execute();
    const folders = new Set(files.map(([p]) => p.slice(0, p.lastIndexOf('/'))));
    for (const f of folders) await mkdir(f, { recursive: true });
    for (let i = 0; i < files.length; i += 64) await Promise.all(files.slice(i, i + 64).map(([p, c]) => writeFile(p, c)));
  }
  await store.close();
}

async function countFiles(dir: string): Promise<number> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])).filter((e) => e.isFile()).length;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(values.dir ?? tmpdir(), 'vigil-bench-purge-'));
  const paths = dataPaths(dir);
  try {
    let t = performance.now();
    await setup(dir);
    const before = (await countFiles(paths.recordings)) + (await countFiles(paths.videos));
    console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} CPUs`);
    console.log(`setup: ${N} expired sessions, ${before} files, in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    // The "gateway": an echo server on this process's event loop, as the SSH relay would be.
    const server = createServer((s) => {
      s.setNoDelay(true);
      s.on('data', (d) => s.write(d));
      s.on('error', () => {}); // the probe client resets its connection when it stops
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const worker = await startClient((server.address() as AddressInfo).port);

    const idle = await probe(worker, () => new Promise((r) => setTimeout(r, 3000)));
    const clientDuring = await startClient((server.address() as AddressInfo).port);

    const store = await openSqliteStore(paths.database, new ManualClock(NOW));
    const files = new FsPurgeFiles({ recordingsDir: paths.recordings, videosDir: paths.videos });
    const service = new PurgeService({ repo: new SqlitePurgeRepo(store.database.db, store.search.writer), files, clock: new ManualClock(NOW), retentionDays: async () => 90, batchSize: values.batch ? Number(values.batch) : undefined, transactionSize: values.tx ? Number(values.tx) : undefined, pauseMs: values.pause ? Number(values.pause) : undefined,
      fileConcurrency: values.concurrency ? Number(values.concurrency) : undefined,
    });
    let report!: Awaited<ReturnType<PurgeService['run']>>;
    t = performance.now();
    const during = await probe(clientDuring, async () => {
      report = await service.run({ actor: { userId: null, name: 'bench' } });
    });
    const seconds = (performance.now() - t) / 1000;
    const left = (await countFiles(paths.recordings)) + (await countFiles(paths.videos));
    const events = await store.database.db.selectFrom('session_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const problems = await store.audit.verify();
    await store.close();
    await worker.terminate();
    await clientDuring.terminate();
    server.close();

    const f = (n: number) => n.toFixed(2).padStart(7);
    console.log(`purge: ${report.sessions} sessions, ${report.files} files in ${seconds.toFixed(1)} s (${Math.round(report.sessions / seconds)} sessions/s, ${Math.round(report.files / seconds)} files/s); files left ${left}; events ${events.n}; audit chain ${problems.length ? 'BROKEN' : 'intact'}; failed ${report.failed}`);
    console.log('                      idle   during purge   ratio');
    console.log(`event loop p50 ms  ${f(idle.loopP50)}  ${f(during.loopP50)}  ${(during.loopP50 / idle.loopP50).toFixed(2)}x`);
    console.log(`event loop p99 ms  ${f(idle.loopP99)}  ${f(during.loopP99)}  ${(during.loopP99 / idle.loopP99).toFixed(2)}x`);
    console.log(`event loop max ms  ${f(idle.loopMax)}  ${f(during.loopMax)}`);
    console.log(`keystroke p50 ms   ${f(idle.rttP50)}  ${f(during.rttP50)}  ${(during.rttP50 / idle.rttP50).toFixed(2)}x`);
    console.log(`keystroke p99 ms   ${f(idle.rttP99)}  ${f(during.rttP99)}  ${(during.rttP99 / idle.rttP99).toFixed(2)}x   (${during.keys} keys during the purge)`);
    console.log(`keystroke max ms   ${f(idle.rttMax)}  ${f(during.rttMax)}`);
    if (report.sessions !== N || left !== 0 || problems.length) process.exitCode = 1;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
