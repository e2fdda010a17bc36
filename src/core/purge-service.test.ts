import { spawn } from 'node:child_process';
import { mkdir, symlink, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import type { PurgeFiles, PurgeReport, PurgeRepo, PurgeServiceOptions } from './purge-service.js';
import { DAY, exists, makeSession, NOW, purgeFixture, SYSTEM, tree, type MadeSession, type PurgeFixture } from '../../test/helpers/purge-fixture.js';
import { expectConsistent, filesPurgedEvents, indexed, OUTPUT_LINES, rows, withText } from '../../test/helpers/purge-checks.js';

const open: PurgeFixture[] = [];
afterEach(async () => {
  for (const f of open.splice(0)) await f.close();
});

async function fixture(dir?: string): Promise<PurgeFixture> {
  const f = await purgeFixture(dir);
  open.push(f);
  return f;
}
const session = makeSession;
type Fixture = PurgeFixture;
type Made = MadeSession;

describe('PurgeService', () => {
  it('purges old completed sessions with every derived file, and never active, protected or young ones', async () => {
    const f = await fixture();
    const old = await session(f, { ageDays: 200 });
    const dropped = await session(f, { ageDays: 120, status: 'dropped' });
    const active = await session(f, { ageDays: 200, status: 'active' });
    const protectedOld = await session(f, { ageDays: 300, protect: true });
    const young = await session(f, { ageDays: 10 });
    const longRunning = await session(f, { ageDays: 200, endedAgeDays: 5 });
    // A file of another session in the same folder, whose name starts alike, is not the old session's.
    const neighbour = join(dirname(old.files[0]!), `${old.sessionId}0f.cast`);
    await writeFile(neighbour, 'x');

    const purged: string[] = [];
    const report = await f.service().run({ actor: SYSTEM, onSession: (s) => purged.push(s.sessionId) });

    expect(report).toMatchObject({ dryRun: false, retentionDays: 90, sessions: 2, files: 12, resumed: 0, skipped: 0, failed: 0, aborted: false });
    expect(purged.sort()).toEqual([old.sessionId, dropped.sessionId].sort());
    for (const m of [old, dropped]) for (const p of m.files) expect(await exists(p)).toBe(false);
    for (const m of [active, protectedOld, young, longRunning]) for (const p of m.files) expect(await exists(p)).toBe(true);
    expect(await exists(neighbour)).toBe(true);

    const s = (await f.store.sessions.get(old.id))!;
    expect(s.purgedAt).toEqual(new Date(NOW));
    expect(s.recordingSha256).toBe('ab'.repeat(32)); // metadata stays
    const [event, ...more] = await filesPurgedEvents(f, old.id);
    expect(more).toEqual([]);
    expect(event).toMatchObject({ user: 'system', userId: null });
    expect(event!.note).toContain(`recordings/${old.files[0]!.split('/recordings/')[1]}`);
    expect(event!.note).toContain(`videos/${old.sessionId}.mp4.part`);
    expect(event!.note).toMatch(/6 file\(s\) removed/);
    const audit = await f.store.audit.list();
    expect(audit.filter((a) => a.action === 'session.purge').map((a) => a.target).sort()).toEqual([`session ${old.id}`, `session ${dropped.id}`].sort());
    expect(await f.store.audit.verify()).toEqual([]);
    for (const m of [active, protectedOld, young, longRunning]) expect((await f.store.sessions.get(m.id))!.purgedAt).toBeNull();

    // 100 days later the young and the long-running sessions have expired too; active and protected still stay.
    f.clock.advance(100 * DAY);
    const later = await f.service().run({ actor: SYSTEM });
    expect(later.sessions).toBe(2);
    for (const m of [young, longRunning]) expect((await f.store.sessions.get(m.id))!.purgedAt).not.toBeNull();
    for (const m of [active, protectedOld]) for (const p of m.files) expect(await exists(p)).toBe(true);
    expect((await f.service().run({ actor: SYSTEM })).sessions).toBe(0);
    expect(await filesPurgedEvents(f, old.id)).toHaveLength(1);
  });

  it('follows the retention setting and a per-run override, and refuses a bad one', async () => {
    const f = await fixture();
    const s40 = await session(f, { ageDays: 40, derived: false });
    expect((await f.service().run({ actor: SYSTEM })).sessions).toBe(0);
    await f.settings.set('retention.days', 30, 'admin');
    expect((await f.service().run({ actor: SYSTEM, dryRun: true })).sessions).toBe(1);
    expect((await f.service().run({ actor: SYSTEM, retentionDays: 50 })).sessions).toBe(0);
    await expect(f.service().run({ actor: SYSTEM, retentionDays: 0 })).rejects.toThrow(/1 to 3650/);
    await expect(f.service().run({ actor: SYSTEM, retentionDays: 1.5 })).rejects.toThrow(/1 to 3650/);
    expect((await f.service().run({ actor: SYSTEM })).sessions).toBe(1);
    expect(await exists(s40.files[0]!)).toBe(false);
  });

  it('dry run lists exactly what a real run then removes, and changes nothing', async () => {
    const f = await fixture();
    const made = [await withText(f, { ageDays: 200 }), await session(f, { ageDays: 100, derived: false }), await session(f, { ageDays: 200, protect: true }), await session(f, { ageDays: 1 })];
    const before = { files: await tree(f.dir), rows: await rows(f), audit: await f.store.audit.list(), events: await f.store.events.forSession(made[0]!.id) };
    const planned: Array<{ sessionId: string; files: string[] }> = [];
    const dry = await f.service().run({ actor: SYSTEM, dryRun: true, onSession: (s) => planned.push({ sessionId: s.sessionId, files: [...s.files].sort() }) });
    expect(dry).toMatchObject({ dryRun: true, sessions: 2, files: 7 });
    expect({ files: await tree(f.dir), rows: await rows(f), audit: await f.store.audit.list(), events: await f.store.events.forSession(made[0]!.id) }).toEqual(before);
    expect(await indexed(f, made[0]!)).toEqual({ output: OUTPUT_LINES, commands: 1 });

    const done: Array<{ sessionId: string; files: string[] }> = [];
    await f.service().run({ actor: SYSTEM, onSession: (s) => done.push({ sessionId: s.sessionId, files: [...s.files].sort() }) });
    expect(done).toEqual(planned);
    expect(planned.map((p) => p.sessionId)).toEqual([made[0]!.sessionId, made[1]!.sessionId]);
  });

  it('re-checks protection when claiming: a Prevent Purge arriving mid-run wins', async () => {
    const f = await fixture();
    const made = await Promise.all([0, 1, 2, 3].map(() => session(f, { ageDays: 200 })));
    const target = made[3]!;
    // The run has already read its batch of candidates when the protection commits, just before the claim.
    let first = true;
    const repo: PurgeRepo = Object.assign(Object.create(f.repo) as PurgeRepo, {
      candidates: async (...a: Parameters<PurgeRepo['candidates']>) => {
        const batch = await f.repo.candidates(...a);
        if (first && batch.some((s) => s.id === target.id)) {
          first = false;
          await f.store.sessions.setPreventPurge(target.id, true);
        }
        return batch;
      },
    });
    const report = await f.service({ repo, batchSize: 2 }).run({ actor: SYSTEM });
    expect(report).toMatchObject({ sessions: 3, skipped: 1 });
    for (const p of target.files) expect(await exists(p)).toBe(true);
    const r = (await rows(f)).find((x) => x.id === target.id)!;
    expect(r).toMatchObject({ purged_at: null, purge_started_at: null, prevent_purge: 1 });
    expect(await filesPurgedEvents(f, target.id)).toEqual([]);
  });

  describe('crash safety', () => {
    /** A promise that never settles: the run stops at this point for good, as if the process had been killed. */
    const never = () => new Promise<never>(() => {});

    const points: Array<[string, (f: Fixture, reached: () => void) => Partial<PurgeServiceOptions>]> = [
      ['after a claim, before any file is deleted', (f, reached) => {
        let calls = 0;
        const files: PurgeFiles = Object.assign(Object.create(f.files) as PurgeFiles, {
          list: async (...a: Parameters<PurgeFiles['list']>) => (++calls === 2 ? (reached(), never()) : f.files.list(...a)),
        });
        return { files };
      }],
      ['after 7 files were deleted', (f, reached) => {
        let n = 0;
        const files: PurgeFiles = Object.assign(Object.create(f.files) as PurgeFiles, {
          remove: async (p: string) => (++n > 7 ? (reached(), never()) : f.files.remove(p)),
        });
        return { files };
      }],
      ['while removing their text from the search index', (f, reached) => {
        let calls = 0;
        const repo: PurgeRepo = Object.assign(Object.create(f.repo) as PurgeRepo, {
          forgetText: async (...a: Parameters<PurgeRepo['forgetText']>) => (++calls === 3 ? (reached(), never()) : f.repo.forgetText(...a)),
        });
        return { repo, textChunk: 4 };
      }],
      ['after the files, before they are marked purged', (f, reached) => {
        let calls = 0;
        const repo: PurgeRepo = Object.assign(Object.create(f.repo) as PurgeRepo, {
          finish: async (...a: Parameters<PurgeRepo['finish']>) => (++calls === 2 ? (reached(), never()) : f.repo.finish(...a)),
        });
        return { repo };
      }],
    ];

    for (const [where, inject] of points) {
      it(`killed ${where}: nothing claims missing files, and a rerun finishes with no orphans and one event each`, async () => {
        const f = await fixture();
        const made = await Promise.all(Array.from({ length: 7 }, (_, i) => withText(f, { ageDays: 100 + i })));
        const keep = await withText(f, { ageDays: 100, protect: true });
        let reached!: () => void;
        const stopped = new Promise<void>((r) => (reached = r));
        void f.service({ batchSize: 3, transactionSize: 2, fileConcurrency: 1, ...inject(f, reached) }).run({ actor: SYSTEM });
        await stopped;
        await expectConsistent(f, made, true);

        const report = await f.service().run({ actor: SYSTEM });
        expect(report.resumed).toBeGreaterThan(0);
        expect(report.failed).toBe(0);
        await expectConsistent(f, made, true);
        for (const m of made) {
          expect((await f.store.sessions.get(m.id))!.purgedAt).not.toBeNull();
          expect(await filesPurgedEvents(f, m.id)).toHaveLength(1);
        }
        expect(await indexed(f, keep)).toEqual({ output: OUTPUT_LINES, commands: 1 });
        expect(await tree(f.paths.recordings)).toEqual(keep.files.filter((p) => p.startsWith(f.paths.recordings)).map((p) => relative(f.paths.recordings, p)).sort());
        expect(await f.sweep.run({ actor: SYSTEM, graceMs: 0 })).toMatchObject({ orphans: 0 });
        expect(await f.store.audit.verify()).toEqual([]);
        expect((await f.store.audit.list({ limit: 1000 })).filter((a) => a.action === 'session.purge')).toHaveLength(7);
      });
    }

    it('a file that cannot be deleted leaves only its session claimed; the next run finishes it', async () => {
      const f = await fixture();
      const made = await Promise.all([0, 1, 2].map((i) => session(f, { ageDays: 100 + i })));
      const stuck = made[1]!.files[2]!;
      const files: PurgeFiles = Object.assign(Object.create(f.files) as PurgeFiles, {
        remove: async (p: string) => {
          if (p === stuck) throw Object.assign(new Error('permission denied'), { code: 'EACCES' });
          return f.files.remove(p);
        },
      });
      const report = await f.service({ files }).run({ actor: SYSTEM });
      expect(report).toMatchObject({ sessions: 2, failed: 1, failures: [{ id: made[1]!.id, problem: expect.stringMatching(/cannot remove recordings\/.*\.kidx: EACCES/) }] });
      await expectConsistent(f, made);
      expect((await rows(f)).find((r) => r.id === made[1]!.id)).toMatchObject({ purged_at: null, purge_started_at: new Date(NOW).toISOString() });

      const rerun = await f.service().run({ actor: SYSTEM });
      expect(rerun).toMatchObject({ sessions: 1, resumed: 1, files: 1, failed: 0 });
      const [event] = await filesPurgedEvents(f, made[1]!.id);
      expect(event!.note).toMatch(/finished after an interrupted run; 1 file\(s\) removed now: recordings\/.*\.kidx$/);
      for (const m of made) expect(await filesPurgedEvents(f, m.id)).toHaveLength(1);
    });

    it('survives a real SIGKILL of the process running the purge', async () => {
      const f = await fixture();
      const made = await Promise.all(Array.from({ length: 30 }, (_, i) => withText(f, { ageDays: 100 + i })));
      await f.store.close();
      open.pop();
      const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../../test/helpers/purge-kill-child.ts', import.meta.url)), f.dir], { stdio: ['ignore', 'pipe', 'inherit'] });
      let removed = 0;
      const lines = createInterface({ input: child.stdout! });
      const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_code, signal) => r(signal)));
      for await (const line of lines) {
        if (line.startsWith('removed ') && ++removed === 40) {
          child.kill('SIGKILL');
          break;
        }
      }
      expect(await exited).toBe('SIGKILL');

      const g = await fixture(f.dir);
      await expectConsistent(g, made, true);
      const report = await g.service().run({ actor: SYSTEM });
      expect(report.resumed).toBeGreaterThan(0);
      await expectConsistent(g, made, true);
      for (const m of made) expect(await indexed(g, m)).toEqual({ output: 0, commands: 1 });
      for (const m of made) expect(await filesPurgedEvents(g, m.id)).toHaveLength(1);
      expect(await tree(g.paths.recordings)).toEqual([]);
      expect(await tree(g.paths.videos)).toEqual([]);
    }, 30_000);
  });

  it('removes what purged sessions displayed from the search index, keeps their commands, and leaves other sessions searchable', async () => {
    const f = await fixture();
    const old = await withText(f, { ageDays: 200 });
    const protectedOld = await withText(f, { ageDays: 300, protect: true });
    const young = await withText(f, { ageDays: 10 });
    const active = await withText(f, { ageDays: 200, status: 'active' });
    // Many lines: removed a few at a time, in several transactions.
    await f.store.search.addLines(Array.from({ length: 50 }, (_, i) => ({ sessionId: old.id, offset: 20 + i, kind: 'output' as const, text: `more output ${i} of ${old.sessionId}` })));
    expect(await indexed(f, old)).toEqual({ output: OUTPUT_LINES + 50, commands: 1 });

    const forgets: number[] = [];
    const repo: PurgeRepo = Object.assign(Object.create(f.repo) as PurgeRepo, {
      forgetText: async (...a: Parameters<PurgeRepo['forgetText']>) => {
        const n = await f.repo.forgetText(...a);
        forgets.push(n);
        return n;
      },
    });
    expect(await f.service({ repo, textChunk: 16 }).run({ actor: SYSTEM })).toMatchObject({ sessions: 1, failed: 0 });
    expect(forgets).toEqual([16, 16, 16, 8]);
    expect(await indexed(f, old)).toEqual({ output: 0, commands: 1 });
    expect(await f.store.search.search({ text: 'more output', limit: 100 })).toEqual([]);
    expect((await f.store.search.search({ text: 'typed by', limit: 100 })).map((h) => h.sessionId).sort()).toEqual([old.id, protectedOld.id, young.id, active.id].sort());
    for (const m of [protectedOld, young, active]) expect(await indexed(f, m)).toEqual({ output: OUTPUT_LINES, commands: 1 });

    // A search worker still reading the old recording, or resuming it after a restart, cannot put its text back.
    await f.store.search.addLines([{ sessionId: old.id, offset: 99, kind: 'output', text: `late output of ${old.sessionId}` }]);
    expect(f.store.search.writer.fromRecording(old.id, '/r/old.cast', 4096, false, [{ sessionId: old.id, offset: 100, kind: 'output', text: `resumed output of ${old.sessionId}` }])).toBe(false);
    expect(await indexed(f, old)).toEqual({ output: 0, commands: 1 });
    expect(f.store.search.writer.unfinished()).toEqual([]);
  });

  it('a search index that cannot be written leaves the session claimed, its event unwritten; the next run finishes it', async () => {
    const f = await fixture();
    const m = await withText(f, { ageDays: 200 });
    const repo: PurgeRepo = Object.assign(Object.create(f.repo) as PurgeRepo, {
      forgetText: async () => {
        throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
      },
    });
    expect(await f.service({ repo }).run({ actor: SYSTEM })).toMatchObject({ sessions: 0, failed: 1, failures: [{ id: m.id, problem: 'cannot remove its text from the search index: SQLITE_BUSY' }] });
    await expectConsistent(f, [m], true);
    expect(await filesPurgedEvents(f, m.id)).toEqual([]);
    expect(await f.service().run({ actor: SYSTEM })).toMatchObject({ sessions: 1, resumed: 1, failed: 0 });
    expect(await indexed(f, m)).toEqual({ output: 0, commands: 1 });
  });

  it('removes, once, the text that sessions purged by an earlier version left in the search index', async () => {
    const f = await fixture();
    // Purged before purges cleaned the index: marked purged, files gone, text still searchable.
    const leftovers = await Promise.all(Array.from({ length: 5 }, (_, i) => withText(f, { ageDays: 300 + i, derived: false })));
    for (const m of leftovers) await f.store.sessions.markPurged(m.id, new Date(NOW - DAY));
    const kept = await withText(f, { ageDays: 300, protect: true });
    const young = await withText(f, { ageDays: 1 });
    expect(await indexed(f, leftovers[0]!)).toEqual({ output: OUTPUT_LINES, commands: 1 });

    // A dry run changes nothing, there either.
    await f.service().run({ actor: SYSTEM, dryRun: true });
    expect(await indexed(f, leftovers[0]!)).toEqual({ output: OUTPUT_LINES, commands: 1 });

    const steps: boolean[] = [];
    const repo: PurgeRepo = Object.assign(Object.create(f.repo) as PurgeRepo, {
      forgetLeftoverText: async (limit: number) => {
        const more = await f.repo.forgetLeftoverText(limit);
        steps.push(more);
        return more;
      },
    });
    const report = await f.service({ repo, textChunk: 4 }).run({ actor: SYSTEM });
    expect(report).toMatchObject({ sessions: 0, failed: 0 });
    for (const m of leftovers) expect(await indexed(f, m)).toEqual({ output: 0, commands: 1 });
    for (const m of [kept, young]) expect(await indexed(f, m)).toEqual({ output: OUTPUT_LINES, commands: 1 });
    // 30 lines, 4 a step; then one step to find nothing more. No Files purged event is written again.
    expect(steps.filter(Boolean).length).toBeGreaterThanOrEqual(8);
    expect(steps.at(-1)).toBe(false);
    for (const m of leftovers) expect(await filesPurgedEvents(f, m.id)).toEqual([]);

    // Done for good: a later run does not look again.
    steps.length = 0;
    await f.service({ repo }).run({ actor: SYSTEM });
    expect(steps).toEqual([false]);
  });

  it('two runs at once (the hourly job and a CLI purge) purge each session once', async () => {
    const f = await fixture();
    const made = await Promise.all(Array.from({ length: 12 }, (_, i) => session(f, { ageDays: 100 + i })));
    // The second run starts while the first is deleting its first batch: it resumes that batch as unfinished.
    let second: Promise<PurgeReport> | undefined;
    const files: PurgeFiles = Object.assign(Object.create(f.files) as PurgeFiles, {
      remove: async (p: string) => {
        second ??= f.service({ batchSize: 5 }).run({ actor: { userId: null, name: 'cli:root' } });
        await second;
        return f.files.remove(p);
      },
    });
    const first = await f.service({ files, batchSize: 2 }).run({ actor: SYSTEM });
    const other = await second!;
    expect(other.resumed).toBe(2);
    expect(first.sessions + other.sessions).toBe(12);
    for (const m of made) expect(await filesPurgedEvents(f, m.id)).toHaveLength(1);
    await expectConsistent(f, made);
    expect(await tree(f.paths.recordings)).toEqual([]);
  });

  it('stops between batches when aborted, leaving nothing half done', async () => {
    const f = await fixture();
    const made = await Promise.all(Array.from({ length: 5 }, (_, i) => session(f, { ageDays: 100 + i, derived: false })));
    const ac = new AbortController();
    const report = await f.service({ batchSize: 2 }).run({ actor: SYSTEM, signal: ac.signal, onSession: () => ac.abort() });
    expect(report).toMatchObject({ aborted: true, sessions: 2 });
    await expectConsistent(f, made);
    expect((await rows(f)).filter((r) => r.purge_started_at !== null && r.purged_at === null)).toEqual([]);
  });

  it('never deletes outside the recordings folder', async () => {
    const f = await fixture();
    const m = await session(f, { ageDays: 200, derived: false });
    const outside = join(f.dir, 'elsewhere', `${m.sessionId}.cast`);
    await mkdir(dirname(outside), { recursive: true });
    await writeFile(outside, 'x');
    await f.store.database.db.updateTable('sessions').set({ recording_path: outside }).where('id', '=', m.id).execute();
    const report = await f.service().run({ actor: SYSTEM });
    expect(report).toMatchObject({ sessions: 0, failed: 1, failures: [{ problem: expect.stringMatching(/outside the recordings folder/) }] });
    expect(await exists(outside)).toBe(true);
  });

  it('accepts a recording path that reaches the recordings folder through a symbolic link', async () => {
    const f = await fixture();
    const m = await session(f, { ageDays: 200 });
    const alias = `${f.dir}-alias`;
    await symlink(f.dir, alias);
    try {
      await f.store.database.db.updateTable('sessions').set({ recording_path: join(alias, relative(f.dir, m.files[0]!)) }).where('id', '=', m.id).execute();
      expect(await f.service().run({ actor: SYSTEM })).toMatchObject({ sessions: 1, files: 6, failed: 0 });
      for (const p of m.files) expect(await exists(p)).toBe(false);
    } finally {
      await unlink(alias);
    }
  });
});
