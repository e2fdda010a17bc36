// End to end: the real OpenSSH client types into a real bash through Vigil (in-process) to a real sshd. The command
// log must hold the lines as bash ran them, and deny/interrupt rules must act before the target runs anything.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { dataPaths } from '../../src/core/config.js';
import type { CommandEntry } from '../../src/core/session-logs.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite-store.js';
import { seedAliceOnWeb01 } from '../helpers/seed.js';
import { sshExec, sshInteractive, type SshInteractive } from '../helpers/ssh-client.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { requireTool } from '../helpers/tools.js';
import { newDataDir, runCli, startVigilInProcess } from '../helpers/vigil.js';

const skip = requireTool('sshd', 'ssh', 'ssh-keygen');
type Vigil = Awaited<ReturnType<typeof startVigilInProcess>>;
/** A prompt at the end of the output, maybe followed by a redraw sequence (readline's ESC[K). */
const PROMPT = /[$#] (?:\x1b\[[0-9;]*[A-Za-z])*$/;

describe.skipIf(skip)('command log and real-time rules through the gateway', () => {
  let sshd: Sshd;
  let vigil: Vigil;
  let dataDir: string;
  let keyFile: string;
  let store: SqliteStore;
  const tag = randomBytes(4).toString('hex');
  const deniedFile = `/tmp/vigil-e2e-denied-${tag}`;

  const login = () => ({ port: vigil.sshAddress.port, login: `alice[${'vigiltarget'}@web01]`, identity: keyFile });

  let lastId = 0;
  /** The id of the session started after the previous call. */
  async function newSessionId(): Promise<number> {
    const newest = async () => (await store.sessions.query({ sort: 'id', order: 'desc', pageSize: 1 })).items[0]?.id ?? 0;
    await expect.poll(newest, { timeout: 20_000 }).toBeGreaterThan(lastId);
    lastId = await newest();
    return lastId;
  }

  /**
   * Types `keys` (one write each), waits for `until` in what follows, then for what ends it: the next prompt, or
   * after a denial the shell's clearing of the killed line (ESC[K).
   */
  async function run(ssh: SshInteractive, keys: string[], until: string | RegExp, then: RegExp | string = PROMPT): Promise<void> {
    const from = ssh.output().length;
    for (const k of keys) {
      ssh.type(k);
      await new Promise((r) => setTimeout(r, 40));
    }
    const out = await ssh.waitFor(until, 20_000, from);
    const at = typeof until === 'string' ? out.indexOf(until, from) : from + out.slice(from).search(until);
    await ssh.waitFor(then, 20_000, at);
  }
  const DENIED = 'Command denied by rule "no-touch"';
  const KILLED = '\x1b[K';

  async function commandsOf(id: number, until: (c: CommandEntry[]) => boolean): Promise<CommandEntry[]> {
    await expect.poll(async () => until(await store.commands.forSession(id)), { timeout: 20_000 }).toBe(true);
    return store.commands.forSession(id);
  }

  beforeAll(async () => {
    dataDir = newDataDir();
    sshd = await startSshd();
    keyFile = `${dataDir}-alice_key`;
    await seedAliceOnWeb01(dataDir, sshd, { keyFile, vaulted: 'key' });
    // Rules the way an administrator adds them.
    for (const args of [
      ['no-touch', '--pattern', String.raw`^touch\s`, '--criticality', 'high', '--action', 'deny'],
      ['stop-poweroff', '--pattern', String.raw`^poweroff\b`, '--criticality', 'high', '--action', 'interrupt'],
      ['watch-passwd', '--pattern', 'passwd', '--criticality', 'medium', '--action', 'allow_log', '--scope', 'device:web01'],
    ]) {
      const r = await runCli(dataDir, ['rules', 'add', ...args]);
      expect(r.code, r.stderr).toBe(0);
    }
    vigil = await startVigilInProcess({ dataDir });
    store = await openSqliteStore(dataPaths(dataDir).database, new ManualClock());
  }, 90_000);

  afterAll(async () => {
    await store?.close();
    await vigil?.stop();
    await sshd?.stop();
    fs.rmSync(deniedFile, { force: true });
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    if (keyFile) fs.rmSync(keyFile, { force: true });
  });

  it('logs each command as bash ran it: edits, Tab, history, continuation, Ctrl-C, no-echo prompts, full-screen input', async () => {
    const ssh = sshInteractive(login());
    await ssh.waitFor(PROMPT);
    const id = await newSessionId();
    await run(ssh, ['echo one-$((1+1))\r'], 'one-2');
    await run(ssh, ['echo tow', '\x7f', '\x7f', 'wo-$((1+2))\r'], 'two-3');
    await run(ssh, ['echo thre-$((1+3))', ...Array(9).fill('\x1b[D'), 'e', '\r'], 'three-4');
    await run(ssh, ['rm -rf /nope-', tag, '\x15', 'echo four-$((2+2))\r'], 'four-4');
    await run(ssh, ['ls -d /usr/shar', '\t', '\r'], '/usr/share/\r\n');
    await run(ssh, ['\x1b[A', '\r'], '/usr/share/\r\n');
    await run(ssh, ['echo five-\\\r', '$((2+3))\r'], 'five-5');
    await run(ssh, ['echo never-', tag, '\x03', 'echo six-$((3+3))\r'], 'six-6');
    await run(ssh, ["read -s -p 'Password: ' pw; echo got-${#pw}\r"], 'Password: ', 'Password: ');
    await run(ssh, ['Sup3r-Secret-', tag, '\r'], `got-${'Sup3r-Secret-'.length + tag.length}`);
    await run(ssh, ["printf '\\033[?1049h'; read -r x; printf '\\033[?1049l'; echo alt-done\r", 'typed in alt\r'], 'alt-done');
    await run(ssh, ['cat\r', 'line for cat\r', '\x04'], 'line for cat\r\nline for cat');
    await run(ssh, ['echo /etc/passwd-', tag, '\r'], `/etc/passwd-${tag}\r\n`);
    ssh.type('exit\r');
    expect((await ssh.exited).code).toBe(0);

    const cmds = await commandsOf(id, (c) => c.some((x) => x.command === 'exit'));
    expect(cmds.map((c) => c.command)).toEqual([
      'echo one-$((1+1))',
      'echo two-$((1+2))',
      'echo three-$((1+3))',
      'echo four-$((2+2))',
      'ls -d /usr/share/',
      'ls -d /usr/share/',
      'echo five-\\\n$((2+3))',
      'echo six-$((3+3))',
      "read -s -p 'Password: ' pw; echo got-${#pw}",
      '(input not echoed)',
      "printf '\\033[?1049h'; read -r x; printf '\\033[?1049l'; echo alt-done",
      'cat',
      'line for cat',
      `echo /etc/passwd-${tag}`,
      'exit',
    ]);
    expect(cmds.find((c) => c.command === 'echo two-$((1+2))')).toMatchObject({ outcome: 'executed', output: 'two-3', ruleName: null });
    expect(cmds.at(-2)).toMatchObject({ ruleName: 'watch-passwd', criticality: 'medium', action: 'allow_log', outcome: 'executed' });
    // Times: in order, at the Enter key, within the session.
    const session = (await store.sessions.get(id))!;
    for (const c of cmds) expect(c.at.getTime()).toBe(session.startedAt.getTime() + Math.round(c.offset * 1000));
    expect(cmds.map((c) => c.offset)).toEqual([...cmds.map((c) => c.offset)].sort((a, b) => a - b));
    // The password is nowhere in the log, the excerpts or the search index.
    expect(JSON.stringify(cmds)).not.toContain('Sup3r');
    expect(await store.search.search({ text: `Sup3r-Secret-${tag}`, limit: 10 })).toEqual([]);

    // Session Logs from the CLI; the search index finds what the session displayed.
    const logs = await runCli(dataDir, ['sessions', 'logs', String(id), '--json', '--search', 'three-4']);
    expect(logs.code, logs.stderr).toBe(0);
    const json = JSON.parse(logs.stdout);
    expect(json.risk).toEqual({ score: 3, max: 'medium', matches: 1 });
    expect(json.matches.map((m: { kind: string; text: string }) => m.kind)).toContain('output');
    await expect.poll(async () => (await store.search.search({ text: 'two-3', limit: 10 })).map((h) => h.sessionId), { timeout: 20_000 }).toContain(id);
  });

  it('denies a command in real time: the target never runs it, the user is told, the session goes on', async () => {
    const ssh = sshInteractive(login());
    await ssh.waitFor(PROMPT);
    const id = await newSessionId();
    const tries = [`touch ${deniedFile}`, `echo x; t''ouch ${deniedFile}`, `true && "touch" ${deniedFile}`];
    for (const t of tries) {
      await run(ssh, [t, '\r'], DENIED, KILLED);
    }
    // Pasted in one write, a later line denied: nothing of the paste runs.
    await run(ssh, [`echo pasted-${tag} > ${deniedFile}-p\ntouch ${deniedFile}\n`], DENIED, DENIED);
    await run(ssh, ['echo after-deny-$((4+4))\r'], 'after-deny-8');
    ssh.type('exit\r');
    expect((await ssh.exited).code).toBe(0);
    expect(fs.existsSync(deniedFile)).toBe(false);
    expect(fs.existsSync(`${deniedFile}-p`)).toBe(false);
    const cmds = await commandsOf(id, (c) => c.some((x) => x.command === 'exit'));
    expect(cmds.filter((c) => c.outcome === 'denied').map((c) => [c.ruleName, c.criticality])).toEqual(Array(4).fill(['no-touch', 'high']));
    expect(cmds.filter((c) => c.outcome === 'denied')[0].command).toBe(`touch ${deniedFile}`);
    expect(cmds.map((c) => c.command)).toContain('echo after-deny-$((4+4))');
  });

  it('drops the session on an interrupt rule, naming it', async () => {
    const ssh = sshInteractive(login());
    await ssh.waitFor(PROMPT);
    const id = await newSessionId();
    ssh.type('poweroff\r');
    await ssh.waitFor('Session interrupted by rule "stop-poweroff"');
    await ssh.waitFor('You have been disconnected');
    expect((await ssh.exited).code).not.toBe(0);
    await expect.poll(async () => (await store.sessions.get(id))?.status, { timeout: 20_000 }).toBe('dropped');
    expect(await store.sessions.get(id)).toMatchObject({ droppedBy: 'Vigil' });
    const events = await store.events.forSession(id);
    expect(events).toContainEqual(expect.objectContaining({ event: 'Drop session', user: 'Vigil', note: 'command rule "stop-poweroff"' }));
    const cmds = await commandsOf(id, (c) => c.length > 0);
    expect(cmds).toEqual([expect.objectContaining({ command: 'poweroff', outcome: 'interrupted', ruleName: 'stop-poweroff' })]);
  });

  it('refuses an exec command a deny rule matches, before it reaches the target', async () => {
    const r = await sshExec(login(), `touch ${deniedFile}-exec`);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Command denied by rule "no-touch"');
    expect(fs.existsSync(`${deniedFile}-exec`)).toBe(false);
    const id = await newSessionId();
    await expect.poll(async () => (await store.sessions.get(id))?.status, { timeout: 20_000 }).toBe('failed');
    expect((await store.commands.forSession(id)).map((c) => [c.source, c.command, c.outcome])).toEqual([['exec', `touch ${deniedFile}-exec`, 'denied']]);
    // An allowed exec is logged too.
    const ok = await sshExec(login(), 'echo exec-$((5+5))');
    expect(ok.stdout).toBe('exec-10\n');
    const okId = await newSessionId();
    const cmds = await commandsOf(okId, (c) => c.some((x) => x.output !== null));
    expect(cmds).toEqual([expect.objectContaining({ source: 'exec', command: 'echo exec-$((5+5))', outcome: 'executed', output: 'exec-10' })]);
  });
});
