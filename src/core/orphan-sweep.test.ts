import { utimes, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OrphanSweep } from './orphan-sweep.js';
import { DAY, exists, makeSession, purgeFixture, SYSTEM, type PurgeFixture } from '../../test/helpers/purge-fixture.js';

const open: PurgeFixture[] = [];
afterEach(async () => {
  for (const f of open.splice(0)) await f.close();
});

describe('OrphanSweep', () => {
  it('sweeps orphan files: reports them, and removes them only when asked', async () => {
    const f = await purgeFixture();
    open.push(f);
    f.clock.set(Date.now());
    const live = await makeSession(f, { ageDays: 1 });
    const gone = await makeSession(f, { ageDays: 200 });
    await f.service().run({ actor: SYSTEM });
    const folder = dirname(live.files[0]!);
    const noRow = join(folder, `${'c'.repeat(32)}.cast`);
    const leftover = join(f.paths.videos, `${gone.sessionId}.mp4`); // e.g. a video finished after the purge
    const fresh = join(folder, `${'d'.repeat(32)}.cast`); // a session being opened right now
    const odd = join(folder, 'notes.txt');
    for (const p of [noRow, leftover, fresh, odd]) await writeFile(p, 'x');
    const old = new Date(Date.now() - 2 * DAY);
    for (const p of [noRow, leftover, odd, ...live.files]) await utimes(p, old, old);

    const seen: string[] = [];
    const dry = await f.sweep.run({ actor: SYSTEM, onFile: (o) => seen.push(`${o.reason} ${o.path} ${o.removed}`) });
    expect(dry).toMatchObject({ orphans: 3, removed: 0 });
    expect(seen.sort()).toEqual(
      [`no-session ${relative(f.dir, noRow)} false`, `purged-session videos/${gone.sessionId}.mp4 false`, `unrecognised ${relative(f.dir, odd)} false`].sort(),
    );
    for (const p of [noRow, leftover, fresh, odd]) expect(await exists(p)).toBe(true);

    const auditBefore = (await f.store.audit.list()).length;
    const real = await f.sweep.run({ actor: { userId: null, name: 'cli:root' }, remove: true });
    expect(real).toMatchObject({ orphans: 3, removed: 2, failures: [] });
    expect(await exists(noRow)).toBe(false);
    expect(await exists(leftover)).toBe(false);
    for (const p of [fresh, odd, ...live.files]) expect(await exists(p)).toBe(true);
    const [entry] = await f.store.audit.list({ limit: 1 });
    expect((await f.store.audit.list()).length).toBe(auditBefore + 1);
    expect(entry).toMatchObject({ actor: 'cli:root', action: 'recordings.orphans.remove' });
  });

  it('leaves alone the files of sessions being purged, and reports files it cannot remove', async () => {
    const f = await purgeFixture();
    open.push(f);
    f.clock.set(Date.now());
    const claimed = await makeSession(f, { ageDays: 200, derived: false });
    await f.repo.claim([claimed.id], new Date(Date.now() - 90 * DAY), f.clock.now());
    const noRow = join(f.paths.videos, `${'a'.repeat(32)}.mp4`);
    await writeFile(noRow, 'x');
    const old = new Date(Date.now() - 2 * DAY);
    for (const p of [noRow, ...claimed.files]) await utimes(p, old, old);
    const files = Object.assign(Object.create(f.files) as typeof f.files, {
      remove: async () => {
        throw Object.assign(new Error('busy'), { code: 'EBUSY' });
      },
    });
    const sweep = new OrphanSweep({ repo: f.repo, files, audit: f.store.audit, clock: f.clock, pauseMs: 0 });
    const report = await sweep.run({ actor: SYSTEM, remove: true });
    expect(report).toEqual({ scanned: 2, orphans: 1, removed: 0, failures: [{ path: `videos/${'a'.repeat(32)}.mp4`, problem: 'EBUSY' }] });
    expect(await exists(claimed.files[0]!)).toBe(true);
    expect(await f.store.audit.list()).toEqual([]);
  });
});
