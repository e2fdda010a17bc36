import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { generateEd25519KeyPair } from '../gateway/ssh/host-key.js';
import { openAdmin } from '../main.js';
import type { VigilConfig } from '../core/config.js';
import type { CliIO, StartVigil } from './context.js';
import { runCli } from './index.js';

const ED25519_PUB = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICe0Zh2VjEmip51NmFzvSckD6lIfa7Hz7tdaycI+2Xzm alice@laptop';
const SECRET = 'Target-Root-Pw-5d1e8b';

let dir: string;

interface Result {
  code: number;
  out: string;
  err: string;
}

/** Runs `vigil ARGS` in-process against the temp data directory. */
async function vigil(args: string[], opts: { stdin?: string; env?: Record<string, string>; io?: Partial<CliIO> } = {}): Promise<Result> {
  let out = '';
  let err = '';
  const io: CliIO = {
    stdout: (s) => void (out += s),
    stderr: (s) => void (err += s),
    readStdin: async () => opts.stdin ?? '',
    env: { VIGIL_DATA_DIR: dir, ...opts.env },
    waitForStopSignal: () => new Promise(() => {}),
    adminOptions: { passwordHashCost: 1024 },
    ...opts.io,
  };
  const code = await runCli(args, io);
  return { code, out, err };
}

async function ok(args: string[], opts?: Parameters<typeof vigil>[1]): Promise<string> {
  const r = await vigil(args, opts);
  expect(r, `vigil ${args.join(' ')}`).toMatchObject({ code: 0, err: '' });
  return r.out;
}

function file(name: string, content: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, content, { mode: 0o600 });
  return f;
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-cli-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('vigil user and role', () => {
  it('adds, lists, disables, enables and changes passwords', async () => {
    const key = file('id.pub', `# laptop\n${ED25519_PUB}\n`);
    expect(await ok(['user', 'add', 'alice', '--role', 'PAM Auditor', '--role', 'PAM User', '--password-stdin', '--key-file', key], { stdin: 'first-pass-1\n' })).toBe(
      'user alice added (roles: PAM Auditor, PAM User)\n',
    );
    await ok(['user', 'add', 'bob']);
    const table = await ok(['user', 'list']);
    expect(table.split('\n')[0]).toMatch(/^USER\s+ROLES\s+STATUS/);
    expect(table).toMatch(/alice\s+PAM Auditor, PAM User\s+enabled/);
    await ok(['user', 'disable', 'bob']);
    const users = JSON.parse(await ok(['user', 'list', '--json'])) as Array<{ username: string; disabled: boolean; roles: string[]; keys: unknown[] }>;
    expect(users.map((u) => [u.username, u.disabled])).toEqual([
      ['alice', false],
      ['bob', true],
    ]);
    expect(users[0]!.keys).toEqual([{ fingerprint: 'SHA256:H1brAsodGj/phONBgjLZXk8zupe069Lz+vx3kZOB3EE', type: 'ssh-ed25519', comment: 'alice@laptop' }]);
    await ok(['user', 'enable', 'bob']);
    // One trailing newline is stripped; the rest of stdin is the password.
    await ok(['user', 'passwd', 'bob', '--password-stdin'], { stdin: 'second pass 2\n' });

    const ctx = await openAdmin({ dataDir: dir });
    try {
      const bob = (await ctx.store.users.byName('bob'))!;
      expect(bob.disabled).toBe(false);
      expect(await ctx.hasher.verify('second pass 2', (await ctx.store.users.passwordHash(bob.id))!)).toBe(true);
      const alice = (await ctx.store.users.byName('alice'))!;
      expect(await ctx.hasher.verify('first-pass-1', (await ctx.store.users.passwordHash(alice.id))!)).toBe(true);
      expect((await ctx.store.audit.list()).map((e) => e.actor)).toSatisfy((a: string[]) => a.every((x) => x.startsWith('cli')));
    } finally {
      await ctx.close();
    }
  });

  it('lists and adds roles', async () => {
    expect(await ok(['role', 'list'])).toMatch(/^ROLE\s+PERMISSIONS\nSystem Administrator\s+PAM\.Access\.Connect,/);
    await ok(['role', 'add', 'Operators', '--permission', 'PAM.Access.Connect', 'PAM.SessionManagement.View']);
    const roles = JSON.parse(await ok(['role', 'list', '--json'])) as Array<{ name: string; permissions: string[] }>;
    expect(roles.find((r) => r.name === 'Operators')!.permissions).toEqual(['PAM.Access.Connect', 'PAM.SessionManagement.View']);
    await ok(['user', 'add', 'op', '--role', 'Operators']);
    expect(await vigil(['role', 'add', 'Bad', '--permission', 'Not.A.Permission'])).toMatchObject({ code: 1, err: expect.stringMatching(/^vigil: unknown permission "Not\.A\.Permission"/) });
  });
});

describe('vigil device, credential and grant', () => {
  it('manages the vault and never prints a secret', async () => {
    const { private: privateKey } = generateEd25519KeyPair();
    const keyFile = file('target_key', privateKey);
    const keyBody = privateKey.split('\n')[1]!;
    await ok(['device', 'add', 'web01', '--host', '10.0.0.5', '--trust-on-first-use']);
    const pinned = await ok(['device', 'add', 'db01', '--host', 'db.example', '--port', '2200', '--host-key', ED25519_PUB.split(' ').slice(0, 2).join(' ')]);
    expect(pinned).toContain('SHA256:H1brAsodGj/phONBgjLZXk8zupe069Lz+vx3kZOB3EE');
    expect(await ok(['device', 'list'])).toMatch(/DEVICE\s+HOST\s+PORT\s+HOST KEY\s+CREATED\ndb01\s+db\.example\s+2200\s+SHA256:H1br\S+\s+\S+.*\nweb01\s+10\.0\.0\.5\s+22\s+pinned on first use/);
    const devices = JSON.parse(await ok(['device', 'list', '--json'])) as Array<{ name: string; port: number; trustOnFirstUse: boolean }>;
    expect(devices.map((d) => [d.name, d.port, d.trustOnFirstUse])).toEqual([
      ['db01', 2200, false],
      ['web01', 22, true],
    ]);

    await ok(['credential', 'add', 'root@web01', '--password-stdin'], { stdin: `${SECRET}\n` });
    await ok(['credential', 'add', 'deploy@db01', '--key-file', keyFile]);
    const list = await ok(['credential', 'list']);
    const listJson = await ok(['credential', 'list', '--json']);
    expect(list).toMatch(/CREDENTIAL\s+ACCOUNT\s+DEVICE\s+KIND\s+CREATED\ndeploy@db01\s+deploy\s+db01\s+key.*\nroot@web01\s+root\s+web01\s+password/);
    expect(JSON.parse(listJson)).toEqual([
      expect.objectContaining({ credential: 'deploy@db01', kind: 'key' }),
      expect.objectContaining({ credential: 'root@web01', kind: 'password' }),
    ]);
    for (const text of [list, listJson]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(keyBody);
    }

    await ok(['user', 'add', 'alice']);
    await ok(['grant', 'add', '--user', 'alice', '--credential', 'root@web01', '--allow-port-forwarding']);
    await ok(['grant', 'add', '--user', 'alice', '--credential', 'deploy@db01']);
    expect(await ok(['grant', 'list'])).toMatch(/USER\s+CREDENTIAL\s+PORT FORWARDING\s+CREATED\nalice\s+deploy@db01\s+no\s.*\nalice\s+root@web01\s+yes\s/);
    const grants = JSON.parse(await ok(['grant', 'list', '--json'])) as Array<{ user: string; credential: string; allowPortForwarding: boolean }>;
    expect(grants.map((g) => [g.user, g.credential, g.allowPortForwarding]).sort()).toEqual([
      ['alice', 'deploy@db01', false],
      ['alice', 'root@web01', true],
    ]);
    await ok(['grant', 'remove', '--user', 'alice', '--credential', 'deploy@db01']);
    expect(JSON.parse(await ok(['grant', 'list', '--json']))).toHaveLength(1);
    await ok(['credential', 'remove', 'deploy@db01']);
    await ok(['device', 'remove', 'db01']);
    expect(await ok(['device', 'list', '--json'])).toContain('web01');

    // Nothing printed or stored in clear, in any output of the run or the database files.
    const audit = await ok(['audit', 'list', '--json']);
    expect(audit).not.toContain(SECRET);
    const bytes = Buffer.concat(['vigil.db', 'vigil.db-wal'].filter((f) => fs.existsSync(path.join(dir, f))).map((f) => fs.readFileSync(path.join(dir, f))));
    expect(bytes.includes('web01')).toBe(true);
    expect(bytes.includes(SECRET)).toBe(false);
    expect(bytes.includes(keyBody)).toBe(false);
  });

  it('refuses an encrypted or malformed private key', async () => {
    await ok(['device', 'add', 'web01', '--host', 'web', '--trust-on-first-use']);
    const enc = generateEd25519KeyPair({ passphrase: 'pw', cipher: 'aes256-ctr', rounds: 4 });
    const r = await vigil(['credential', 'add', 'root@web01', '--key-file', file('enc', enc.private)]);
    expect(r).toMatchObject({ code: 1, err: 'vigil: the private key cannot be used: encrypted private keys are not supported; remove the passphrase first\n' });
    const pub = await vigil(['credential', 'add', 'root@web01', '--key-file', file('pub', ED25519_PUB)]);
    expect(pub.code).toBe(1);
    expect(pub.err).not.toContain('AAAAC3Nza');
  });
});

describe('vigil sessions list', () => {
  it('prints an empty list, then sessions newest first with every field', async () => {
    expect(await ok(['sessions', 'list', '--json'])).toBe('[]\n');
    expect(await ok(['sessions', 'list'])).toBe('no sessions\n');
    const ctx = await openAdmin({ dataDir: dir });
    try {
      const base = { userId: null, originIp: '192.0.2.7', credentialId: null, credential: 'root@web01', deviceId: null, device: 'web01', host: '10.0.0.5:22', protocol: 'SSH' as const, type: 'shell' as const, command: null, recordingPath: null, cols: 80, rows: 24 };
      const a = await ctx.store.sessions.create({ ...base, sessionId: 'aaa', user: 'alice', status: 'active', startedAt: new Date('2026-01-01T10:00:00Z') });
      await ctx.store.sessions.create({ ...base, sessionId: 'bbb', user: 'bob', status: 'active', startedAt: new Date('2026-01-01T11:00:00Z') });
      await ctx.store.sessions.end(a.id, {
        status: 'completed',
        endedAt: new Date('2026-01-01T10:05:00Z'),
        exitStatus: 0,
        bytesIn: 12,
        bytesOut: 3456,
        endReason: 'exit',
        errorMessage: null,
        recordingSize: 4096,
        recordingDuration: 299.5,
        recordingSha256: 'cd'.repeat(32),
      });
    } finally {
      await ctx.close();
    }
    const all = JSON.parse(await ok(['sessions', 'list', '--json'])) as Array<Record<string, unknown>>;
    expect(all.map((s) => s.sessionId)).toEqual(['bbb', 'aaa']);
    expect(all[1]).toMatchObject({
      id: 1,
      sessionId: 'aaa',
      user: 'alice',
      credential: 'root@web01',
      device: 'web01',
      originIp: '192.0.2.7',
      protocol: 'SSH',
      type: 'shell',
      status: 'completed',
      startedAt: '2026-01-01T10:00:00.000Z',
      endedAt: '2026-01-01T10:05:00.000Z',
      exitStatus: 0,
      bytesIn: 12,
      bytesOut: 3456,
      endReason: 'exit',
      errorMessage: null,
      recordingSize: 4096,
      recordingDuration: 299.5,
      recordingSha256: 'cd'.repeat(32),
    });
    expect(all[0]).toMatchObject({ status: 'active', endedAt: null, recordingSha256: null });
    expect((JSON.parse(await ok(['sessions', 'list', '--json', '--limit', '1'])) as unknown[]).length).toBe(1);
    expect(JSON.parse(await ok(['sessions', 'list', '--json', '--status', 'completed']))).toEqual([expect.objectContaining({ sessionId: 'aaa' })]);
    expect(JSON.parse(await ok(['sessions', 'list', '--json', '--user', 'bob']))).toEqual([expect.objectContaining({ sessionId: 'bbb' })]);
    expect(await ok(['sessions', 'list'])).toMatch(
      /^ID\s+SESSION ID\s+USER\s+ORIGIN IP\s+CREDENTIAL\s+DEVICE\s+PROTOCOL\s+START\s+END\s+TIME\s+STATUS\n2\s+bbb.*active\n1\s+aaa\s+alice\s+192\.0\.2\.7.*2026-01-01 10:05:00Z\s+0:05:00\s+completed\n$/,
    );
  });
});

describe('vigil audit verify', () => {
  it('reports an intact trail, then an edited entry with exit status 1', async () => {
    await ok(['user', 'add', 'alice']);
    await ok(['user', 'add', 'bob']);
    expect(await ok(['audit', 'verify'])).toBe('audit trail intact (2 entries)\n');
    const ctx = await openAdmin({ dataDir: dir });
    try {
      await sql`DROP TRIGGER audit_log_no_update`.execute(ctx.store.database.db);
      await sql`UPDATE audit_log SET target = 'mallory' WHERE id = 1`.execute(ctx.store.database.db);
    } finally {
      await ctx.close();
    }
    expect(await vigil(['audit', 'verify'])).toEqual({ code: 1, out: 'entry 1: content does not match its hash (edited)\n', err: 'vigil: audit trail damaged (1 problem)\n' });
  });
});

describe('vigil errors', () => {
  const cases: Array<[string[], number, RegExp]> = [
    [['bogus'], 2, /^vigil: unknown command 'bogus'/],
    [['user'], 2, /^vigil: missing command; run 'vigil user --help'/],
    [['user', 'list', '--bogus'], 2, /^vigil: unknown option '--bogus'/],
    [['user', 'add'], 2, /^vigil: missing required argument 'name'/],
    [['user', 'passwd', 'alice'], 2, /--password-stdin/],
    [['device', 'add', 'web01', '--host', 'h'], 2, /exactly one of --host-key/],
    [['device', 'add', 'web01', '--host', 'h', '--trust-on-first-use', '--port', 'x'], 2, /--port must be a whole number/],
    [['credential', 'add', 'root@web01'], 2, /exactly one of --password-stdin or --key-file/],
    [['grant', 'add', '--user', 'alice'], 2, /required option '--credential/],
    [['sessions', 'list', '--status', 'open'], 2, /--status must be one of active, completed/],
    [['sessions', 'list', '--limit', '0'], 2, /--limit must be a whole number/],
    [['user', 'disable', 'ghost'], 1, /^vigil: user ghost not found\n$/],
    [['user', 'add', 'bad name'], 1, /^vigil: username must be/],
    [['credential', 'add', 'root@nowhere', '--password-stdin'], 1, /^vigil: device nowhere not found\n$/],
    [['user', 'add', 'carol', '--key-file', '/nonexistent/key.pub'], 1, /^vigil: cannot read public key file \/nonexistent\/key\.pub: no such file\n$/],
    [['serve', '--ssh-listen', 'nowhere'], 2, /^vigil: invalid configuration: sshListen/],
  ];
  for (const [args, code, message] of cases) {
    it(`vigil ${args.join(' ')} -> exit ${code}`, async () => {
      const r = await vigil(args, { stdin: SECRET });
      expect(r.code).toBe(code);
      expect(r.out).toBe('');
      expect(r.err).toMatch(message);
      expect(r.err.trimEnd().split('\n')).toHaveLength(1);
      expect(r.err).not.toMatch(/\n\s+at /);
      expect(r.err).not.toContain(SECRET);
    });
  }

  it('prints help on --help with exit status 0', async () => {
    const r = await vigil(['user', 'add', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Usage: vigil user add \[options\] <name>/);
  });
});

describe('vigil --data-dir and concurrent use', () => {
  it('prefers --data-dir over VIGIL_DATA_DIR, and works while another process holds the database', async () => {
    const other = path.join(dir, 'other');
    const held = await openAdmin({ dataDir: other });
    try {
      await ok(['user', 'add', 'zed', '--data-dir', other]);
      expect((await held.store.users.byName('zed'))?.username).toBe('zed');
      expect(await ok(['user', 'list'])).toBe('no users\n');
    } finally {
      await held.close();
    }
  });
});

describe('vigil serve', () => {
  it('creates the first administrator, starts Vigil and stops it on a signal', async () => {
    let stopped = false;
    let started: VigilConfig | undefined;
    let signal!: (name: string) => void;
    const startVigil: StartVigil = async (config) => {
      started = config;
      return { sshAddress: { host: '::', port: 2222 }, httpAddress: { host: '127.0.0.1', port: 8080 }, stop: async () => void (stopped = true) };
    };
    const serving = vigil(['serve', '--data-dir', dir, '--ssh-listen', '[::]:2222', '--http-listen', '127.0.0.1:8080'], {
      env: { VIGIL_LOG_LEVEL: 'warn' },
      io: { startVigil, waitForStopSignal: () => new Promise((resolve) => (signal = resolve)) },
    });
    await expect.poll(() => started).toBeDefined();
    expect(started).toMatchObject({ dataDir: dir, sshListen: { host: '::', port: 2222 }, httpListen: { host: '127.0.0.1', port: 8080 }, logLevel: 'warn' });
    expect(stopped).toBe(false);
    signal('SIGTERM');
    const r = await serving;
    expect(r.code).toBe(0);
    expect(stopped).toBe(true);
    const password = /with the password: (\S+)/.exec(r.out)?.[1];
    expect(password).toMatch(/^[A-Za-z0-9_-]{20}$/);
    expect(r.out).toContain('SSH on [::]:2222, web console on http://127.0.0.1:8080');
    expect(r.out).toMatch(/SIGTERM received, stopping\nVigil stopped\n$/);

    // A second start finds the administrator and prints no password.
    const again = vigil(['serve'], { io: { startVigil, waitForStopSignal: async () => 'SIGINT' } });
    const r2 = await again;
    expect(r2.code).toBe(0);
    expect(r2.out).not.toContain('password');
  });

  it('takes the first administrator password from VIGIL_ADMIN_PASSWORD', async () => {
    const startVigil: StartVigil = async () => ({ sshAddress: { host: '0.0.0.0', port: 1 }, httpAddress: { host: '127.0.0.1', port: 2 }, stop: async () => {} });
    const r = await vigil(['serve'], { env: { VIGIL_ADMIN_PASSWORD: 'env-admin-pass' }, io: { startVigil, waitForStopSignal: async () => 'SIGINT' } });
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('env-admin-pass');
    const ctx = await openAdmin({ dataDir: dir });
    try {
      const admin = (await ctx.store.users.byName('admin'))!;
      expect(await ctx.hasher.verify('env-admin-pass', (await ctx.store.users.passwordHash(admin.id))!)).toBe(true);
    } finally {
      await ctx.close();
    }
  });
});
