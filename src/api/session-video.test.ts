// Session Video through the API: who may read recordings, raw download with Range and SHA-256, the player's reads, and the MP4 job.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SessionRecord } from '../core/types.js';
import { compressCast } from '../recording/cast-compress.js';
import { createHarness, type Harness } from '../../test/helpers/api-harness.js';
import { writeInteractiveCast } from '../../test/helpers/synthetic-cast.js';
import { requireTool } from '../../test/helpers/tools.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.close();
});

const events = async (id: number) => (await h.store.events.forSession(id)).map((e) => `${e.user}:${e.event}:${e.note}`);

/** A completed session whose recording is a synthetic interactive session of `seconds`. */
async function sessionWithCast(seconds: number): Promise<SessionRecord> {
  const { live } = await h.startSession();
  const rec = await live.end({ exitStatus: 0, reason: 'exit' });
  fs.rmSync(rec.recordingPath!);
  writeInteractiveCast(rec.recordingPath!, { seconds });
  return rec;
}

describe('who may use Session Video', () => {
  it('needs the Recording permission and a viewing role, a completed session, and a recording', async () => {
    const s = await sessionWithCast(60);
    const paths = ['recording', 'player', 'player/chunk?t=0', 'video'];
    for (const p of paths) {
      expect((await h.inject('GET', `/api/v1/sessions/${s.id}/${p}`, await h.token('user'))).statusCode, p).toBe(403);
      expect((await h.inject('GET', `/api/v1/sessions/${s.id}/${p}`, null)).statusCode, p).toBe(401);
      expect((await h.inject('GET', `/api/v1/sessions/999999/${p}`, await h.token('auditor'))).statusCode, p).toBe(404);
    }
    expect((await h.inject('POST', `/api/v1/sessions/${s.id}/video`, await h.token('user'))).statusCode).toBe(403);
    // An auditor of the session without the permission sees its logs, not its video.
    await h.store.sessions.setAuditors(s.id, [h.users.user.id]);
    expect((await h.inject('GET', `/api/v1/sessions/${s.id}/player`, await h.token('user'))).statusCode).toBe(403);
    for (const who of ['auditor', 'pamadmin', 'sysadmin'] as const) {
      expect((await h.inject('GET', `/api/v1/sessions/${s.id}/player`, await h.token(who))).statusCode, who).toBe(200);
    }
    const { live } = await h.startSession();
    for (const p of paths) expect((await h.inject('GET', `/api/v1/sessions/${live.id}/${p}`, await h.token('auditor'))).statusCode, p).toBe(409);
    await h.store.sessions.markPurged(s.id, h.clock.now());
    const purged = await h.inject('GET', `/api/v1/sessions/${s.id}/recording`, await h.token('auditor'));
    expect(purged.statusCode).toBe(404);
    expect(purged.json().detail).toMatch(/purged/);
  });
});

describe('raw recording', () => {
  it('serves the .cast with its stored SHA-256, honours Range, and logs one Video Download per download', async () => {
    const { live } = await h.startSession();
    live.output(Buffer.from('hello \x1b[31mred\x1b[0m world\r\n'));
    live.resize(100, 30);
    live.output(Buffer.from('more output\r\n'));
    const s = await live.end({ exitStatus: 0, reason: 'exit' });
    const token = await h.token('auditor');
    const full = await h.inject('GET', `/api/v1/sessions/${s.id}/recording`, token);
    expect(full.statusCode).toBe(200);
    const body = full.rawPayload;
    expect(body.equals(fs.readFileSync(s.recordingPath!))).toBe(true);
    expect(createHash('sha256').update(body).digest('hex')).toBe(s.recordingSha256);
    expect(full.headers).toMatchObject({
      'x-vigil-sha256': s.recordingSha256,
      'digest': `sha-256=${Buffer.from(s.recordingSha256!, 'hex').toString('base64')}`,
      'accept-ranges': 'bytes',
      'content-type': 'application/x-asciicast',
      'content-disposition': `attachment; filename="session-${s.id}-${s.sessionId}.cast"`,
    });
    const part = await h.app.inject({ method: 'GET', url: `/api/v1/sessions/${s.id}/recording`, headers: { authorization: `Bearer ${token}`, range: 'bytes=10-19' } });
    expect(part.statusCode).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 10-19/${body.length}`);
    expect(part.rawPayload.equals(body.subarray(10, 20))).toBe(true);
    const tail = await h.app.inject({ method: 'GET', url: `/api/v1/sessions/${s.id}/recording`, headers: { authorization: `Bearer ${token}`, range: 'bytes=-5' } });
    expect(tail.rawPayload.equals(body.subarray(body.length - 5))).toBe(true);
    const bad = await h.app.inject({ method: 'GET', url: `/api/v1/sessions/${s.id}/recording`, headers: { authorization: `Bearer ${token}`, range: `bytes=${body.length}-` } });
    expect(bad.statusCode).toBe(416);
    expect(bad.headers['content-range']).toBe(`bytes */${body.length}`);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
    const head = await h.app.inject({ method: 'HEAD', url: `/api/v1/sessions/${s.id}/recording`, headers: { authorization: `Bearer ${token}` } });
    expect(head.statusCode).toBe(200);
    expect(head.headers['content-length']).toBe(String(body.length));
    const cached = await h.app.inject({ method: 'GET', url: `/api/v1/sessions/${s.id}/recording`, headers: { authorization: `Bearer ${token}`, 'if-none-match': `"${s.recordingSha256}"` } });
    expect(cached.statusCode).toBe(304);
    expect((await events(s.id)).filter((e) => e.includes('Video Download'))).toEqual(['auditor:Video Download:recording (.cast)']);
  });
});

describe('player', () => {
  it('opens with timeline and markers (a Session Play event), then reads bounded chunks by time', async () => {
    const s = await sessionWithCast(900);
    const token = await h.token('auditor');
    const info = (await h.inject('GET', `/api/v1/sessions/${s.id}/player`, token)).json();
    expect(info).toMatchObject({ cols: 80, rows: 24, size: expect.any(Number) });
    expect(info.duration).toBeGreaterThan(899);
    expect(info.idle.length).toBeGreaterThan(0);
    expect(info.markers).toContainEqual({ time: 0, kind: 'event', label: 'Started: owner (shell)' });
    expect(await events(s.id)).toContain('auditor:Session Play:');

    const seek = (await h.inject('GET', `/api/v1/sessions/${s.id}/player/chunk?t=450`, token)).json();
    expect(seek.keyframe).toMatchObject({ cols: 80, rows: 24, data: expect.any(String) });
    expect(seek.keyframe.time).toBeLessThanOrEqual(450);
    expect(seek.keyframe.time).toBeGreaterThan(400);
    expect(seek.events.every((e: [number, string, string]) => e[0] > seek.keyframe.time && (e[1] === 'o' || e[1] === 'r'))).toBe(true);
    expect(seek.to).toBeGreaterThanOrEqual(480);
    const next = (await h.inject('GET', `/api/v1/sessions/${s.id}/player/chunk?after=${seek.next}`, token)).json();
    expect(next.keyframe).toBeNull();
    expect(next.from).toBe(seek.next);
    for (const q of ['', '?t=1&after=2', '?t=-1', '?t=abc']) {
      expect((await h.inject('GET', `/api/v1/sessions/${s.id}/player/chunk${q}`, token)).statusCode, q).toBe(400);
    }
    // Only the opening of the player is an event.
    expect((await events(s.id)).filter((e) => e.includes('Session Play'))).toHaveLength(1);
  });
});

describe('a recording compressed after close', () => {
  it('downloads as the exact recorded bytes (Range included) and plays and seeks as before', async () => {
    const s = await sessionWithCast(900);
    const token = await h.token('auditor');
    const get = (url: string, range?: string) => h.app.inject({ method: 'GET', url: `/api/v1/sessions/${s.id}/${url}`, headers: { authorization: `Bearer ${token}`, ...(range ? { range } : {}) } });
    const plain = fs.readFileSync(s.recordingPath!);
    const sha256 = createHash('sha256').update(plain).digest('hex');
    const before = { info: (await get('player')).json(), chunk: (await get('player/chunk?t=450')).json() };

    const r = compressCast(s.recordingPath!, { sha256, size: plain.length }, { memberBytes: 16 * 1024 });
    expect(r.ok).toBe(true);
    expect(fs.existsSync(s.recordingPath!)).toBe(false);

    const full = await get('recording');
    expect(full.statusCode).toBe(200);
    expect(full.headers['content-length']).toBe(String(plain.length));
    expect(full.rawPayload.equals(plain)).toBe(true);
    const part = await get('recording', 'bytes=20000-70000');
    expect(part.statusCode).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 20000-70000/${plain.length}`);
    expect(part.rawPayload.equals(plain.subarray(20000, 70001))).toBe(true);
    expect((await get('recording', `bytes=${plain.length}-`)).statusCode).toBe(416);

    const info = (await get('player')).json();
    expect({ ...info, markers: undefined }).toEqual({ ...before.info, markers: undefined });
    expect((await get('player/chunk?t=450')).json()).toEqual(before.chunk);
  });
});

describe.skipIf(requireTool('ffmpeg', 'ffprobe'))('video job', () => {
  it('queues, reports progress, and downloads an MP4 once done (a Video Download event)', async () => {
    const s = await sessionWithCast(120);
    const token = await h.token('pamadmin');
    expect((await h.inject('GET', `/api/v1/sessions/${s.id}/video`, token)).statusCode).toBe(404);
    expect((await h.inject('GET', `/api/v1/sessions/${s.id}/video/file`, token)).statusCode).toBe(404);
    const started = await h.inject('POST', `/api/v1/sessions/${s.id}/video`, token);
    expect(started.statusCode).toBe(202);
    expect(['queued', 'running']).toContain(started.json().state);
    const states: string[] = [];
    let job = started.json();
    for (let i = 0; i < 1500 && job.state !== 'done' && job.state !== 'failed'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      job = (await h.inject('GET', `/api/v1/sessions/${s.id}/video`, token)).json();
      states.push(job.state);
    }
    expect(job).toMatchObject({ state: 'done', percent: 100, error: null, size: expect.any(Number) });
    // A second request finds it made.
    expect((await h.inject('POST', `/api/v1/sessions/${s.id}/video`, token)).statusCode).toBe(200);
    const file = await h.inject('GET', `/api/v1/sessions/${s.id}/video?download=1`, token);
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toBe('video/mp4');
    expect(file.rawPayload.length).toBe(job.size);
    expect(file.rawPayload.subarray(4, 8).toString('latin1')).toBe('ftyp');
    expect(await events(s.id)).toContain('pamadmin:Video Download:video (.mp4)');
    expect((await h.store.audit.list({ limit: 100 })).map((e) => e.action)).toEqual(expect.arrayContaining(['session.video.generate', 'session.video.download']));
  }, 180_000);
});
