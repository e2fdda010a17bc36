// A data directory for purge tests: a real SQLite store, the purge and the orphan sweep over real files, a manual clock.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { ManualClock } from '../../src/core/clock.js';
import { dataPaths } from '../../src/core/config.js';
import { OrphanSweep } from '../../src/core/orphan-sweep.js';
import { FsPurgeFiles } from '../../src/core/purge-files.js';
import { PurgeService, type PurgeServiceOptions } from '../../src/core/purge-service.js';
import { SettingsService } from '../../src/core/settings-service.js';
import type { SessionStatus } from '../../src/core/types.js';
import { SqlitePurgeRepo } from '../../src/store/purge-repo.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite-store.js';

export const DAY = 86_400_000;
export const NOW = Date.UTC(2026, 5, 1, 12);
export const SYSTEM = { userId: null, name: 'system' };

export interface PurgeFixture {
  dir: string;
  paths: ReturnType<typeof dataPaths>;
  store: SqliteStore;
  repo: SqlitePurgeRepo;
  files: FsPurgeFiles;
  clock: ManualClock;
  settings: SettingsService;
  /** A purge over this directory, without pauses, with these options changed. */
  service(over?: Partial<PurgeServiceOptions>): PurgeService;
  sweep: OrphanSweep;
  /** Closes the store and removes the directory. */
  close(): Promise<void>;
}

/** Opens (or creates, in a new temp directory) a data directory; the clock starts at NOW. */
export async function purgeFixture(dir?: string): Promise<PurgeFixture> {
  dir ??= await mkdtemp(join(tmpdir(), 'vigil-purge-'));
  const paths = dataPaths(dir);
  const clock = new ManualClock(NOW);
  const store = await openSqliteStore(paths.database, clock);
  const repo = new SqlitePurgeRepo(store.database.db, store.search.writer);
  const files = new FsPurgeFiles({ recordingsDir: paths.recordings, videosDir: paths.videos });
  const settings = new SettingsService({ settings: store.settings, audit: store.audit, clock });
  const service = (over: Partial<PurgeServiceOptions> = {}) =>
    new PurgeService({ repo, files, clock, retentionDays: () => settings.retentionDays(), pauseMs: 0, ...over });
  const sweep = new OrphanSweep({ repo, files, audit: store.audit, clock, pauseMs: 0 });
  const close = async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  };
  return { dir, paths, store, repo, files, clock, settings, service, sweep, close };
}

export interface MadeSession {
  id: number;
  sessionId: string;
  files: string[];
}

/** A session row and its files: the recording and, unless `derived` is false, the files derived from it. */
export async function makeSession(
  f: PurgeFixture,
  o: { ageDays: number; status?: SessionStatus; endedAgeDays?: number; protect?: boolean; derived?: boolean },
): Promise<MadeSession> {
  const sessionId = randomBytes(16).toString('hex');
  const startedAt = new Date(f.clock.now().getTime() - o.ageDays * DAY);
  const folder = join(f.paths.recordings, ...startedAt.toISOString().slice(0, 10).split('-'));
  const recordingPath = join(folder, `${sessionId}.cast`);
  const status = o.status ?? 'completed';
  const rec = await f.store.sessions.create({
    sessionId, userId: null, user: 'alice', originIp: '10.0.0.1', credentialId: null, credential: 'root', deviceId: null, device: 'web01',
    host: 'web01:22', protocol: 'SSH', type: 'shell', command: null, status, startedAt, recordingPath, cols: 80, rows: 24,
  });
  if (status !== 'active') {
    const endedAt = new Date(f.clock.now().getTime() - (o.endedAgeDays ?? o.ageDays) * DAY);
    await f.store.sessions.end(rec.id, { status, endedAt, exitStatus: 0, bytesIn: 1, bytesOut: 2, endReason: null, errorMessage: null, recordingSize: 10, recordingDuration: 1, recordingSha256: 'ab'.repeat(32) });
  }
  if (o.protect) await f.store.sessions.setPreventPurge(rec.id, true);
  await mkdir(folder, { recursive: true });
  await mkdir(f.paths.videos, { recursive: true });
  const files = [recordingPath];
  if (o.derived !== false) {
    // Names as src/recording writes them: keyframes (.keys, .kidx), a compressed copy, a video and one being rendered.
    files.push(join(folder, `${sessionId}.keys`), join(folder, `${sessionId}.kidx`), join(folder, `${sessionId}.cast.gz`), join(f.paths.videos, `${sessionId}.mp4`), join(f.paths.videos, `${sessionId}.mp4.part`));
  }
  for (const p of files) await writeFile(p, `data of ${sessionId}\n`);
  return { id: rec.id, sessionId, files };
}

export async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** Every file under `dir`, as sorted relative paths. */
export async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])) {
    if (e.isFile()) out.push(relative(dir, join(e.parentPath, e.name)).split(sep).join('/'));
  }
  return out.sort();
}
