// A session's command log and real-time rules against a real bash in a real pty, with this test as the relay:
// keys go through the input filter to bash, bash's output to the taps and to a terminal standing for the user's.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import xtermHeadless from '@xterm/headless';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../core/clock.js';
import { compileRules, parseScope, type CommandRule, type Criticality, type RuleAction } from '../../core/command-rules.js';
import type { IndexedLine, NewCommand } from '../../core/session-logs.js';
import type { SessionRecord } from '../../core/types.js';
import { requireTool } from '../../../test/helpers/tools.js';
import { startPtyBash, type PtyBash } from './fixtures/pty-bash.js';
import type { InputFilter, InputFilterIO, SessionTap } from '../live-session.js';
import { deniedMessage } from './input-guard.js';
import { SessionCommands } from './session-commands.js';

const skip = requireTool('script', 'bash');

let seq = 0;
function rule(name: string, pattern: string, action: RuleAction, criticality: Criticality = 'high', scope = 'global'): CommandRule {
  return { id: ++seq, name, pattern, scope: parseScope(scope), criticality, action, createdAt: new Date(), createdBy: 'test' };
}

function record(over: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id: 7, sessionId: 'ab'.repeat(16), userId: 3, user: 'alice', originIp: '192.0.2.1', credentialId: 1, credential: 'root@web01', deviceId: 1, device: 'web01',
    host: '127.0.0.1:22', protocol: 'SSH', type: 'shell', command: null, status: 'active', startedAt: new Date(), endedAt: null, exitStatus: null, bytesIn: 0, bytesOut: 0,
    endReason: null, errorMessage: null, droppedBy: null, recordingPath: null, recordingSize: null, recordingDuration: null, recordingSha256: null, recordingStoredSize: null, preventPurge: false,
    purgedAt: null, cols: 80, rows: 24, ...over,
  };
}

/** The relay of the gateway, reduced: what the user's terminal shows, what was stored, what was dropped. */
class Rig {
  readonly bash: PtyBash;
  readonly taps = new Set<SessionTap>();
  filter: InputFilter | null = null;
  readonly screen = new xtermHeadless.Terminal({ cols: 80, rows: 24, allowProposedApi: true });
  readonly stored: Array<NewCommand & { id: number; output?: string }> = [];
  readonly lines: IndexedLine[] = [];
  readonly drops: string[] = [];
  readonly log: SessionCommands;
  shown = '';
  private chain: Promise<void> = Promise.resolve();

  /** @param over the session record; `cols: null` is a shell without a terminal, and then bash reads plain pipes. */
  constructor(rules: CommandRule[], over: Partial<SessionRecord> = {}) {
    this.bash = over.cols === null ? startPipeBash() : startPtyBash();
    this.bash.onData((d) => this.show(d));
    const compiled = compileRules(rules);
    this.log = new SessionCommands({
      session: { record: record(over), cols: 80, rows: 24, addTap: (t) => (this.taps.add(t), () => this.taps.delete(t)), setInputFilter: (f) => (this.filter = f) },
      commands: {
        add: async (c) => this.stored.push({ ...c, id: this.stored.length + 1 }),
        setOutput: async (id, output) => void (this.stored[id - 1].output = output),
      },
      index: { addLines: async (l) => void this.lines.push(...l) },
      rules: async () => compiled,
      drop: async (_id, reason) => void this.drops.push(reason),
      clock: systemClock,
      onError: (what, err) => {
        throw new Error(`${what}: ${String(err)}`);
      },
    });
    this.taps.add(this.log);
  }

  private show(d: Buffer): void {
    for (const t of this.taps) t.output(d);
    this.shown += d.toString('utf8');
    this.screen.write(d);
  }

  private readonly io: InputFilterIO = { toTarget: (d) => this.bash.write(d), toUser: (d) => this.show(d) };

  /** Input goes through the filter in order, as the relay holds later chunks while one is held. */
  send(text: string): Promise<void> {
    this.chain = this.chain.then(async () => {
      await this.filter!(Buffer.from(text, 'utf8'), this.io);
    });
    return this.chain;
  }

  /** Types key by key, like a person. */
  async type(text: string): Promise<void> {
    for (const k of text.match(/\x1b\[[0-9;]*[A-Za-z~]|[\s\S]/g) ?? []) {
      await this.send(k);
      await new Promise((r) => setTimeout(r, 15));
    }
  }

  async waitFor(text: string, from = 0): Promise<void> {
    await expect.poll(() => this.shown.indexOf(text, from), { timeout: 10_000, message: `${JSON.stringify(text)} after: ${JSON.stringify(this.shown.slice(from).slice(-600))}` }).toBeGreaterThanOrEqual(0);
  }

  /** A fresh prompt after everything so far. */
  async prompt(): Promise<void> {
    const mark = `ready-${++seq}`;
    const at = this.shown.length;
    await this.send(`echo ${mark}\r`);
    await this.waitFor(`${mark}\r\n`, at);
    await this.waitFor('# ', this.shown.indexOf(`${mark}\r\n`, at));
  }

  async close(): Promise<void> {
    for (const t of this.taps) t.end();
    await this.log.done();
    this.bash.close();
    this.screen.dispose();
  }

  screenText(): string {
    const b = this.screen.buffer.active;
    const out: string[] = [];
    for (let i = 0; i < b.length; i++) out.push(b.getLine(i)!.translateToString(true));
    return out.join('\n');
  }
}

/** bash reading its standard input from a pipe, as `ssh host < script` gives the login shell (no terminal, no prompt). */
function startPipeBash(): PtyBash {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-pipe-'));
  const child = spawn('bash', ['--norc', '--noprofile'], { cwd: home, stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8' } });
  child.stdin!.on('error', () => undefined);
  return {
    child,
    home,
    write: (d) => void child.stdin!.write(d),
    onData: (cb) => {
      child.stdout!.on('data', cb);
      child.stderr!.on('data', cb);
    },
    close: () => {
      child.kill('SIGKILL');
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

let rig: Rig | null = null;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-guard-'));
afterEach(async () => {
  await rig?.close();
  rig = null;
});

describe.skipIf(skip)('real-time rules on a real bash', () => {
  it('denies a typed command: bash never runs it, the user is told, the line is cleared and the session goes on', async () => {
    const target = path.join(tmp, 'typed');
    rig = new Rig([rule('no-touch', String.raw`^touch\s`, 'deny')]);
    await rig.prompt();
    await rig.type(`touch ${target}\r`);
    await rig.waitFor(deniedMessage('no-touch'));
    await rig.prompt();
    expect(fs.existsSync(target)).toBe(false);
    // The shell's line was killed: the next command runs alone.
    await rig.type('echo still-here\r');
    await rig.waitFor('still-here\r\n');
    // What the user saw: the message on its own line, then a clean prompt.
    expect(rig.screenText()).toMatch(/Command denied by rule "no-touch"\nop@web01:~# (\n|echo)/);
    await rig.close();
    const denied = rig.stored.filter((c) => c.outcome === 'denied');
    expect(denied).toEqual([expect.objectContaining({ command: `touch ${target}`, ruleName: 'no-touch', criticality: 'high', action: 'deny' })]);
    expect(rig.stored.map((c) => c.command)).toContain('echo still-here');
  });

  it('resists chains, quoting, escapes, wrappers and pastes', async () => {
    rig = new Rig([rule('no-touch', String.raw`^touch\s`, 'deny')]);
    await rig.prompt();
    const attempts = [
      `echo a; touch ${tmp}/chain`,
      `true && touch ${tmp}/and`,
      `false || touch ${tmp}/or`,
      `echo x | touch ${tmp}/pipe`,
      `t''ouch ${tmp}/quote1`,
      `"touch" ${tmp}/quote2`,
      `\\touch ${tmp}/escape`,
      `$'\\x74ouch' ${tmp}/ansi`,
      `sudo -u root /usr/bin/touch ${tmp}/sudo`,
      `env X=1 touch ${tmp}/env`,
      `bash -c 'touch ${tmp}/bashc'`,
      `echo $(touch ${tmp}/subst)`,
    ];
    for (const a of attempts) {
      const at = rig.shown.length;
      await rig.send(`${a}\r`);
      await rig.waitFor(deniedMessage('no-touch'), at).catch((err: Error) => {
        throw new Error(`${a}: ${err.message}`);
      });
      await rig.prompt();
    }
    // A pasted block whose third line is denied: none of it runs.
    const at = rig.shown.length;
    await rig.send(`echo one > ${tmp}/paste1\necho two\ntouch ${tmp}/paste3\necho four > ${tmp}/paste4\n`);
    await rig.waitFor(deniedMessage('no-touch'), at);
    await rig.prompt();
    // The same as a bracketed paste: refused as it is pasted (a shell without bracketed paste would run each line).
    const at2 = rig.shown.length;
    await rig.send(`\x1b[200~echo five > ${tmp}/paste5\ntouch ${tmp}/paste6\x1b[201~`);
    await rig.waitFor(deniedMessage('no-touch'), at2);
    await rig.send('\r');
    await rig.prompt();
    for (const f of ['chain', 'and', 'or', 'pipe', 'quote1', 'quote2', 'escape', 'ansi', 'sudo', 'env', 'bashc', 'subst', 'paste1', 'paste3', 'paste4', 'paste5', 'paste6']) {
      expect(fs.existsSync(path.join(tmp, f)), f).toBe(false);
    }
    await rig.close();
    expect(rig.stored.filter((c) => c.outcome === 'denied')).toHaveLength(attempts.length + 2);
  });

  it('checks the line the screen shows: history recall and Tab completion', async () => {
    const unique = path.join(tmp, 'vigil-tab-completion-target');
    fs.writeFileSync(unique, 'SECRET-CONTENT\n');
    rig = new Rig([rule('no-hist', String.raw`^touch\s`, 'deny'), rule('no-cat-target', 'cat .*vigil-tab-completion-target', 'deny', 'medium')]);
    await rig.prompt();
    // In history without running (history -s), then recalled with Up and entered.
    await rig.type(`history -s touch ${tmp}/from-history\r`);
    await rig.prompt();
    const at = rig.shown.length;
    await rig.type('\x1b[A\x1b[A');
    await rig.waitFor('from-history', at);
    await rig.type('\r');
    await rig.waitFor(deniedMessage('no-hist'), at);
    await rig.prompt();
    // Tab completes the file name; the keys never held it.
    const at2 = rig.shown.length;
    await rig.send(`cat ${tmp}/vigil-tab-comp\t\r`);
    await rig.waitFor(deniedMessage('no-cat-target'), at2);
    await rig.prompt();
    expect(fs.existsSync(path.join(tmp, 'from-history'))).toBe(false);
    expect(rig.shown).not.toContain('SECRET-CONTENT');
    await rig.close();
    expect(rig.stored.filter((c) => c.outcome === 'denied').map((c) => c.command)).toEqual([`touch ${tmp}/from-history`, `cat ${unique}`]);
  });

  it('interrupts the session on an interrupt rule, and logs allow_log matches with their criticality', async () => {
    rig = new Rig([rule('watch-passwd', 'passwd', 'allow_log', 'medium'), rule('stop-shutdown', String.raw`^(shutdown|poweroff)\b`, 'interrupt')]);
    await rig.prompt();
    await rig.type('echo /etc/passwd\r');
    await rig.waitFor('/etc/passwd\r\n');
    await rig.prompt();
    await rig.type('shutdown -h now\r');
    await expect.poll(() => rig!.drops).toEqual(['command rule "stop-shutdown"']);
    await rig.waitFor('Session interrupted by rule "stop-shutdown"');
    await rig.close();
    expect(rig.stored).toContainEqual(expect.objectContaining({ command: 'echo /etc/passwd', outcome: 'executed', ruleName: 'watch-passwd', criticality: 'medium', output: '/etc/passwd' }));
    expect(rig.stored).toContainEqual(expect.objectContaining({ command: 'shutdown -h now', outcome: 'interrupted', ruleName: 'stop-shutdown' }));
  });

  it('applies a rule only in its scope', async () => {
    rig = new Rig([rule('db-only', String.raw`^touch\s`, 'deny', 'high', 'device:db01')]);
    await rig.prompt();
    await rig.type(`touch ${tmp}/scoped\r`);
    await expect.poll(() => fs.existsSync(path.join(tmp, 'scoped'))).toBe(true);
  });

  it('logs a password typed at a no-echo prompt as hidden, never its text, and still checks it', async () => {
    rig = new Rig([rule('no-touch', String.raw`^touch\s`, 'deny')]);
    await rig.prompt();
    await rig.type('read -s -p "[sudo] password for op: " pw; echo\r');
    await rig.waitFor('password for op: ');
    await rig.type('Hunter2-Secret\r');
    await rig.prompt();
    // `stty -echo` does not hide a command from the rules.
    await rig.type('stty -echo\r');
    await rig.prompt();
    const at = rig.shown.length;
    await rig.type(`touch ${tmp}/noecho\r`);
    await rig.waitFor(deniedMessage('no-touch'), at);
    await rig.send('stty echo\r');
    await rig.prompt();
    await rig.close();
    expect(fs.existsSync(path.join(tmp, 'noecho'))).toBe(false);
    expect(JSON.stringify(rig.stored)).not.toContain('Hunter2');
    expect(JSON.stringify(rig.lines)).not.toContain('Hunter2');
    expect(rig.stored.map((c) => c.command)).toContain('(input not echoed)');
  });
});

describe.skipIf(skip)('a shell without a terminal (a script piped to ssh)', () => {
  it('logs each line the shell is sent, marked stdin: commands, and also data a program read', async () => {
    const file = path.join(tmp, 'piped');
    rig = new Rig([], { cols: null, rows: null });
    await rig.send(`echo one\nx=2; echo "two $x"\necho three \\\n  continued\ncat > ${file} <<'EOF'\nhere-doc body\nEOF\necho four\n`);
    await rig.waitFor('four\n');
    // `cat` reads the rest of the shell's input: those lines are data, not commands, and the gateway cannot tell.
    await rig.send(`cat > ${file}.data\nnot a command\n`);
    await expect.poll(() => fs.existsSync(`${file}.data`) && fs.readFileSync(`${file}.data`, 'utf8')).toBe('not a command\n');
    expect(rig.shown).toBe('one\ntwo 2\nthree continued\nfour\n');
    expect(fs.readFileSync(file, 'utf8')).toBe('here-doc body\n');
    await rig.close();
    expect(rig.stored.map((c) => [c.source, c.command])).toEqual([
      ['stdin', 'echo one'],
      ['stdin', 'x=2; echo "two $x"'],
      ['stdin', 'echo three \\\ncontinued'],
      ['stdin', `cat > ${file} <<'EOF'\nhere-doc body\nEOF`],
      ['stdin', 'echo four'],
      ['stdin', `cat > ${file}.data`],
      ['stdin', 'not a command'],
    ]);
  });

  it('checks each line as the shell reads it: split over chunks, continued, with control characters, after an alternate-screen switch', async () => {
    rig = new Rig([rule('no-touch', String.raw`^touch\s`, 'deny')], { cols: null, rows: null });
    const attempts: Array<[string, string[]]> = [
      ['split', ['tou', `ch ${tmp}/plain-split\n`]],
      // Without a terminal Ctrl-U kills nothing: the shell would run `touch` on a name holding it.
      ['control', [`touch ${tmp}/plain-ctl\x15ls\n`]],
      ['alt screen', [`printf '\\033[?1049h'\n`, `touch ${tmp}/plain-alt\n`]],
      ['after allowed text', ['echo ok; ', `touch ${tmp}/plain-chain\n`]],
      // The first line is sent (the shell waits for the rest); the second is checked with it.
      ['continued', ['tou\\\n', `ch ${tmp}/plain-cont\n`]],
    ];
    for (const [name, chunks] of attempts) {
      const at = rig.shown.length;
      for (const c of chunks) await rig.send(c);
      await rig.waitFor(deniedMessage('no-touch'), at).catch((err: Error) => {
        throw new Error(`${name}: ${err.message}`);
      });
    }
    // The shell still holds `tou\`: an empty line ends that command (`tou`: not found).
    await rig.send('\necho done\n');
    await rig.waitFor('done\n');
    await rig.waitFor('tou: command not found\n');
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith('plain-'))).toEqual([]);
    // Held until its line feed: a last line without one is not run while a rule could refuse it.
    await rig.send(`touch ${tmp}/plain-eof`);
    rig.bash.child.stdin!.end();
    await new Promise((r) => rig!.bash.child.once('exit', r));
    expect(fs.existsSync(path.join(tmp, 'plain-eof'))).toBe(false);
    await rig.close();
    expect(rig.stored.filter((c) => c.outcome === 'denied').map((c) => c.command)).toEqual([
      `touch ${tmp}/plain-split`,
      `touch ${tmp}/plain-ctl\x15ls`,
      `touch ${tmp}/plain-alt`,
      `echo ok; touch ${tmp}/plain-chain`,
      `tou\\\nch ${tmp}/plain-cont`,
    ]);
  });

  it('interrupts the session on an interrupt rule; with no enforcing rule, input goes through at once', async () => {
    rig = new Rig([rule('stop-shutdown', String.raw`^shutdown\b`, 'interrupt')], { cols: null, rows: null });
    await rig.send('echo a\nshutdown -h now\necho never\n');
    await expect.poll(() => rig!.drops).toEqual(['command rule "stop-shutdown"']);
    await rig.waitFor('Session interrupted by rule "stop-shutdown"');
    expect(rig.shown).not.toContain('never');
    await rig.close();
    rig = new Rig([rule('watch', 'secret', 'allow_log')], { cols: null, rows: null });
    // Not held: the unfinished line reaches the shell, which runs it when the input ends.
    await rig.send(`echo secret-word > ${tmp}/plain-open`);
    rig.bash.child.stdin!.end();
    await new Promise((r) => rig!.bash.child.once('exit', r));
    expect(fs.readFileSync(path.join(tmp, 'plain-open'), 'utf8')).toBe('secret-word\n');
    await rig.close();
    expect(rig.stored).toEqual([expect.objectContaining({ source: 'stdin', command: `echo secret-word > ${tmp}/plain-open`, ruleName: 'watch' })]);
  });

  it('denies a line without disturbing the next: nothing is typed into a shell that has no line editor', async () => {
    rig = new Rig([rule('no-touch', String.raw`^touch\s`, 'deny')], { cols: null, rows: null });
    await rig.send('echo before\n');
    await rig.waitFor('before\n');
    await rig.send(`touch ${tmp}/piped-denied\n`);
    await rig.waitFor(deniedMessage('no-touch'));
    await rig.send('echo after\n');
    await rig.waitFor('after\n');
    expect(fs.existsSync(path.join(tmp, 'piped-denied'))).toBe(false);
    expect(rig.shown).toBe(`before\n${deniedMessage('no-touch')}\nafter\n`);
    await rig.close();
    expect(rig.stored.map((c) => [c.source, c.outcome, c.command])).toEqual([
      ['stdin', 'executed', 'echo before'],
      ['stdin', 'denied', `touch ${tmp}/piped-denied`],
      ['stdin', 'executed', 'echo after'],
    ]);
  });
});
