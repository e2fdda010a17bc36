// End to end: `vigil login` and `vigil sessions watch|block|unblock|drop` against a running Vigil (child process)
// over its API, with a real OpenSSH user session through the gateway to a real sshd.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAliceOnWeb01 } from '../helpers/seed.js';
import { sshInteractive } from '../helpers/ssh-client.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { requireTool } from '../helpers/tools.js';
import { ADMIN_PASSWORD, newDataDir, runCli, startVigilProcess, type VigilProcess } from '../helpers/vigil.js';

const skip = requireTool('sshd', 'ssh', 'ssh-keygen');
const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../helpers/vigil-main.ts');
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A long-running `vigil sessions watch` process with its output collected. */
function startWatch(args: string[], env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', MAIN, 'sessions', 'watch', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

describe.skipIf(skip)('vigil CLI against a running server', () => {
  let sshd: Sshd;
  let vigil: VigilProcess;
  let dataDir: string;
  let keyFile: string;
  let server: string;
  let token: string;
  const watchers: ChildProcess[] = [];

  const login = () => ({ port: vigil.sshPort, login: `alice[${sshd.user}@web01]`, identity: keyFile });
  const cli = (args: string[], env: Record<string, string> = {}) => runCli(dataDir, args, { env: { VIGIL_SERVER: server, VIGIL_TOKEN: token, ...env } });

  async function activeSessionId(): Promise<number> {
    let id: number | undefined;
    await expect
      .poll(
        async () => {
          const res = await fetch(`${server}/api/v1/sessions?status=active`, { headers: { authorization: `Bearer ${token}` } });
          const body = (await res.json()) as { items: Array<{ id: number; status: string }> };
          id = body.items.find((s) => s.status === 'active')?.id;
          return id;
        },
        { timeout: 20_000 },
      )
      .toBeDefined();
    return id!;
  }

  beforeAll(async () => {
    dataDir = newDataDir();
    sshd = await startSshd();
    keyFile = `${dataDir}-alice_key`;
    await seedAliceOnWeb01(dataDir, sshd, { keyFile, vaulted: 'key', more: async (s) => void (await s.users.ensureInitialAdmin(ADMIN_PASSWORD)) });
    vigil = await startVigilProcess({ dataDir });
    const line = /\{[^\n]*"msg":"web console and API listening"[^\n]*\}/;
    for (let i = 0; i < 200 && !line.test(vigil.stdout()); i++) await new Promise((r) => setTimeout(r, 100));
    server = `http://127.0.0.1:${(JSON.parse(line.exec(vigil.stdout())![0]) as { port: number }).port}`;
  }, 90_000);

  afterAll(async () => {
    for (const w of watchers) if (w.exitCode === null) w.kill('SIGKILL');
    await vigil?.stop();
    await sshd?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    if (keyFile) fs.rmSync(keyFile, { force: true });
  });

  it('login prints a bearer token; a wrong password is a one-line error', async () => {
    const bad = await runCli(dataDir, ['login', '--server', server, '--username', 'admin', '--password-stdin'], { stdin: 'wrong-password\n' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^vigil: .+\n$/);
    const r = await runCli(dataDir, ['login', '--server', server, '--username', 'admin', '--password-stdin'], { stdin: `${ADMIN_PASSWORD}\n` });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^[A-Za-z0-9_-]+\n$/);
    token = r.stdout.trim();
    const me = await fetch(`${server}/api/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
  });

  it('watch, block, unblock and drop a live session', async () => {
    const ssh = sshInteractive(login());
    await ssh.waitFor(/[$#] $/m);
    ssh.type('echo before-$((6*7))\r');
    await ssh.waitFor('before-42');
    const id = await activeSessionId();

    // watch: the current screen (with text printed before joining), then live output.
    const w = startWatch([String(id), '--server', server], { VIGIL_TOKEN: token });
    watchers.push(w.child);
    await expect.poll(() => w.stdout(), { timeout: 20_000 }).toContain('before-42');
    expect(w.stdout().startsWith('\x1bc')).toBe(true);
    ssh.type('echo after-$((7*8))\r');
    await expect.poll(() => w.stdout(), { timeout: 20_000 }).toContain('after-56');

    // block: typed input is discarded.
    const blocked = await cli(['sessions', 'block', String(id)]);
    expect(blocked.code, blocked.stderr).toBe(0);
    await ssh.waitFor('Session interaction revoked');
    ssh.type('echo typed-while-blocked-$((5+5))\r');
    await new Promise((r) => setTimeout(r, 1000));

    // unblock: input reaches the target again.
    const released = await cli(['sessions', 'unblock', String(id)], { VIGIL_TOKEN: '' });
    expect(released.code).toBe(2); // no token
    expect(released.stderr).toMatch(/^vigil: no API token/);
    const released2 = await cli(['sessions', 'unblock', String(id), '--token', token]);
    expect(released2.code, released2.stderr).toBe(0);
    await ssh.waitFor('Interactivity restored. User may interact with the session!');
    ssh.type('echo released-$((9+9))\r');
    await ssh.waitFor('released-18');
    await expect.poll(() => w.stdout(), { timeout: 20_000 }).toContain('released-18');
    expect(ssh.output()).not.toContain('typed-while-blocked');
    expect(w.stdout()).not.toContain('typed-while-blocked');

    // drop: the OpenSSH client ends; the watcher sees the end and exits 0.
    const dropped = await cli(['sessions', 'drop', String(id), '--reason', 'e2e test']);
    expect(dropped.code, dropped.stderr).toBe(0);
    await ssh.waitFor('You have been disconnected');
    expect((await ssh.exited).code).not.toBe(0);
    expect(await w.exited).toBe(0);
    expect(w.stderr()).toContain('dropped');

    // Problem documents become one-line errors with exit status 1.
    const again = await cli(['sessions', 'drop', String(id)]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^vigil: .+\n$/);
    const late = startWatch([String(id), '--server', server], { VIGIL_TOKEN: token });
    watchers.push(late.child);
    expect(await late.exited).toBe(1);
    expect(late.stderr()).toMatch(/^vigil: .+\n$/);
    const badToken = startWatch([String(id), '--server', server, '--token', 'not-a-token'], {});
    watchers.push(badToken.child);
    expect(await badToken.exited).toBe(1);
    expect(badToken.stderr()).toMatch(/^vigil: .+\n$/);
  });

  it('a viewer joining after a full-screen program drew gets the screen the user sees', async () => {
    const ssh = sshInteractive(login());
    await ssh.waitFor(/[$#] $/m);
    // A full-screen program: alternate screen, cursor positioning, colours, hidden cursor, then it waits.
    ssh.type("printf '\\033[?1049h\\033[2J\\033[3;5H\\033[1;33;44mVIGIL FULL SCREEN\\033[0m\\033[10;20H\\033[32mgreen\\033[0m\\033[?25l\\033[12;1Hdrawn-'; echo $((6*7)); read -r x\r");
    await ssh.waitFor('drawn-42');
    await new Promise((r) => setTimeout(r, 300));
    const id = await activeSessionId();
    const { default: WebSocket } = await import('ws');
    const { default: xterm } = await import('@xterm/headless');
    const ws = new WebSocket(`${server.replace('http', 'ws')}/api/v1/sessions/${id}/live`, { headers: { authorization: `Bearer ${token}` } });
    const messages: Array<{ type: string; data?: string; cols?: number; rows?: number }> = [];
    ws.on('message', (m) => messages.push(JSON.parse(String(m))));
    await expect.poll(() => messages.length, { timeout: 20_000 }).toBeGreaterThan(0);
    const snap = messages[0]!;
    expect(snap.type).toBe('snapshot');
    // The user's terminal: everything ssh printed, rendered at the session's size; the viewer's: snapshot then output.
    const user = new xterm.Terminal({ cols: snap.cols!, rows: snap.rows!, allowProposedApi: true });
    const viewer = new xterm.Terminal({ cols: snap.cols!, rows: snap.rows!, allowProposedApi: true });
    await new Promise<void>((r) => user.write(ssh.output(), r));
    for (const m of messages) if (m.type === 'snapshot' || m.type === 'output') await new Promise<void>((r) => viewer.write(m.data!, r));
    const screen = (t: InstanceType<typeof xterm.Terminal>) => {
      const b = t.buffer.active;
      const rows: string[] = [];
      for (let y = 0; y < t.rows; y++) {
        const line = b.getLine(b.baseY + y)!;
        let row = '';
        for (let x = 0; x < t.cols; x++) {
          const c = line.getCell(x)!;
          row += `${c.getChars() || ' '}${c.getFgColor()}/${c.getBgColor()}/${c.isBold()};`;
        }
        rows.push(row);
      }
      return { type: b.type, cursor: [b.cursorX, b.cursorY], rows };
    };
    const seen = screen(viewer);
    expect(seen.type).toBe('alternate');
    expect(seen).toEqual(screen(user));
    ws.close();
    ssh.type('\r');
    ssh.type('exit\r');
    await ssh.exited;
  });
});
