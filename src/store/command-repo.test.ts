import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { parseScope } from '../core/command-rules.js';
import { isVigilError } from '../core/errors.js';
import type { SessionRecord } from '../core/types.js';
import { SqliteAuditNoteRepo } from './audit-note-repo.js';
import { SqliteCommandRepo } from './command-repo.js';
import { SqliteRuleRepo } from './rule-repo.js';
import { openSqliteStore, type SqliteStore } from './sqlite-store.js';

let dir: string;
let store: SqliteStore;
let commands: SqliteCommandRepo;
let s1: SessionRecord;
let s2: SessionRecord;
const t0 = new Date(Date.UTC(2026, 2, 1, 9));

async function session(n: number): Promise<SessionRecord> {
  return store.sessions.create({
    sessionId: String(n).padStart(32, '0'), userId: null, user: 'alice', originIp: '192.0.2.1', credentialId: null, credential: 'root@web01', deviceId: null,
    device: 'web01', host: 'h:22', protocol: 'SSH', type: 'shell', command: null, status: 'completed', startedAt: new Date(t0.getTime() + n * 1000), recordingPath: null, cols: 80, rows: 24,
  });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-cmd-'));
  store = await openSqliteStore(path.join(dir, 'vigil.db'), new ManualClock());
  commands = new SqliteCommandRepo(store.database.db);
  s1 = await session(1);
  s2 = await session(2);
});
afterAll(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('SqliteCommandRepo', () => {
  it('stores commands in order with their rule, and their output later', async () => {
    const a = await commands.add({ sessionId: s1.id, at: t0, offset: 1.5, command: 'ls -la', source: 'shell', outcome: 'executed', ruleName: null, criticality: null, action: null });
    await commands.add({ sessionId: s1.id, at: t0, offset: 3, command: 'rm -rf /', source: 'shell', outcome: 'denied', ruleName: 'no-rm', criticality: 'high', action: 'deny' });
    await commands.setOutput(a, 'total 0');
    const list = await commands.forSession(s1.id);
    expect(list).toMatchObject([
      { command: 'ls -la', offset: 1.5, output: 'total 0', outcome: 'executed', ruleName: null },
      { command: 'rm -rf /', outcome: 'denied', ruleName: 'no-rm', criticality: 'high', action: 'deny', output: null },
    ]);
    expect(await commands.forSession(s2.id)).toEqual([]);
  });
});

describe('SqliteRuleRepo and SqliteAuditNoteRepo', () => {
  it('keeps rules with their scope; names are unique', async () => {
    const rules = new SqliteRuleRepo(store.database.db);
    const r = await rules.create({ name: 'no-rm', pattern: '^rm', scope: parseScope('credential:root@web01'), criticality: 'high', action: 'deny', createdAt: t0, createdBy: 'admin' });
    expect(await rules.byName('no-rm')).toEqual(r);
    await expect(rules.create({ ...r, scope: parseScope('global') })).rejects.toSatisfy((e) => isVigilError(e, 'Conflict'));
    expect(await rules.list()).toHaveLength(1);
    expect(await rules.remove('no-rm')).toBe(true);
    expect(await rules.remove('no-rm')).toBe(false);
  });

  it('keeps comments and one audited mark per auditor', async () => {
    const notes = new SqliteAuditNoteRepo(store.database.db);
    await notes.addComment({ sessionId: s1.id, userId: 5, username: 'carol', at: t0, text: 'looks fine' });
    expect(await notes.comments(s1.id)).toMatchObject([{ username: 'carol', text: 'looks fine' }]);
    expect(await notes.markAudited(s1.id, 5, t0)).toBe(true);
    expect(await notes.markAudited(s1.id, 5, t0)).toBe(false);
    expect(await notes.audits(s1.id)).toEqual([{ userId: 5, at: t0 }]);
    expect([...(await notes.auditedBy(5, [s1.id, s2.id])).keys()]).toEqual([s1.id]);
  });
});
