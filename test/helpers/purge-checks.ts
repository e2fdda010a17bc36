// Checks the purge tests share: what a purge left in the database, on disk and in the search index.

import { expect } from 'vitest';
import { exists, makeSession, type MadeSession, type PurgeFixture } from './purge-fixture.js';

export async function rows(f: PurgeFixture) {
  return f.store.database.db.selectFrom('sessions').select(['id', 'purged_at', 'purge_started_at', 'prevent_purge', 'recording_sha256']).orderBy('id').execute();
}
export async function filesPurgedEvents(f: PurgeFixture, id: number) {
  return (await f.store.events.forSession(id)).filter((e) => e.event === 'Files purged');
}

/** Lines of output and commands each session made by {@link withText} has in the search index. */
export const OUTPUT_LINES = 6;

/** A session as {@link makeSession} makes it, with what it displayed and one command in the search index (as the search worker indexes them). */
export async function withText(f: PurgeFixture, o: Parameters<typeof makeSession>[1]): Promise<MadeSession> {
  const m = await makeSession(f, o);
  await f.store.search.addLines([
    ...Array.from({ length: OUTPUT_LINES }, (_, i) => ({ sessionId: m.id, offset: i, kind: 'output' as const, text: `shown by ${m.sessionId} line ${i}` })),
    { sessionId: m.id, offset: 9, kind: 'command', text: `typed by ${m.sessionId}` },
  ]);
  return m;
}

/** What the search index holds of a session, as the search answers: its output lines and its commands. */
export async function indexed(f: PurgeFixture, m: MadeSession): Promise<{ output: number; commands: number }> {
  const hits = await f.store.search.search({ text: m.sessionId, sessionId: m.id, limit: 100 });
  return { output: hits.filter((h) => h.kind === 'output').length, commands: hits.filter((h) => h.kind === 'command').length };
}

/**
 * After any run, finished or not: a session whose files or indexed text are (partly) gone says so; no file and no
 * indexed output line outlives its purged session, and its commands stay. `text` when the sessions were made withText.
 */
export async function expectConsistent(f: PurgeFixture, made: MadeSession[], text = false): Promise<void> {
  const byId = new Map((await rows(f)).map((r) => [r.id, r]));
  for (const m of made) {
    const r = byId.get(m.id)!;
    const present = await Promise.all(m.files.map(exists));
    if (present.some((p) => !p)) expect(r.purge_started_at ?? r.purged_at, `session ${m.id} lost files without saying so`).not.toBeNull();
    if (r.purged_at !== null) expect(present.some(Boolean), `session ${m.id} purged but files remain`).toBe(false);
    if (!text) continue;
    const { output, commands } = await indexed(f, m);
    if (output < OUTPUT_LINES) expect(r.purge_started_at ?? r.purged_at, `session ${m.id} lost indexed text without saying so`).not.toBeNull();
    if (r.purged_at !== null) expect(output, `session ${m.id} purged but its text is still searchable`).toBe(0);
    expect(commands, `session ${m.id} lost its command`).toBe(1);
  }
}
