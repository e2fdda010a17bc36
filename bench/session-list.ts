// Remote Sessions list over 100,000 sessions: p50/p99 of the server-side page query (filters, sort, count), as the console asks it.
// Run: npx tsx bench/session-list.ts [sessions]

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { systemClock } from '../src/core/clock.js';
import type { SessionQuery } from '../src/core/ports.js';
import { openSqliteStore } from '../src/store/sqlite-store.js';

const N = Number(process.argv[2] ?? 100_000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-bench-list-'));
const store = await openSqliteStore(path.join(dir, 'vigil.db'), systemClock);
const db = store.database.db;
const users = Array.from({ length: 200 }, (_, i) => `user${i}`);
const devices = Array.from({ length: 500 }, (_, i) => `srv-${i}`);
const statuses = ['completed', 'completed', 'completed', 'dropped', 'interrupted', 'failed'];
const t0 = performance.now();
const start = Date.UTC(2026, 0, 1);
for (let base = 0; base < N; base += 1000) {
  const rows = Array.from({ length: Math.min(1000, N - base) }, (_, j) => {
    const i = base + j;
    const at = new Date(start + i * 60_000).toISOString();
    return {
      session_id: i.toString(16).padStart(32, '0'), user_id: null, username: users[i % users.length]!, origin_ip: `10.0.${(i >> 8) & 255}.${i & 255}`,
      credential_id: null, credential: `root@${devices[i % devices.length]}`, device_id: null, device: devices[i % devices.length]!, host: 'h:22',
      protocol: i % 10 === 0 ? 'SFTP' : 'SSH', type: 'shell', command: null, status: statuses[i % statuses.length]!, started_at: at, ended_at: at,
      exit_status: 0, bytes_in: 10, bytes_out: 100, end_reason: null, error_message: null, dropped_by: null, recording_path: null,
      recording_size: null, recording_duration: null, recording_sha256: null, prevent_purge: i % 97 === 0 ? 1 : 0, purged_at: null, cols: 80, rows: 24,
    };
  });
  await db.insertInto('sessions').values(rows).execute();
}
const seeded = (performance.now() - t0) / 1000;

const queries: Array<[string, SessionQuery]> = [
  ['first page, newest first', { page: 1, pageSize: 30 }],
  ['page 1000', { page: 1000, pageSize: 30 }],
  ['filter user (contains)', { user: 'user42', page: 1, pageSize: 30 }],
  ['filter device + status', { device: 'srv-7', status: 'dropped', page: 1, pageSize: 30 }],
  ['start range', { startFrom: new Date(start + 50_000 * 60_000), startTo: new Date(start + 51_000 * 60_000), page: 1, pageSize: 30 }],
  ['prevent purge = yes', { preventPurge: true, page: 1, pageSize: 30 }],
  ['sort by user asc', { sort: 'user', order: 'asc', page: 1, pageSize: 30 }],
];
const pct = (xs: number[], p: number) => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
console.log(`seeded ${N} sessions in ${seeded.toFixed(1)} s\n`);
console.log('| query | p50 ms | p99 ms | total rows |');
console.log('|---|---|---|---|');
for (const [name, q] of queries) {
  const times: number[] = [];
  let total = 0;
  for (let i = 0; i < 100; i++) {
    const t = performance.now();
    total = (await store.sessions.query(q)).total;
    times.push(performance.now() - t);
  }
  console.log(`| ${name} | ${pct(times, 50).toFixed(2)} | ${pct(times, 99).toFixed(2)} | ${total} |`);
}
await store.close();
fs.rmSync(dir, { recursive: true, force: true });
