import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { FileRecordingStore } from '../recording/file-recording-store.js';
import { openSqliteStore, type SqliteStore } from '../store/sqlite-store.js';
import type { SessionControl } from './live-session.js';
import { MESSAGES } from './messages.js';
import { SessionHub, type SessionRequest } from './session-hub.js';

const quiet = { info: () => {}, warn: () => {}, error: () => {} };

describe('SessionHub', () => {
  let dir: string;
  let store: SqliteStore;
  let clock: ManualClock;
  let hub: SessionHub;
  let req: SessionRequest;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-hub-'));
    clock = new ManualClock(Date.UTC(2026, 2, 4, 5, 6, 7));
    store = await openSqliteStore(path.join(dir, 'vigil.db'), clock);
    await store.roles.seed([{ name: 'PAM User', permissions: ['PAM.Access.Connect'] }]);
    const alice = await store.users.create({ username: 'alice', passwordHash: null, roles: ['PAM User'] });
    hub = new SessionHub({ sessions: store.sessions, events: store.events, blocks: store.blocks, recordings: new FileRecordingStore({ dir: path.join(dir, 'rec') }), clock, logger: quiet });
    req = {
      user: { id: alice.id, username: 'alice' },
      originIp: '10.0.0.9',
      credential: { id: null, label: 'root' },
      device: { id: null, name: 'web01' },
      host: 'web01.example:22',
      type: 'shell',
      command: null,
      cols: 100,
      rows: 30,
    };
  });
  afterEach(async () => {
    await hub.shutdown();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function control() {
    const seen: string[] = [];
    const c: SessionControl & { seen: string[] } = { seen, notify: (m) => seen.push(`notify:${m}`), disconnect: (m) => seen.push(`disconnect:${m}`) };
    return c;
  }

  it('records a session and stores counters, exit status and the recording summary at the end', async () => {
    const s = await hub.start(req);
    expect((await store.sessions.get(s.id))?.status).toBe('active');
    s.output(Buffer.from('hello\r\n'));
    expect(s.input(Buffer.from('ls\r'))).toBe(true);
    s.resize(120, 40);
    const rec = await s.end({ exitStatus: 3, reason: 'exit status 3' });
    expect(rec).toMatchObject({ status: 'completed', exitStatus: 3, bytesIn: 3, bytesOut: 7, endReason: 'exit status 3' });
    const bytes = fs.readFileSync(rec.recordingPath!);
    expect(rec.recordingSize).toBe(bytes.length);
    expect(bytes.toString()).toContain('"r","120x40"');
    expect(hub.get(s.id)).toBeUndefined();
    expect((await store.events.forSession(s.id)).map((e) => e.event)).toEqual(['Started', 'Terminated']);
  });

  it('stores a failure as a failed session with its reason', async () => {
    const rec = await hub.recordFailure(req, 'host key mismatch for web01');
    expect(rec).toMatchObject({ status: 'failed', endReason: 'host key mismatch for web01', recordingPath: null });
  });

  it('blocks input and new sessions, tells the user, and releases', async () => {
    const s = await hub.start(req);
    const c = control();
    s.attach(c);
    await hub.block(s.id, { userId: null, username: 'secops' });
    expect(s.input(Buffer.from('x'))).toBe(false);
    expect(s.bytesDiscarded).toBe(1);
    expect(await hub.blockMessage(req.user.id)).toBe(MESSAGES.preventedToStart('secops', '2026-03-04 05:06:07 UTC'));
    await hub.unblock(s.id, { userId: null, username: 'secops' });
    expect(s.input(Buffer.from('y'))).toBe(true);
    expect(await hub.blockMessage(req.user.id)).toBeNull();
    expect(c.seen).toEqual([`notify:${MESSAGES.blocked}`, `notify:${MESSAGES.released}`]);
  });

  it('drops through the adapter and keeps the dropped outcome when the adapter ends the session', async () => {
    const s = await hub.start(req);
    const c = control();
    s.attach(c);
    await hub.drop(s.id, { userId: null, username: 'secops' });
    expect(c.seen).toEqual([`disconnect:${MESSAGES.disconnected}`]);
    const rec = await s.end({ exitStatus: 255, reason: 'disconnected by Vigil' });
    expect(rec).toMatchObject({ status: 'dropped', droppedBy: 'secops' });
    await expect(hub.drop(s.id, { userId: null, username: 'secops' })).rejects.toThrow(/not active/);
  });

  it('recovers sessions left active by a crash as interrupted', async () => {
    const s = await hub.start(req);
    s.output(Buffer.from('before the crash\r\n'));
    await s.flushRecorder();
    // A second hub on the same store plays the restarted process.
    const after = new SessionHub({ sessions: store.sessions, events: store.events, blocks: store.blocks, recordings: new FileRecordingStore({ dir: path.join(dir, 'rec') }), clock, logger: quiet });
    expect(await after.recover()).toBe(1);
    const rec = await store.sessions.get(s.id);
    expect(rec).toMatchObject({ status: 'interrupted' });
    expect(rec?.recordingSize).toBe(fs.statSync(rec!.recordingPath!).size);
    await after.shutdown();
  });

  it('saves live counters only for sessions that moved, one transaction a round, and catches up after a busy database', async () => {
    await hub.shutdown();
    hub = new SessionHub({ sessions: store.sessions, events: store.events, blocks: store.blocks, recordings: new FileRecordingStore({ dir: path.join(dir, 'rec') }), clock, logger: quiet, counterIntervalMs: 20 });
    const a = await hub.start(req);
    const b = await hub.start(req);
    const rounds: number[][] = [];
    let busy = false;
    const original = store.sessions.updateCounters.bind(store.sessions);
    store.sessions.updateCounters = async (rows) => {
      rounds.push(rows.map((r) => r.id));
      if (busy) throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
      return original(rows);
    };
    const tick = () => new Promise((r) => setTimeout(r, 60));
    try {
      a.output(Buffer.from('x'));
      b.output(Buffer.from('yy'));
      await tick();
      expect((await store.sessions.get(a.id))?.bytesOut).toBe(1);
      expect((await store.sessions.get(b.id))?.bytesOut).toBe(2);
      // Both sessions in one call (one transaction), not one call each.
      expect(rounds.find((r) => r.length > 0)?.sort()).toEqual([a.id, b.id].sort());
      // Idle: nothing is written again.
      rounds.length = 0;
      await tick();
      expect(rounds).toEqual([]);
      // Busy: the round fails whole and nothing is marked saved.
      a.output(Buffer.from('x'));
      b.output(Buffer.from('y'));
      busy = true;
      await tick();
      expect(rounds.length).toBeGreaterThan(0);
      expect((await store.sessions.get(a.id))?.bytesOut).toBe(1);
      // Once the lock is gone, both catch up.
      busy = false;
      await tick();
      expect((await store.sessions.get(a.id))?.bytesOut).toBe(2);
      expect((await store.sessions.get(b.id))?.bytesOut).toBe(3);
    } finally {
      store.sessions.updateCounters = original;
      await a.end({ exitStatus: 0, reason: null });
      await b.end({ exitStatus: 0, reason: null });
    }
  });

  it('takes a session out of the live list even when storing its end fails', async () => {
    const s = await hub.start(req);
    const original = store.sessions.end.bind(store.sessions);
    store.sessions.end = async () => {
      throw new Error('database is locked');
    };
    try {
      await expect(s.end({ exitStatus: 0, reason: null })).rejects.toThrow('database is locked');
      expect(hub.get(s.id)).toBeUndefined();
    } finally {
      store.sessions.end = original;
    }
  });

  it('adds the default auditors of the settings to every new session, as an Auditors changed event', async () => {
    const bob = await store.users.create({ username: 'bob', passwordHash: null, roles: [] });
    const withPolicy = new SessionHub({
      sessions: store.sessions, events: store.events, blocks: store.blocks, recordings: new FileRecordingStore({ dir: path.join(dir, 'rec2') }), clock, logger: quiet,
      policy: { defaultAuditors: async () => [bob.id], recordingFailure: async () => 'drop' },
    });
    const s = await withPolicy.start(req);
    expect(await store.sessions.auditors(s.id)).toEqual([bob.id]);
    expect((await store.events.forSession(s.id)).map((e) => e.event)).toContain('Auditors changed');
    await s.end({ exitStatus: 0, reason: null });
    await withPolicy.shutdown();
  });

  it('keeps a session whose recording fails going when recording.onFailure is continue, and drops it by default', async () => {
    const failing = { open: async () => ({ path: path.join(dir, 'x.cast'), output() {}, input() {}, resize() {}, onError(cb: (e: Error) => void) { setTimeout(() => cb(new Error('disk full')), 5); }, close: async () => ({ path: '', size: 0, duration: 0, sha256: '' }) }), repair: async () => null };
    for (const policy of ['continue', 'drop'] as const) {
      const h = new SessionHub({ sessions: store.sessions, events: store.events, blocks: store.blocks, recordings: failing, clock, logger: quiet, policy: { defaultAuditors: async () => [], recordingFailure: async () => policy } });
      const s = await h.start(req);
      const c = control();
      s.attach(c);
      await new Promise((r) => setTimeout(r, 30));
      if (policy === 'continue') expect(c.seen).toEqual([]);
      else expect(c.seen).toEqual([`disconnect:${MESSAGES.disconnected}`]);
      await s.end({ exitStatus: 0, reason: null });
      await h.shutdown();
    }
  });
});
