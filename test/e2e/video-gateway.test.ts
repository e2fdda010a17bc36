// Session Video end to end: a real OpenSSH session through a real Vigil (child process) is keyframed while it runs,
// then played through the API in chunks and exported to MP4, which ffprobe and OCR check.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyframePaths, readIndex } from '../../src/recording/keyframes/keyframe-index.js';
import { sshInteractive, type SshLogin } from '../helpers/ssh-client.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { userKeyPair } from '../helpers/seed.js';
import { requireTool } from '../helpers/tools.js';
import { ADMIN_PASSWORD, listSessions, newDataDir, runCli, startVigilProcess, type VigilProcess } from '../helpers/vigil.js';

const skip = requireTool('sshd', 'ssh', 'ssh-keygen', 'ffmpeg', 'ffprobe', 'tesseract');

async function apiBase(vigil: VigilProcess): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const m = /web console on (http:\/\/[^\s]+)/.exec(vigil.stdout());
    if (m) return new URL(m[1]!).origin;
    if (Date.now() > deadline) throw new Error(`Vigil did not report its API address\n${vigil.stdout().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(skip)('Session Video through the gateway', () => {
  let sshd: Sshd;
  let vigil: VigilProcess;
  let dataDir: string;
  let aliceKey: string;
  let base: string;
  let token: string;
  /** The session the first test recorded and exported (the second restarts its export). */
  let videoSession: { id: number; sessionId: string } | undefined;
  const api = async (method: string, url: string): Promise<Response> =>
    fetch(`${base}/api/v1${url}`, { method, headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    dataDir = newDataDir();
    sshd = await startSshd();
    vigil = await startVigilProcess({ dataDir });
    const keys = userKeyPair('alice@laptop');
    aliceKey = `${dataDir}-alice_key`;
    fs.writeFileSync(aliceKey, keys.privateKey, { mode: 0o600 });
    fs.writeFileSync(`${aliceKey}.pub`, keys.publicKey);
    const cli = async (args: string[], stdin?: string) => {
      const r = await runCli(dataDir, args, { stdin });
      if (r.code !== 0) throw new Error(`vigil ${args.join(' ')} failed: ${r.stderr}`);
    };
    await cli(['user', 'add', 'alice', '--key-file', `${aliceKey}.pub`]);
    await cli(['device', 'add', 'web01', '--host', '127.0.0.1', '--port', String(sshd.port), '--host-key', sshd.hostKeyLine]);
    await cli(['credential', 'add', `${sshd.user}@web01`, '--password-stdin'], `${sshd.password}\n`);
    await cli(['grant', 'add', '--user', 'alice', '--credential', `${sshd.user}@web01`]);
    base = await apiBase(vigil);
    const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) });
    token = ((await login.json()) as { token: string }).token;
  }, 180_000);

  afterAll(async () => {
    await vigil?.stop();
    await sshd?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(aliceKey, { force: true });
    fs.rmSync(`${aliceKey}.pub`, { force: true });
  });

  it('keyframes a live session, plays it in chunks, and exports an MP4 showing what it printed', async () => {
    const login: SshLogin = { port: vigil.sshPort, login: `alice[${sshd.user}@web01]`, identity: aliceKey };
    const ssh = sshInteractive(login);
    await ssh.waitFor(/[$#] $/m);
    // Enough output and time for keyframes while the session runs (one every 10 s or 256 KiB).
    ssh.type("seq 1 40000 | sed 's/^/line /'; sleep 11; echo TICK-$((6*7))\r");
    await ssh.waitFor('TICK-42', 60_000);
    const active = (await listSessions(dataDir)).find((s) => s.status === 'active')!;
    const cast = (await api('GET', `/sessions/${active.id}`).then((r) => r.json())) as { id: number };
    expect(cast.id).toBe(active.id);
    const castPath = fs.readdirSync(path.join(dataDir, 'recordings'), { recursive: true }).map(String).find((f) => f.endsWith(`${active.sessionId}.cast`))!;
    const full = path.join(dataDir, 'recordings', castPath);
    for (let i = 0; i < 100 && readIndex(full).keyframes.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(readIndex(full).keyframes.length).toBeGreaterThan(0);
    expect(readIndex(full).end).toBeNull();
    const marker = ssh.output().length;
    ssh.type("printf 'VIGXK%sMARKER\\n' Z\r");
    await ssh.waitFor('VIGXKZMARKER', 20_000, marker);
    // Keep the marker on screen for the video's last seconds (the check reads a frame 0.5 s before its end).
    ssh.type('sleep 2; exit\r');
    await ssh.exited;

    let session = (await listSessions(dataDir)).find((s) => s.id === active.id)!;
    for (let i = 0; i < 100 && session.status === 'active'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      session = (await listSessions(dataDir)).find((s) => s.id === active.id)!;
    }
    expect(session.status).toBe('completed');

    const info = (await (await api('GET', `/sessions/${session.id}/player`)).json()) as { duration: number; markers: Array<{ label: string }> };
    expect(info.duration).toBeGreaterThan(11);
    expect(info.markers.map((m) => m.label)).toContain('Started: alice (shell)');
    const seek = (await (await api('GET', `/sessions/${session.id}/player/chunk?t=${info.duration - 1}`)).json()) as { keyframe: { data: string } | null; events: Array<[number, string, string]> };
    expect(seek.keyframe).not.toBeNull();
    expect(seek.keyframe!.data + seek.events.map((e) => e[2]).join('')).toContain('TICK-42');
    expect(readIndex(full).end).not.toBeNull();
    expect(fs.existsSync(keyframePaths(full).data)).toBe(true);

    expect((await api('POST', `/sessions/${session.id}/video`)).status).toBe(202);
    let job = { state: 'queued', percent: 0 };
    for (let i = 0; i < 1200 && (job.state === 'queued' || job.state === 'running'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      job = (await (await api('GET', `/sessions/${session.id}/video`)).json()) as typeof job;
    }
    expect(job).toMatchObject({ state: 'done', percent: 100 });
    const mp4 = path.join(dataDir, 'download.mp4');
    fs.writeFileSync(mp4, Buffer.from(await (await api('GET', `/sessions/${session.id}/video/file`)).arrayBuffer()));
    expect(fs.existsSync(path.join(dataDir, 'videos', `${session.sessionId}.mp4`))).toBe(true);
    const probe = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,pix_fmt:format=duration', '-of', 'csv=p=0', mp4], { encoding: 'utf8' });
    expect(probe).toMatch(/h264,yuv420p/);
    // The last frame shows the marker the session printed just before it ended.
    const png = path.join(dataDir, 'last.png');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-sseof', '-0.5', '-i', mp4, '-frames:v', '1', '-vf', 'scale=iw*2:ih*2:flags=lanczos,negate,format=gray', png]);
    expect(execFileSync('tesseract', [png, '-', '--psm', '6'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })).toContain('VIGXKZMARKER');
    videoSession = session;
  }, 240_000);

  it('resumes a video job that a crash of Vigil interrupted, leaving no partial MP4, and GET shows it through to done', async () => {
    const session = videoSession!;
    const videos = path.join(dataDir, 'videos');
    const job = () => JSON.parse(fs.readFileSync(path.join(videos, `${session.sessionId}.job.json`), 'utf8')) as { state: string; requestedBy: string; attempts: number };
    expect(job()).toMatchObject({ state: 'done', requestedBy: 'admin', attempts: 1 });
    // Generate it again: delete the video (the job file goes with it, as the purge would take both).
    fs.rmSync(path.join(videos, `${session.sessionId}.mp4`));
    fs.rmSync(path.join(videos, `${session.sessionId}.job.json`));
    expect((await api('GET', `/sessions/${session.id}/video`)).status).toBe(404);
    expect((await api('POST', `/sessions/${session.id}/video`)).status).toBe(202);
    let state = 'queued';
    for (let i = 0; i < 600 && state === 'queued'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      state = ((await (await api('GET', `/sessions/${session.id}/video`)).json()) as { state: string }).state;
    }
    expect(state).toBe('running');
    await vigil.kill();
    expect(job()).toMatchObject({ state: 'running', attempts: 1 });

    vigil = await startVigilProcess({ dataDir });
    base = await apiBase(vigil);
    const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) });
    token = ((await login.json()) as { token: string }).token;
    let status = { state: 'queued', percent: 0, error: null as string | null };
    for (let i = 0; i < 1200 && (status.state === 'queued' || status.state === 'running'); i++) {
      status = (await (await api('GET', `/sessions/${session.id}/video`)).json()) as typeof status;
      if (status.state === 'running' || status.state === 'queued') await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toMatchObject({ state: 'done', percent: 100, error: null });
    expect(job()).toMatchObject({ state: 'done', requestedBy: 'admin', attempts: 2 });
    expect(fs.readdirSync(videos).filter((f) => f.endsWith('.part') || f.endsWith('.tmp'))).toEqual([]);
    const mp4 = path.join(dataDir, 'resumed.mp4');
    fs.writeFileSync(mp4, Buffer.from(await (await api('GET', `/sessions/${session.id}/video/file`)).arrayBuffer()));
    expect(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,pix_fmt', '-of', 'csv=p=0', mp4], { encoding: 'utf8' })).toMatch(/h264,yuv420p/);
  }, 240_000);
});
