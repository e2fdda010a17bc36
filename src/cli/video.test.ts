// `vigil sessions play` and `vigil sessions video` against a data directory holding a completed session.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openAdmin } from '../main.js';
import { describeTerminal } from '../hub/mirror/mirror-test-helpers.js';
import { ReplayTerminal } from '../recording/keyframes/replay-terminal.js';
import { lineEvent, SyncCastLines } from '../recording/keyframes/cast-lines.js';
import { openCastSync } from '../recording/cast-source.js';
import { writeInteractiveCast } from '../../test/helpers/synthetic-cast.js';
import { requireTool } from '../../test/helpers/tools.js';
import type { CliIO } from './context.js';
import { runCli } from './index.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-cli-video-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

async function vigil(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = {
    stdout: (s) => void (out += s),
    stderr: (s) => void (err += s),
    readStdin: async () => '',
    env: { VIGIL_DATA_DIR: dir },
    waitForStopSignal: () => new Promise(() => {}),
    adminOptions: { passwordHashCost: 1024 },
  };
  return { code: await runCli(args, io), out, err };
}

/** A completed session whose recording is a synthetic interactive session. */
async function seedSession(status: 'completed' | 'active' = 'completed'): Promise<{ id: number; sessionId: string; cast: string }> {
  const admin = await openAdmin({ dataDir: dir, passwordHashCost: 1024 });
  try {
    const sessionId = 'cd'.repeat(16);
    const cast = path.join(dir, 'recordings', `${sessionId}.cast`);
    fs.mkdirSync(path.dirname(cast), { recursive: true });
    writeInteractiveCast(cast, { seconds: 90, seed: 4 });
    const s = await admin.store.sessions.create({
      sessionId, userId: null, user: 'alice', originIp: '192.0.2.1', credentialId: null, credential: 'root', deviceId: null, device: 'web01',
      host: 'web01:22', protocol: 'SSH', type: 'shell', command: null, status: 'active', startedAt: new Date(Date.UTC(2026, 2, 1, 9)), recordingPath: cast, cols: 80, rows: 24,
    });
    if (status === 'completed') {
      await admin.store.sessions.end(s.id, { status: 'completed', endedAt: new Date(Date.UTC(2026, 2, 1, 9, 2)), exitStatus: 0, bytesIn: 0, bytesOut: 0, endReason: 'exit', errorMessage: null, recordingSize: fs.statSync(cast).size, recordingDuration: 90, recordingSha256: null });
    }
    return { id: s.id, sessionId, cast };
  } finally {
    await admin.close();
  }
}

async function eventsOf(id: number): Promise<string[]> {
  const admin = await openAdmin({ dataDir: dir, passwordHashCost: 1024 });
  try {
    return (await admin.store.events.forSession(id)).map((e) => `${e.event}: ${e.note}`);
  } finally {
    await admin.close();
  }
}

function screenAt(cast: string, t: number): unknown {
  const term = new ReplayTerminal({ cols: 80, rows: 24 });
  const fd = openCastSync(cast);
  const lines = new SyncCastLines(fd, 0);
  for (let l = lines.next(); l; l = lines.next()) {
    const e = lineEvent(l.bytes);
    if (e?.type === 'o' && e.time <= t) term.write(e.data);
  }
  fd.close();
  return describeTerminal(term.term, term.windowTitle).alternate ?? describeTerminal(term.term, term.windowTitle).normal;
}

describe('vigil sessions play', () => {
  it('draws the screen at --from at once and plays on at --speed, restoring the terminal at the end', async () => {
    const { id, cast } = await seedSession();
    const r = await vigil(['sessions', 'play', String(id), '--from', '40', '--speed', '1000']);
    expect(r.code, r.err).toBe(0);
    expect(r.out.startsWith('\x1bc')).toBe(true);
    // What a terminal shows after the whole output equals the end of the session.
    const term = new ReplayTerminal({ cols: 80, rows: 24 });
    term.write(r.out.slice(0, r.out.lastIndexOf('\x1b[0m\x1b[?25h')));
    const seen = describeTerminal(term.term, term.windowTitle);
    expect(seen.alternate ?? seen.normal).toEqual(screenAt(cast, Infinity));
    expect(await eventsOf(id)).toEqual(['Session Play: vigil sessions play from 40 s']);
  });

  it('refuses active sessions, unknown ids and bad options', async () => {
    const { id } = await seedSession('active');
    expect((await vigil(['sessions', 'play', String(id)])).err).toMatch(/still active/);
    expect((await vigil(['sessions', 'play', '999'])).code).toBe(1);
    expect((await vigil(['sessions', 'play', 'xyz'])).code).toBe(2);
    expect((await vigil(['sessions', 'play', String(id), '--speed', 'fast'])).code).toBe(2);
  });
});

describe.skipIf(requireTool('ffmpeg', 'ffprobe'))('vigil sessions video', () => {
  it('renders an MP4 of the session and records a Video Download', async () => {
    const { id, sessionId } = await seedSession();
    const out = path.join(dir, 'out.mp4');
    const r = await vigil(['sessions', 'video', sessionId, '-o', out]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/720x450/);
    const codec = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,pix_fmt', '-of', 'csv=p=0', out], { encoding: 'utf8' }).trim();
    expect(codec).toBe('h264,yuv420p');
    expect((await vigil(['sessions', 'video', String(id), '-o', out])).err).toMatch(/exists/);
    expect(await eventsOf(id)).toEqual([`Video Download: video (.mp4) by vigil sessions video: ${out}`]);
  });
});
