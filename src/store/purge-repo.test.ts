import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import type { SessionStatus } from '../core/types.js';
import { SqlitePurgeRepo } from './purge-repo.js';
import { openSqliteStore, type SqliteStore } from './sqlite-store.js';

const DAY = 86_400_000;
const NOW = new Date(Date.UTC(2026, 5, 1));
const CUTOFF = new Date(NOW.getTime() - 90 * DAY);
const ACTOR = { userId: null, name: 'system' };

let dir: string;
let store: SqliteStore;
let repo: SqlitePurgeRepo;
let n = 0;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-purge-repo-'));
  store = await openSqliteStore(join(dir, 'vigil.db'), new ManualClock(NOW));
  repo = new SqlitePurgeRepo(store.database.db, store.search.writer);
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

async function session(o: { ageDays: number; endedAgeDays?: number; status?: SessionStatus; protect?: boolean; recording?: boolean }): Promise<number> {
  const startedAt = new Date(NOW.getTime() - o.ageDays * DAY);
  const status = o.status ?? 'completed';
  const sessionId = (++n).toString(16).padStart(32, '0');
  const s = await store.sessions.create({
    sessionId, userId: null, user: 'alice', originIp: '10.0.0.1', credentialId: null, credential: 'root', deviceId: null, device: 'web01', host: 'web01:22',
    protocol: 'SSH', type: 'shell', command: null, status, startedAt, recordingPath: o.recording === false ? null : `/data/recordings/${sessionId}.cast`, cols: 80, rows: 24,
  });
  if (status !== 'active') {
    const endedAt = new Date(NOW.getTime() - (o.endedAgeDays ?? o.ageDays) * DAY);
    await store.sessions.end(s.id, { status, endedAt, exitStatus: 0, bytesIn: 0, bytesOut: 0, endReason: null, errorMessage: null, recordingSize: 1, recordingDuration: 1, recordingSha256: 'ff'.repeat(32) });
  }
  if (o.protect) await store.sessions.setPreventPurge(s.id, true);
  return s.id;
}

const finishOf = (id: number) => ({ id, note: `files of ${id}`, target: `session ${id}`, details: JSON.stringify({ id }) });

describe('SqlitePurgeRepo', () => {
  it('offers exactly the completed, unprotected, unpurged sessions with a recording that ended before the cutoff', async () => {
    const old = await session({ ageDays: 200 });
    const failed = await session({ ageDays: 100, status: 'failed' });
    const interrupted = await session({ ageDays: 91, status: 'interrupted' });
    await session({ ageDays: 200, status: 'active' });
    await session({ ageDays: 200, protect: true });
    await session({ ageDays: 200, recording: false });
    await session({ ageDays: 89 });
    await session({ ageDays: 200, endedAgeDays: 10 });
    const purged = await session({ ageDays: 300 });
    expect(await repo.claim([purged], CUTOFF, NOW)).toEqual([purged]);
    await repo.finish([finishOf(purged)], NOW, ACTOR);

    const found = await repo.candidates(CUTOFF, 100);
    // Oldest start first.
    expect(found.map((c) => c.id)).toEqual([old, failed, interrupted]);
    expect(found[0]).toMatchObject({ id: old, sessionId: expect.stringMatching(/^0+1$/), recordingPath: expect.stringMatching(/\.cast$/), startedAt: new Date(NOW.getTime() - 200 * DAY) });
  });

  it('pages candidates by (start, id), including sessions that started in the same millisecond', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 7; i++) ids.push(await session({ ageDays: 100 + (i % 2) }));
    const seen: number[] = [];
    let after: { startedAt: Date; id: number } | undefined;
    for (;;) {
      const page = await repo.candidates(CUTOFF, 3, after);
      if (page.length === 0) break;
      seen.push(...page.map((c) => c.id));
      after = { startedAt: page.at(-1)!.startedAt, id: page.at(-1)!.id };
    }
    expect(seen).toEqual([...ids.filter((_, i) => i % 2 === 1), ...ids.filter((_, i) => i % 2 === 0)]);
  });

  it('claims only sessions that are still candidates when the claim commits', async () => {
    const a = await session({ ageDays: 200 });
    const b = await session({ ageDays: 200 });
    const c = await session({ ageDays: 200 });
    const candidates = (await repo.candidates(CUTOFF, 10)).map((s) => s.id);
    expect(candidates).toEqual([a, b, c]);
    // Between the read and the claim: b is protected, c is claimed by another run.
    await store.sessions.setPreventPurge(b, true);
    expect(await repo.claim([c], CUTOFF, NOW)).toEqual([c]);
    expect(await repo.claim(candidates, CUTOFF, NOW)).toEqual([a]);
    expect(await repo.claim([], CUTOFF, NOW)).toEqual([]);
    expect((await repo.unfinished(10, 0)).map((s) => s.id)).toEqual([a, c]);
    expect((await repo.unfinished(10, a)).map((s) => s.id)).toEqual([c]);
    expect(await repo.candidates(CUTOFF, 10)).toEqual([]);
  });

  it('marks claimed sessions purged once, with one event and one chained audit entry each', async () => {
    const a = await session({ ageDays: 200 });
    const b = await session({ ageDays: 200 });
    const unclaimed = await session({ ageDays: 200 });
    await repo.claim([a, b], CUTOFF, NOW);
    const at = new Date(NOW.getTime() + 1000);

    expect(await repo.finish([finishOf(a), finishOf(b), finishOf(unclaimed)], at, { userId: null, name: 'cli:root' })).toEqual([a, b]);
    expect(await repo.finish([finishOf(a), finishOf(b)], at, ACTOR)).toEqual([]);

    expect((await store.sessions.get(a))!.purgedAt).toEqual(at);
    expect((await store.sessions.get(unclaimed))!.purgedAt).toBeNull();
    const events = (await store.events.forSession(a)).filter((e) => e.event === 'Files purged');
    expect(events).toEqual([{ id: expect.any(Number), sessionId: a, userId: null, user: 'cli:root', at, event: 'Files purged', note: `files of ${a}` }]);
    expect(await store.events.forSession(unclaimed)).not.toContainEqual(expect.objectContaining({ event: 'Files purged' }));
    const audit = await store.audit.list();
    expect(audit.map((e) => [e.action, e.target, e.actor])).toEqual([
      ['session.purge', `session ${b}`, 'cli:root'],
      ['session.purge', `session ${a}`, 'cli:root'],
    ]);
    // Entries appended through the audit repository afterwards extend the same chain.
    await store.audit.append({ at, actor: 'x', action: 'y', target: 'z', details: '{}' });
    expect(await store.audit.verify()).toEqual([]);
    expect(await repo.unfinished(10, 0)).toEqual([]);
  });

  it('tells which Session IDs exist, are being purged or were purged', async () => {
    const a = await session({ ageDays: 200 });
    const b = await session({ ageDays: 200 });
    const c = await session({ ageDays: 200 });
    await repo.claim([b, c], CUTOFF, NOW);
    await repo.finish([finishOf(c)], NOW, ACTOR);
    const ids = await Promise.all([a, b, c].map(async (id) => (await store.sessions.get(id))!.sessionId));
    const known = await repo.known([...ids, 'f'.repeat(32)]);
    expect([...known.entries()].sort()).toEqual([[ids[0], 'present'], [ids[1], 'purging'], [ids[2], 'purged']].sort());
    expect(await repo.known([])).toEqual(new Map());
  });
});
