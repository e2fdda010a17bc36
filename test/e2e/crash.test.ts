// End to end: Vigil is killed (SIGKILL) in the middle of a pty session; the next start closes that session as
// `interrupted` and repairs its recording to the last whole event.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPaths } from '../../src/core/config.js';
import { FileRecordingStore } from '../../src/recording/file-recording-store.js';
import { seedAliceOnWeb01 } from '../helpers/seed.js';
import { sshExec, sshInteractive } from '../helpers/ssh-client.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { requireTool } from '../helpers/tools.js';
import { listSessions, newDataDir, startVigilProcess, type VigilProcess } from '../helpers/vigil.js';
import { plainCopy, recordingBytes } from '../helpers/recording-file.js';

const skip = requireTool('sshd', 'ssh', 'ssh-keygen', 'script', 'asciinema');

/** Polls until `fn` returns true (the recording is written by another process: there is no event to await). */
async function until(fn: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(skip)('crash recovery', () => {
  let sshd: Sshd;
  let dataDir: string;
  let keyFile: string;
  const started: VigilProcess[] = [];

  beforeAll(async () => {
    dataDir = newDataDir();
    sshd = await startSshd();
    keyFile = `${dataDir}-alice_key`;
    await seedAliceOnWeb01(dataDir, sshd, { keyFile, vaulted: 'password' });
  }, 60_000);

  afterAll(async () => {
    for (const v of started) await v.stop();
    await sshd?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    if (keyFile) fs.rmSync(keyFile, { force: true });
  });

  it('closes the session as interrupted after SIGKILL and keeps a valid recording', async () => {
    const first = await startVigilProcess({ dataDir });
    started.push(first);
    const hostKeyBefore = fs.readFileSync(dataPaths(dataDir).hostKey, 'utf8');
    const login = { port: first.sshPort, login: `alice[${sshd.user}@web01]`, identity: keyFile };
    const ssh = sshInteractive(login);
    await ssh.waitFor(/[$#] $/m);
    ssh.type('echo before-crash-$((40+2))\r');
    await ssh.waitFor('before-crash-42');

    const [active] = await listSessions(dataDir);
    expect(active.status).toBe('active');
    const file = new FileRecordingStore({ dir: dataPaths(dataDir).recordings }).pathFor(active.sessionId, new Date(active.startedAt));
    // Written within a second: what the user saw is on disk before the crash.
    await until(async () => fs.existsSync(file) && (await recordingBytes(file)).toString('utf8').includes('before-crash-42'), 'the recording to hold the output');
    // Then kill Vigil while output streams, so the last event is likely torn.
    ssh.type('seq 1 100000000\r');
    const size0 = fs.statSync(file).size;
    await until(() => fs.statSync(file).size > size0 + 256 * 1024, 'output to stream into the recording');
    await first.kill();
    await ssh.exited;

    const second = await startVigilProcess({ dataDir });
    started.push(second);
    const [s] = await listSessions(dataDir);
    expect(s.sessionId).toBe(active.sessionId);
    expect(s.status).toBe('interrupted');
    expect(s.endedAt).not.toBeNull();

    const bytes = await recordingBytes(file);
    const text = bytes.toString('utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n');
    expect(JSON.parse(lines[0])).toMatchObject({ version: 2 });
    for (const line of lines.slice(1)) {
      const ev = JSON.parse(line) as [number, string, string];
      expect(typeof ev[0]).toBe('number');
      expect(['o', 'i', 'r']).toContain(ev[1]);
    }
    expect(text).toContain('before-crash-42');
    expect(s.recordingSize).toBe(bytes.length);
    expect(s.recordingSha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    const copy = await plainCopy(file, `${dataDir}-copy.cast`);
    const shown = execFileSync('script', ['-qec', `asciinema cat ${copy}`, '/dev/null'], { encoding: 'utf8', timeout: 60_000, maxBuffer: 512 * 1024 * 1024 });
    fs.rmSync(copy);
    expect(shown).toContain('before-crash-42');

    // The restarted gateway keeps its host key and serves new sessions.
    expect(fs.readFileSync(dataPaths(dataDir).hostKey, 'utf8')).toBe(hostKeyBefore);
    const again = await sshExec({ ...login, port: second.sshPort }, 'echo after-restart');
    expect(again.stdout).toBe('after-restart\n');
  });

  it('leaves no secret in the database, the WAL, or either run\'s output', () => {
    const paths = dataPaths(dataDir);
    const masterKey = fs.readFileSync(paths.masterKey, 'utf8').trim();
    const keyBody = sshd.privateKey.split('\n').filter((l) => l && !l.startsWith('-----'))[1];
    const places = [paths.database, `${paths.database}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f).toString('latin1'));
    for (const v of started) places.push(v.stdout(), v.stderr());
    expect(places.length).toBeGreaterThanOrEqual(5);
    for (const text of places) {
      expect(text).not.toContain(sshd.password);
      expect(text).not.toContain(masterKey);
      expect(text).not.toContain(keyBody);
    }
  });
});
