// Remote Sessions list over 100,000 sessions: p50/p99 of the server-side page query (filters, sort, count), as the console asks it.
// Wall time and this process's CPU time are both shown: on a shared machine the wall p99 mostly measures the other
// processes; the CPU time is what the query costs. Then every filter against every sort (the matrix), worst first.
// Run: npx tsx bench/session-list.ts [--sessions N] [--runs R] [--matrix-runs R] [--no-matrix]

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { systemClock } from '../src/core/clock.js';
import type { SessionQuery, SessionSortField } from '../src/core/ports.js';
import { openSqliteStore } from '../src/store/sqlite-store.js';

const { values } = parseArgs({ options: { sessions: { type: 'string', default: '100000' }, runs: { type: 'string', default: '100' }, 'matrix-runs': { type: 'string', default: '10' }, 'no-matrix': { type: 'boolean', default: false } } });
const N = Number(values.sessions);
const RUNS = Number(values.runs);
const MATRIX_RUNS = Number(values['matrix-runs']);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-bench-list-'));
const store = await openSqliteStore(path.join(dir, 'vigil.db'), systemClock);
const db = store.database.db;
const users = Array.from({ length: 200 }, (_, i) => `user${i}`);
const devices = Array.from({ length: 500 }, (_, i) => `srv-${i}`);
const statuses = ['completed', 'completed', 'completed', 'dropped', 'interrupted', 'failed'];
/** Session IDs are random hashes (SPEC section 4): 32 hex digits. */
const sessionIdOf = (i: number) => createHash('sha256').update(String(i)).digest('hex').slice(0, 32);
const t0 = performance.now();
const start = Date.UTC(2026, 0, 1);
for (let base = 0; base < N; base += 1000) {
  const rows = Array.from({ length: Math.min(1000, N - base) }, (_, j) => {
    const i = base + j;
    const at = new Date(start + i * 60_000).toISOString();
    return {
      session_id: sessionIdOf(i), user_id: null, username: users[i % users.length]!, origin_ip: `10.0.${(i >> 8) & 255}.${i & 255}`,
      credential_id: null, credential: `root@${devices[i % devices.length]}`, device_id: null, device: devices[i % devices.length]!, host: 'h:22',
      protocol: i % 10 === 0 ? 'SFTP' : 'SSH', type: 'shell', command: null, status: statuses[i % statuses.length]!, started_at: at, ended_at: at,
      exit_status: 0, bytes_in: 10, bytes_out: 100, end_reason: null, error_message: null, dropped_by: null, recording_path: null,
      recording_size: null, recording_duration: null, recording_sha256: null, prevent_purge: i % 97 === 0 ? 1 : 0, purged_at: null, cols: 80, rows: 24,
    };
  });
  await db.insertInto('sessions').values(rows).execute();
}
const seeded = (performance.now() - t0) / 1000;
// The planner statistics, as a running Vigil has them (database.ts refreshes them at start).
await store.close();
const reopened = await openSqliteStore(path.join(dir, 'vigil.db'), systemClock);

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const pct = (xs: number[], p: number) => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

async function measure(q: SessionQuery, runs: number): Promise<{ wall: number[]; cpu: number[]; total: number }> {
  const wall: number[] = [];
  const cpu: number[] = [];
  let total = 0;
  for (let i = 0; i < runs; i++) {
    const c = cpuMs();
    const t = performance.now();
    total = (await reopened.sessions.query(q)).total;
    wall.push(performance.now() - t);
    cpu.push(cpuMs() - c);
  }
  return { wall, cpu, total };
}

const queries: Array<[string, SessionQuery]> = [
  ['first page, newest first', { page: 1, pageSize: 30 }],
  ['page 1000', { page: 1000, pageSize: 30 }],
  ['filter user (contains)', { user: 'user42', page: 1, pageSize: 30 }],
  ['filter device + status', { device: 'srv-7', status: 'dropped', page: 1, pageSize: 30 }],
  ['start range', { startFrom: new Date(start + 50_000 * 60_000), startTo: new Date(start + 51_000 * 60_000), page: 1, pageSize: 30 }],
  ['prevent purge = yes', { preventPurge: true, page: 1, pageSize: 30 }],
  ['sort by user asc', { sort: 'user', order: 'asc', page: 1, pageSize: 30 }],
];
console.log(`seeded ${N} sessions in ${seeded.toFixed(1)} s (${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(1)})\n`);
console.log(`| query | p50 ms | p99 ms | CPU p50 ms | CPU p99 ms | total rows |`);
console.log('|---|---|---|---|---|---|');
for (const [name, q] of queries) {
  const m = await measure(q, RUNS);
  console.log(`| ${name} | ${pct(m.wall, 50).toFixed(2)} | ${pct(m.wall, 99).toFixed(2)} | ${pct(m.cpu, 50).toFixed(2)} | ${pct(m.cpu, 99).toFixed(2)} | ${m.total} |`);
}

if (!values['no-matrix']) {
  const sid = sessionIdOf(4242);
  // Each contains filter as a selective term, a common one, a short one (1-2 characters: no trigram), one that
  // matches nothing, and LIKE metacharacters; the other filters alone and combined.
  const filters: Array<[string, SessionQuery]> = [
    ['none', {}],
    ['id', { id: 4242 }],
    ['sessionId 8 chars', { sessionId: sid.slice(3, 11) }],
    ['sessionId 3 chars', { sessionId: sid.slice(0, 3) }],
    ['sessionId 2 chars', { sessionId: sid.slice(0, 2) }],
    ['sessionId 1 char', { sessionId: 'a' }],
    ['sessionId no match', { sessionId: 'zzz' }],
    ['user selective', { user: 'user42' }],
    ['user common', { user: 'user' }],
    ['user 2 chars', { user: 'r1' }],
    ['user no match', { user: 'nobody' }],
    ['user "%"', { user: '%' }],
    ['user "_"', { user: '_' }],
    ["user quote", { user: `o'"x` }],
    ['originIp selective', { originIp: '10.0.7.42' }],
    ['originIp common', { originIp: '10.0.1' }],
    ['originIp 1 char', { originIp: '7' }],
    ['originIp 2 chars', { originIp: '.9' }],
    ['credential common', { credential: 'root@' }],
    ['credential selective', { credential: 'root@srv-42' }],
    ['device selective', { device: 'srv-7' }],
    ['device 1 char', { device: '9' }],
    ['protocol', { protocol: 'SFTP' }],
    ['status completed', { status: 'completed' }],
    ['status dropped', { status: 'dropped' }],
    ['prevent purge yes', { preventPurge: true }],
    ['prevent purge no', { preventPurge: false }],
    ['start range (1 day)', { startFrom: new Date(start + 50_000 * 60_000), startTo: new Date(start + 51_440 * 60_000) }],
    ['start range (half)', { startFrom: new Date(start + 50_000 * 60_000) }],
    ['user + status', { user: 'user42', status: 'dropped' }],
    ['user common + status + protocol', { user: 'user', status: 'completed', protocol: 'SSH' }],
    ['device + status + prevent purge no', { device: 'srv-7', status: 'completed', preventPurge: false }],
    ['originIp 1 char + status', { originIp: '7', status: 'failed' }],
    ['sessionId 1 char + user', { sessionId: 'a', user: 'user4' }],
    ['prevent purge yes + status + range', { preventPurge: true, status: 'completed', startFrom: new Date(start + 20_000 * 60_000) }],
    ['credential common + device 1 char + originIp 2 chars', { credential: 'root@', device: '9', originIp: '.9' }],
  ];
  const sorts: SessionSortField[] = ['id', 'sessionId', 'user', 'originIp', 'credential', 'device', 'protocol', 'startedAt', 'endedAt', 'status'];
  const rows: Array<{ label: string; wall: number; cpu50: number; cpu99: number; total: number }> = [];
  for (const [fname, f] of filters) {
    for (const sort of sorts) {
      for (const order of ['asc', 'desc'] as const) {
        for (const page of [1, 50]) {
          const m = await measure({ ...f, sort, order, page, pageSize: 30 }, MATRIX_RUNS);
          rows.push({ label: `${fname} · ${sort} ${order} · page ${page}`, wall: pct(m.wall, 99), cpu50: pct(m.cpu, 50), cpu99: pct(m.cpu, 99), total: m.total });
        }
      }
    }
  }
  rows.sort((a, b) => b.cpu99 - a.cpu99);
  const over = rows.filter((r) => r.wall >= 50).length;
  console.log(`\nMatrix: ${filters.length} filters × ${sorts.length} sorts × asc/desc × pages 1 and 50 = ${rows.length} queries, ${MATRIX_RUNS} runs each.`);
  console.log(`Wall p99 ≥ 50 ms: ${over} of ${rows.length}. CPU p99 over all: median ${pct(rows.map((r) => r.cpu99), 50).toFixed(2)} ms, max ${rows[0]!.cpu99.toFixed(2)} ms.\n`);
  console.log('| the 15 costliest (by CPU p99) | wall p99 ms | CPU p50 ms | CPU p99 ms | total rows |');
  console.log('|---|---|---|---|---|');
  for (const r of rows.slice(0, 15)) console.log(`| ${r.label} | ${r.wall.toFixed(2)} | ${r.cpu50.toFixed(2)} | ${r.cpu99.toFixed(2)} | ${r.total} |`);
}
await reopened.close();
fs.rmSync(dir, { recursive: true, force: true });
