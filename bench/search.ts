// Search across sessions: (A) what indexing displayed lines costs while a session runs: the search worker thread
// reads a recording being written and indexes it (TextLines, dedupe, FTS5), per MB of terminal output, and what
// the relay's thread feels meanwhile (event-loop delay); (B) query times over many sessions' text through the same
// service the API uses (SessionLogs.searchAll: FTS5 word index, substring check, visibility filter).
// Run: npx tsx bench/search.ts [--sessions N] [--kb K] [--live-mb M] [--runs R] [--dir DIR] [--data DIR] [--no-live]
// The scale is 10,000 sessions / 5 GB; the default is 10,000 sessions × 100 KB (1 GB) — see the printed note.
// --data DIR keeps the loaded sessions there and reuses them on the next run with the same --sessions and --kb (the
// load takes minutes: the full size, --sessions 10000 --kb 500, took 28 min at 3 MB/s and made a 13 GB search.db on
// the 2-core machine under load; FTS5's tokenizing and merging are most of it). Wall time and this process's CPU time are both shown: on a shared machine the wall p99 mostly
// measures the other processes.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ManualClock } from '../src/core/clock.js';
import { PERMISSIONS, type Actor, type Permission } from '../src/core/permissions.js';
import { SessionLogs } from '../src/core/session-logs.js';
import type { IndexedLine } from '../src/core/session-logs.js';
import { SearchFollower } from '../src/hub/commands/search-follower.js';
import { openSearchDb, SearchTextWriter } from '../src/store/search-index.js';
import { openSqliteStore, searchDbPath, type SqliteStore } from '../src/store/sqlite-store.js';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pino from 'pino';

const { values } = parseArgs({ options: { sessions: { type: 'string', default: '10000' }, kb: { type: 'string', default: '100' }, 'live-mb': { type: 'string', default: '64' }, runs: { type: 'string', default: '60' }, dir: { type: 'string' }, data: { type: 'string' }, 'no-live': { type: 'boolean', default: false } } });
const SESSIONS = Number(values.sessions);
const KB = Number(values.kb);
const LIVE_MB = Number(values['live-mb']);
const RUNS = Number(values.runs);

/**
 * A deterministic generator of log-like terminal lines: services, paths, ids, numbers, a vocabulary of 4,000 words.
 * Written for speed (5 GB of it for the scale) but the same text as before for the same seed: the same calls
 * of rnd() in the same order, `(rnd() * k) | 0` for Math.floor (the values are below 2^31).
 */
function lineSource(seed: number) {
  let x = seed >>> 0 || 1;
  const rnd = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), (x >>> 0) / 4294967296);
  const vocab = Array.from({ length: 4000 }, (_, i) => `w${i.toString(36)}${'aeiou'[i % 5]}${'rstln'[(i >> 3) % 5]}`);
  const services = ['nginx', 'sshd', 'postgres', 'kernel', 'systemd', 'cron', 'dockerd', 'app'];
  const verbs = ['GET', 'POST', 'PUT', 'DELETE'];
  const statuses = [200, 200, 200, 404, 500];
  const exts = ['log', 'conf', 'txt', 'gz'];
  const minutes = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
  const words = ['permission denied', 'configuration file', 'connection reset', 'started', 'stopped', 'timeout', 'ok', 'error'];
  const word = () => vocab[(rnd() * 4000) | 0];
  return (): string => {
    const n = (rnd() * 4) | 0;
    if (n === 0) {
      const service = services[(rnd() * 8) | 0];
      const pid = (rnd() * 60000) | 0;
      const verb = verbs[(rnd() * 4) | 0];
      const route = word();
      const id = (rnd() * 1e6) | 0;
      const status = statuses[(rnd() * 5) | 0];
      return `${service}[${pid}]: ${verb} /api/v1/${route}/${id} ${status} ${(rnd() * 2).toFixed(3)}s`;
    }
    if (n === 1) {
      const size = (rnd() * 1e7) | 0;
      const minute = minutes[(rnd() * 60) | 0];
      const file = word();
      return `-rw-r--r-- 1 root root ${size} Mar  1 09:${minute} ${file}.${exts[(rnd() * 4) | 0]}`;
    }
    if (n === 2) {
      const service = services[(rnd() * 8) | 0];
      const what = words[(rnd() * 8) | 0];
      const a = word();
      const b = word();
      const c = word();
      return `${service}: ${what} ${a} ${b} ${c} (${Math.floor(rnd() * 1e9).toString(16)})`;
    }
    const count = 6 + ((rnd() * 8) | 0);
    let line = word();
    for (let i = 1; i < count; i++) line += ' ' + word();
    return line;
  };
}

const ms = (ns: number) => (ns / 1e6).toFixed(1);

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function openStore(dir: string): Promise<SqliteStore> {
  return openSqliteStore(path.join(dir, 'vigil.db'), new ManualClock(Date.UTC(2026, 2, 1)));
}

async function newSession(store: SqliteStore, n: number, started: Date) {
  return store.sessions.create({
    sessionId: n.toString(16).padStart(32, '0'), userId: null, user: `user${n % 50}`, originIp: '192.0.2.1', credentialId: null, credential: 'root', deviceId: null,
    device: `web${n % 200}`, host: 'h:22', protocol: 'SSH', type: 'shell', command: null, status: 'completed', startedAt: started, recordingPath: null, cols: 80, rows: 24,
  });
}

/** (A) A recording of colourful terminal output, written while the worker follows it; CPU per MB, and the main thread's event-loop delay meanwhile. */
async function liveCost(dir: string): Promise<Record<string, string>> {
  const store = await openStore(dir);
  const s = await newSession(store, 1, new Date(Date.UTC(2026, 2, 1)));
  const cast = path.join(dir, 'live.cast');
  const next = lineSource(7);
  const fd = fs.openSync(cast, 'w');
  fs.writeSync(fd, JSON.stringify({ version: 2, width: 80, height: 24 }) + '\n');
  let bytes = 0;
  let t = 0;
  /** The recorder's pace: a 16 KiB event, as one JSON line, every turn of the event loop; returns the loop's delay meanwhile. */
  const write = async (megabytes: number) => {
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    let n = 0;
    while (n < megabytes * 1e6) {
      let text = '';
      while (text.length < 16 * 1024) text += `\x1b[32m${next()}\x1b[0m\r\n`;
      fs.writeSync(fd, JSON.stringify([(t += 0.01), 'o', text]) + '\n');
      n += Buffer.byteLength(text);
      await new Promise((r) => setImmediate(r));
    }
    delay.disable();
    return { n, delay };
  };
  // Baseline: the same writing, nobody indexing yet (the worker indexes these bytes too, from the file's start).
  const baseline = await write(LIVE_MB / 4);
  const idle = baseline.delay;
  const follower = SearchFollower.start({ file: searchDbPath(path.join(dir, 'vigil.db')), maxIndexedBytes: Infinity }, pino({ level: 'silent' }));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  follower.follow(s.id, cast);
  const { n: written, delay } = await write(LIVE_MB);
  bytes = baseline.n + written;
  const writtenSec = (performance.now() - t0) / 1000;
  fs.closeSync(fd);
  follower.ended(s.id, 0);
  await follower.flush();
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSec = (cpu.user + cpu.system) / 1e6;
  await follower.stop();
  const found = (await store.search.search({ text: 'permission denied', limit: 1 })).length;
  await store.close();
  const dbMb = fs.statSync(searchDbPath(path.join(dir, 'vigil.db'))).size / 1e6;
  if (found !== 1) throw new Error('the indexed text was not found');
  return {
    'output recorded and indexed': `${(bytes / 1e6).toFixed(0)} MB`,
    'CPU per MB of output (both threads)': `${((cpuSec * 1000) / (bytes / 1e6)).toFixed(0)} ms`,
    'indexing throughput': `${(bytes / 1e6 / wall).toFixed(1)} MB/s (recording written in ${writtenSec.toFixed(1)} s, indexed by ${wall.toFixed(1)} s)`,
    "writer thread's event-loop delay, p50 / p99 / max: nobody indexing": `${ms(idle.percentile(50))} / ${ms(idle.percentile(99))} / ${ms(idle.max)} ms`,
    "writer thread's event-loop delay, p50 / p99 / max: worker indexing": `${ms(delay.percentile(50))} / ${ms(delay.percentile(99))} / ${ms(delay.max)} ms`,
    'search.db size per MB of output': `${(dbMb / (bytes / 1e6)).toFixed(2)} MB`,
  };
}

/** (B) Many sessions' text, then the API's search path, as an administrator (View) and as an auditor of 1% of sessions. */
async function queries(dir: string): Promise<{ load: Record<string, string>; table: string[][] }> {
  const loadedMark = path.join(dir, `loaded-${SESSIONS}x${KB}`);
  const reuse = fs.existsSync(loadedMark);
  const store = await openStore(dir);
  const load = reuse ? { bytes: Number(fs.readFileSync(loadedMark, 'utf8')), seconds: NaN } : await loadSessions(store, dir);
  if (!reuse) fs.writeFileSync(loadedMark, String(load.bytes));
  const auditor = (await store.users.byName('aud'))!;
  const dbMb = fs.statSync(searchDbPath(path.join(dir, 'vigil.db'))).size / 1e6;
  const logs = new SessionLogs({ sessions: store.sessions, events: store.events, eventSink: { event: async () => undefined }, commands: store.commands, index: store.search, recordings: { search: async () => null }, clock: new ManualClock() });
  const admin: Actor = { userId: 1, username: 'admin', roles: ['System Administrator'], permissions: new Set<Permission>(PERMISSIONS) };
  const aud: Actor = { userId: auditor.id, username: 'aud', roles: [], permissions: new Set<Permission>() };
  const cases: Array<[string, Actor, string]> = [
    ['rare word (1 session)', admin, 'zqxjvk'],
    ['phrase, common', admin, 'permission denied'],
    ['word in most lines', admin, 'GET'],
    ['prefix', admin, 'configurat'],
    ['short prefix (as typed so far)', admin, 'w1'],
    ['path', admin, '/api/v1'],
    ['no match', admin, 'nothingmatchesthis'],
    ['auditor (1% of sessions), common phrase', aud, 'connection reset'],
    ['auditor, rare word', aud, 'zqxjvk'],
  ];
  const cpuMs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const table: string[][] = [];
  for (const [label, actor, q] of cases) {
    const times: number[] = [];
    const cpu: number[] = [];
    let found = 0;
    let truncated = false;
    for (let i = 0; i < RUNS; i++) {
      const c = cpuMs();
      const t = performance.now();
      const r = await logs.searchAll(actor, q);
      times.push(performance.now() - t);
      cpu.push(cpuMs() - c);
      found = r.sessions.length;
      truncated = r.truncated;
    }
    times.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    table.push([label, `"${q}"`, `${found}${truncated ? '+' : ''}`, pct(times, 50).toFixed(1), pct(times, 99).toFixed(1), pct(cpu, 50).toFixed(1), pct(cpu, 99).toFixed(1)]);
  }
  await store.close();
  return {
    load: {
      sessions: String(SESSIONS),
      'text indexed': `${(load.bytes / 1e6).toFixed(0)} MB (${KB} KB a session)`,
      'load time': reuse ? 'reused from --data' : `${load.seconds.toFixed(0)} s (${(load.bytes / 1e6 / load.seconds).toFixed(1)} MB/s)`,
      'search.db size': `${dbMb.toFixed(0)} MB`,
    },
    table,
  };
}

/**
 * Sessions, their auditor (every 100th session), and their text, written as the search worker writes it: the same
 * file, tables, tokenizer and SearchTextWriter. A session's text goes in one transaction (the worker commits 512 KB
 * of recording at a time). The generated lines of a session are all distinct, so the worker's dedupe would drop none.
 * Bench-only, for the bulk load's speed: no fsync (synchronous=OFF; a crash mid-load means loading again) and a
 * larger page cache for FTS5's merges; neither changes what is stored.
 */
async function loadSessions(store: SqliteStore, dir: string): Promise<{ bytes: number; seconds: number }> {
  const db = openSearchDb(searchDbPath(path.join(dir, 'vigil.db')));
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');
  const writer = new SearchTextWriter(db);
  const auditor = await store.users.create({ username: 'aud', passwordHash: null, roles: [] });
  const next = lineSource(11);
  const t0 = performance.now();
  let bytes = 0;
  const base = Date.UTC(2026, 0, 1);
  const marker = Math.floor(SESSIONS / 2);
  for (let n = 1; n <= SESSIONS; n++) {
    const s = await newSession(store, n, new Date(base + n * 60_000));
    if (n % 100 === 0) await store.sessions.setAuditors(s.id, [auditor.id]);
    const batch: IndexedLine[] = [];
    let size = 0;
    while (size < KB * 1000) {
      const text = n === marker && size === 0 ? 'unique marker zqxjvk found here' : next();
      size += text.length + 2;
      batch.push({ sessionId: s.id, offset: size / 1000, kind: 'output', text });
    }
    writer.insert(batch);
    bytes += size;
    if (n % 1000 === 0) process.stderr.write(`  loaded ${n} sessions, ${(bytes / 1e6).toFixed(0)} MB, ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  }
  db.close();
  return { bytes, seconds: (performance.now() - t0) / 1000 };
}

const dir = fs.mkdtempSync(path.join(values.dir ?? os.tmpdir(), 'vigil-bench-search-'));
try {
  console.log(`# Search benchmark (${os.cpus().length} cores, Node ${process.version}, load average ${os.loadavg()[0]!.toFixed(1)})\n`);
  if (!values['no-live']) {
    const live = await liveCost(fs.mkdtempSync(path.join(dir, 'live-')));
    console.log('## A. Indexing displayed lines during a session (search worker thread, following the recording)\n');
    console.log('| measure | value |\n|---|---|');
    for (const [k, v] of Object.entries(live)) console.log(`| ${k} | ${v} |`);
  }
  console.log('\n## B. Queries over many sessions (SessionLogs.searchAll, as GET /search runs it)\n');
  if (values.data) fs.mkdirSync(values.data, { recursive: true });
  const q = await queries(values.data ?? fs.mkdtempSync(path.join(dir, 'query-')));
  console.log('| measure | value |\n|---|---|');
  for (const [k, v] of Object.entries(q.load)) console.log(`| ${k} | ${v} |`);
  console.log(`\n| query | q | sessions found (+: truncated) | p50 ms | p99 ms | CPU p50 ms | CPU p99 ms (${RUNS} runs) |\n|---|---|---|---|---|---|---|`);
  for (const row of q.table) console.log(`| ${row.join(' | ')} |`);
  if (SESSIONS * KB < 5e6) console.log(`\nScaled down from 10,000 sessions / 5 GB to ${SESSIONS} sessions / ${((SESSIONS * KB) / 1e6).toFixed(1)} GB (run with --sessions 10000 --kb 500 for the full size).`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
