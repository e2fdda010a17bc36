import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { dataPaths } from '../core/config.js';
import { openAdmin } from '../main.js';
import type { CliIO } from './context.js';
import { runCli } from './index.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1, 12);
let dir: string;

async function vigil(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = {
    stdout: (s) => void (out += s),
    stderr: (s) => void (err += s),
    readStdin: async () => '',
    env: { VIGIL_DATA_DIR: dir },
    waitForStopSignal: () => new Promise(() => {}),
    adminOptions: { passwordHashCost: 1024, clock: new ManualClock(NOW) },
  };
  return { code: await runCli(args, io), out, err };
}

/** A closed session with a recording (and a video) on disk, its size and SHA-256 stored. */
async function session(o: { ageDays: number; protect?: boolean }) {
  const admin = await openAdmin({ dataDir: dir, clock: new ManualClock(NOW) });
  try {
    const sessionId = randomBytes(16).toString('hex');
    const startedAt = new Date(NOW - o.ageDays * DAY);
    const paths = dataPaths(dir);
    const recordingPath = path.join(paths.recordings, ...startedAt.toISOString().slice(0, 10).split('-'), `${sessionId}.cast`);
    const content = Buffer.from(`{"version":2,"width":80,"height":24}\n[0.1,"o","hello ${sessionId}\\r\\n"]\n`);
    fs.mkdirSync(path.dirname(recordingPath), { recursive: true });
    fs.mkdirSync(paths.videos, { recursive: true });
    fs.writeFileSync(recordingPath, content);
    const video = path.join(paths.videos, `${sessionId}.mp4`);
    fs.writeFileSync(video, 'mp4');
    const s = await admin.store.sessions.create({
      sessionId, userId: null, user: 'alice', originIp: '10.0.0.1', credentialId: null, credential: 'root', deviceId: null, device: 'web01', host: 'web01:22',
      protocol: 'SSH', type: 'shell', command: null, status: 'completed', startedAt, recordingPath, cols: 80, rows: 24,
    });
    await admin.store.sessions.end(s.id, {
      status: 'completed', endedAt: startedAt, exitStatus: 0, bytesIn: 0, bytesOut: 0, endReason: null, errorMessage: null,
      recordingSize: content.length, recordingDuration: 0.1, recordingSha256: createHash('sha256').update(content).digest('hex'),
    });
    if (o.protect) await admin.store.sessions.setPreventPurge(s.id, true);
    return { id: s.id, sessionId, recordingPath, video, size: content.length };
  } finally {
    await admin.close();
  }
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-cli-retention-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('vigil purge', () => {
  it('--dry-run prints exactly what would go and changes nothing; the real run removes it and says so', async () => {
    const old = await session({ ageDays: 100 });
    const kept = await session({ ageDays: 100, protect: true });
    const young = await session({ ageDays: 10 });
    const dry = await vigil(['purge', '--dry-run']);
    expect(dry).toMatchObject({ code: 0, err: '' });
    const rel = (p: string) => path.relative(dir, p);
    expect(dry.out).toBe(
      'dry run, nothing changed; retention 90 days: sessions that ended before 2026-03-03 12:00:00Z\n' +
        `session ${old.id} ${old.sessionId} ended 2026-02-21 12:00:00Z: 2 files\n  ${rel(old.recordingPath)}\n  ${rel(old.video)}\n` +
        'would purge 1 session, 2 files\n',
    );
    expect(fs.existsSync(old.recordingPath) && fs.existsSync(old.video)).toBe(true);

    const json = await vigil(['purge', '--dry-run', '--retention-days', '5', '--json']);
    const plan = JSON.parse(json.out) as { dryRun: boolean; sessions: Array<{ id: number; files: string[] }>; totals: { sessions: number } };
    expect(plan).toMatchObject({ dryRun: true, totals: { sessions: 2 } });
    expect(plan.sessions.map((s) => s.id).sort()).toEqual([old.id, young.id].sort());

    const real = await vigil(['purge']);
    expect(real).toMatchObject({ code: 0, err: '', out: 'purged 1 session, 2 files removed; retention 90 days: sessions that ended before 2026-03-03 12:00:00Z\n' });
    expect(fs.existsSync(old.recordingPath) || fs.existsSync(old.video)).toBe(false);
    for (const p of [kept.recordingPath, kept.video, young.recordingPath]) expect(fs.existsSync(p)).toBe(true);
    const listed = JSON.parse((await vigil(['sessions', 'list', '--json'])).out) as Array<{ id: number; purgedAt: string | null }>;
    expect(listed.find((s) => s.id === old.id)!.purgedAt).toBe('2026-06-01T12:00:00.000Z');
    expect((await vigil(['purge'])).out).toMatch(/^purged 0 sessions, 0 files removed/);
  });

  it('refuses bad options with a usage error', async () => {
    expect(await vigil(['purge', '--retention-days', '0'])).toMatchObject({ code: 2, err: expect.stringMatching(/--retention-days must be a whole number from 1 to 3650/) });
    expect(await vigil(['purge', '--dry-run', '--remove-orphans'])).toMatchObject({ code: 2, err: expect.stringMatching(/cannot be used with --dry-run/) });
  });

  it('lists orphan files with --orphans and removes them only with --remove-orphans', async () => {
    const paths = dataPaths(dir);
    fs.mkdirSync(paths.videos, { recursive: true });
    const orphan = path.join(paths.videos, `${'e'.repeat(32)}.mp4`);
    fs.writeFileSync(orphan, 'x');
    // Untouched for two days by the (manual) clock of the run: past the sweep's grace period.
    const old = new Date(NOW - 2 * DAY);
    fs.utimesSync(orphan, old, old);
    const listed = await vigil(['purge', '--orphans']);
    expect(listed.out).toContain(`orphan files: 1 of 1 file scanned\nREASON      REMOVED  FILE\nno-session  no       videos/${'e'.repeat(32)}.mp4\n`);
    expect(fs.existsSync(orphan)).toBe(true);
    const removed = await vigil(['purge', '--remove-orphans']);
    expect(removed.out).toContain('orphan files: 1 of 1 file scanned, 1 removed');
    expect(fs.existsSync(orphan)).toBe(false);
  });
});

describe('vigil settings', () => {
  it('gets and sets typed settings, refusing bad keys and values without changing anything', async () => {
    expect((await vigil(['settings', 'get'])).out).toBe(
      'KEY                  VALUE   DEFAULT\nretention.days       90      90\nauditors.default     []      []\nrecording.onFailure  "drop"  "drop"\nauth.requireTotp     false   false\n',
    );
    expect(await vigil(['settings', 'set', 'retention.days', '30'])).toMatchObject({ code: 0, out: 'retention.days = 30 (was 90)\n' });
    expect(await vigil(['settings', 'set', 'recording.onFailure', 'continue'])).toMatchObject({ code: 0, out: 'recording.onFailure = "continue" (was "drop")\n' });
    expect((await vigil(['settings', 'get', 'retention.days'])).out).toBe('30\n');
    expect(await vigil(['settings', 'set', 'retention.days', '0'])).toMatchObject({ code: 1, err: expect.stringMatching(/^vigil: invalid value for retention\.days: .*>=\s*1/) });
    expect(await vigil(['settings', 'set', 'retention.days', 'ninety'])).toMatchObject({ code: 1, err: expect.stringMatching(/invalid value for retention\.days: .*expected number/) });
    expect(await vigil(['settings', 'set', 'auditors.default', '[99]'])).toMatchObject({ code: 1, err: expect.stringMatching(/no user has id 99/) });
    expect(await vigil(['settings', 'set', 'retention', '5'])).toMatchObject({ code: 1, err: expect.stringMatching(/unknown setting "retention"; settings are retention\.days, auditors\.default, recording\.onFailure, auth\.requireTotp/) });
    expect(await vigil(['settings', 'get', 'nope'])).toMatchObject({ code: 1, err: expect.stringMatching(/unknown setting "nope"/) });
    expect(JSON.parse((await vigil(['settings', 'get', '--json'])).out)).toEqual({ 'retention.days': 30, 'auditors.default': [], 'recording.onFailure': 'continue', 'auth.requireTotp': false });
    const audit = JSON.parse((await vigil(['audit', 'list', '--json'])).out) as Array<{ action: string; target: string }>;
    expect(audit.filter((a) => a.action === 'settings.set').map((a) => a.target)).toEqual(['recording.onFailure', 'retention.days']);
  });
});

describe('vigil recording verify', () => {
  it('says OK for an intact recording, by number or Session ID', async () => {
    const s = await session({ ageDays: 1 });
    const byId = await vigil(['recording', 'verify', String(s.id)]);
    expect(byId).toMatchObject({ code: 0, err: '', out: expect.stringMatching(new RegExp(`^OK session ${s.id} \\(${s.sessionId}\\): .*\\.cast ${s.size} bytes, SHA-256 [0-9a-f]{64}\\n$`)) });
    expect((await vigil(['recording', 'verify', s.sessionId.toUpperCase()])).code).toBe(0);
  });

  it('names a flipped byte, a truncation and a missing file, with exit status 1', async () => {
    const s = await session({ ageDays: 1 });
    const bytes = fs.readFileSync(s.recordingPath);
    bytes[20] ^= 0x01;
    fs.writeFileSync(s.recordingPath, bytes);
    expect(await vigil(['recording', 'verify', String(s.id)])).toMatchObject({ code: 1, out: '', err: expect.stringMatching(/^vigil: session \d+ \([0-9a-f]+\): recording SHA-256 differs: [0-9a-f]{64} on disk, [0-9a-f]{64} expected\n$/) });
    fs.truncateSync(s.recordingPath, s.size - 5);
    expect(await vigil(['recording', 'verify', s.sessionId])).toMatchObject({ code: 1, err: expect.stringMatching(new RegExp(`recording size differs: ${s.size - 5} bytes on disk, ${s.size} expected`)) });
    fs.rmSync(s.recordingPath);
    expect(await vigil(['recording', 'verify', String(s.id)])).toMatchObject({ code: 1, err: expect.stringMatching(/recording file is missing/) });
  });

  it('explains why a session cannot be verified', async () => {
    const s = await session({ ageDays: 200 });
    await vigil(['purge']);
    expect(await vigil(['recording', 'verify', String(s.id)])).toMatchObject({ code: 1, err: expect.stringMatching(/cannot be verified: its recording was purged on 2026-06-01T12:00:00.000Z/) });
    expect(await vigil(['recording', 'verify', '4242'])).toMatchObject({ code: 1, err: 'vigil: session 4242 not found\n' });
    expect(await vigil(['recording', 'verify', '../etc'])).toMatchObject({ code: 2, err: expect.stringMatching(/neither a session number nor a Session ID/) });
  });
});
