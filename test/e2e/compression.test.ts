// Recordings compressed after close, end to end: a real OpenSSH session through a real Vigil is compressed by the
// background job once it ends; downloading it still gives the exact recorded asciicast (asciinema plays it, the stored
// SHA-256 verifies it), the player still seeks in it, the CLI still verifies it, and the purge removes every file.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sshExec, sshInteractive, type SshLogin } from '../helpers/ssh-client.js';
import { recordingBytes } from '../helpers/recording-file.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { seedAliceOnWeb01 } from '../helpers/seed.js';
import { requireTool } from '../helpers/tools.js';
import { apiBase, apiCall, apiLogin } from '../helpers/vigil-api.js';
import { ADMIN_PASSWORD, newDataDir, runCli, startVigilProcess, type VigilProcess } from '../helpers/vigil.js';

const skip = requireTool('sshd', 'ssh', 'ssh-keygen', 'script', 'asciinema', 'gzip', 'fallocate');

interface SessionItem {
  id: number;
  sessionId: string;
  status: string;
  recordingSize: number | null;
  recordingSha256: string | null;
  recordingStoredSize: number | null;
}

describe.skipIf(skip)('recordings compressed after close', () => {
  let sshd: Sshd;
  let vigil: VigilProcess;
  let dataDir: string;
  let keyFile: string;
  let base: string;
  let token: string;

  beforeAll(async () => {
    dataDir = newDataDir();
    keyFile = `${dataDir}-alice_key`;
    sshd = await startSshd();
    vigil = await startVigilProcess({ dataDir, env: { VIGIL_COMPRESSION_INTERVAL_MS: '300', VIGIL_COMPRESSION_SETTLE_MS: '0' } });
    await seedAliceOnWeb01(dataDir, sshd, { keyFile, vaulted: 'password' });
    base = await apiBase(vigil);
    token = await apiLogin(base, 'admin', ADMIN_PASSWORD);
  }, 180_000);

  afterAll(async () => {
    await vigil?.stop();
    await sshd?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    if (keyFile) fs.rmSync(keyFile, { force: true });
  });

  const session = async (id: number) => (await apiCall(base, 'GET', `/sessions/${id}`, token)).body as SessionItem;

  it('compresses a closed recording; download, asciinema, player, verify and purge work on it as before', async () => {
    const login: SshLogin = { port: vigil.sshPort, login: `alice[${sshd.user}@web01]`, identity: keyFile };
    const r = await sshExec(login, "seq 1 60000 | sed 's/^/audit line /'; echo FINISHED-$((6*7))");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('FINISHED-42');
    const list = (await apiCall(base, 'GET', '/sessions', token)).body as { items: SessionItem[] };
    const id = list.items[0]!.id;

    let s = await session(id);
    for (let i = 0; i < 300 && s.recordingStoredSize === null; i++) {
      await new Promise((res) => setTimeout(res, 100));
      s = await session(id);
    }
    expect(s.status).toBe('completed');
    expect(s.recordingStoredSize).not.toBeNull();
    // Typical text compresses many times over; the database tells the size on disk.
    expect(s.recordingStoredSize!).toBeLessThan(s.recordingSize! / 4);
    const dir = path.join(dataDir, 'recordings');
    const files = fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => f.includes(s.sessionId));
    expect(files.map((f) => path.basename(f)).sort()).toEqual([`${s.sessionId}.cast.gz`, `${s.sessionId}.cast.gzi`, `${s.sessionId}.kidx`, `${s.sessionId}.keys`].sort());
    const gz = path.join(dir, files.find((f) => f.endsWith('.cast.gz'))!);
    // Standard tools read the stored file: gzip gives back the recording whose hash was stored at close.
    const gunzipped = execFileSync('gzip', ['-dc', gz], { maxBuffer: 1 << 28 });
    expect(createHash('sha256').update(gunzipped).digest('hex')).toBe(s.recordingSha256);

    // The download is the exact recording: the stored SHA-256 verifies it and asciinema plays it.
    const res = await fetch(`${base}/sessions/${id}/recording`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.length).toBe(s.recordingSize);
    expect(createHash('sha256').update(body).digest('hex')).toBe(res.headers.get('x-vigil-sha256'));
    const file = `${dataDir}-download.cast`;
    fs.writeFileSync(file, body);
    const shown = execFileSync('script', ['-qec', `asciinema cat ${file}`, '/dev/null'], { encoding: 'utf8', timeout: 60_000, maxBuffer: 1 << 28 });
    expect(shown).toContain('audit line 60000');
    expect(shown).toContain('FINISHED-42');
    fs.rmSync(file);

    // The player opens and seeks in it.
    const info = (await apiCall(base, 'GET', `/sessions/${id}/player`, token)).body as { duration: number; size: number };
    expect(info.size).toBe(s.recordingSize);
    const chunk = (await apiCall(base, 'GET', `/sessions/${id}/player/chunk?t=${info.duration}`, token)).body as { events: Array<[number, string, string]> };
    expect(chunk.events.map((e) => e[2]).join('')).toContain('FINISHED-42');

    // The CLI verifies it against the hash of close.
    const verify = await runCli(dataDir, ['recording', 'verify', String(id)]);
    expect(verify.stdout + verify.stderr).toMatch(/^OK /m);
    expect(verify.code).toBe(0);

    // The purge removes the compressed files with the rest, once the session is past the retention.
    const db = new BetterSqlite3(path.join(dataDir, 'vigil.db'));
    try {
      const old = new Date(Date.now() - 10 * 86_400_000).toISOString();
      db.prepare('UPDATE sessions SET started_at = ?, ended_at = ? WHERE id = ?').run(old, old, id);
    } finally {
      db.close();
    }
    const purge = await runCli(dataDir, ['purge', '--retention-days', '1', '--json']);
    expect(purge.code, purge.stderr).toBe(0);
    expect(fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => f.includes(s.sessionId))).toEqual([]);
    expect((await session(id)).status).toBe('completed');
  });
  it('seals a live recording while the session runs, survives a crash while sealed, and compresses it whole after', async () => {
    const login: SshLogin = { port: vigil.sshPort, login: `alice[${sshd.user}@web01]`, identity: keyFile };
    const ssh = sshInteractive(login);
    await ssh.waitFor(/[$#] $/m);
    ssh.type("seq 1 200000 | sed 's/^/live line /'; echo MARK-$((6*7))\r");
    await ssh.waitFor('MARK-42', 60_000);
    const list = (await apiCall(base, 'GET', '/sessions?status=active', token)).body as { items: SessionItem[] };
    const live = list.items[0]!;
    const dir = path.join(dataDir, 'recordings');
    const castPath = path.join(dir, fs.readdirSync(dir, { recursive: true }).map(String).find((f) => f.endsWith(`${live.sessionId}.cast`))!);
    // While the session runs, its settled prefix moves into compressed members and leaves the plain file.
    const deadline = Date.now() + 30_000;
    let st = fs.statSync(castPath);
    while (!(fs.existsSync(`${castPath}.gzi`) && st.blocks * 512 < st.size / 3) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      st = fs.statSync(castPath);
    }
    expect(st.blocks * 512).toBeLessThan(st.size / 3);
    expect((await recordingBytes(castPath)).toString('utf8')).toContain('live line 200000');

    // A crash now: the restart repairs the recording across its sealed and plain parts.
    await vigil.kill();
    await ssh.exited;
    vigil = await startVigilProcess({ dataDir, env: { VIGIL_COMPRESSION_INTERVAL_MS: '300', VIGIL_COMPRESSION_SETTLE_MS: '0' } });
    base = await apiBase(vigil);
    token = await apiLogin(base, 'admin', ADMIN_PASSWORD);
    let s = await session(live.id);
    expect(s.status).toBe('interrupted');
    for (let i = 0; i < 300 && s.recordingStoredSize === null; i++) {
      await new Promise((res) => setTimeout(res, 100));
      s = await session(live.id);
    }
    expect(s.recordingStoredSize).not.toBeNull();
    expect(fs.existsSync(castPath)).toBe(false);
    const res = await fetch(`${base}/sessions/${live.id}/recording`, { headers: { authorization: `Bearer ${token}` } });
    const body = Buffer.from(await res.arrayBuffer());
    expect(createHash('sha256').update(body).digest('hex')).toBe(s.recordingSha256);
    const text = body.toString('utf8');
    expect(text).toContain('live line 200000');
    expect(text).toContain('MARK-42');
    expect(text.endsWith('\n')).toBe(true);
    // Keyframes still index the whole recording: the player seeks to its end.
    const info = (await apiCall(base, 'GET', `/sessions/${live.id}/player`, token)).body as { duration: number };
    const chunk = (await apiCall(base, 'GET', `/sessions/${live.id}/player/chunk?t=${info.duration}`, token)).body as { keyframe: { data: string } | null; events: Array<[number, string, string]> };
    expect((chunk.keyframe?.data ?? '') + chunk.events.map((e) => e[2]).join('')).toContain('MARK-42');
  });
});
