import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openAdmin } from '../main.js';
import type { CliIO } from './context.js';
import { runCli } from './index.js';

let dir: string;

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

/** A session in the data dir: completed (or active), with a recording that displayed `lines` and two commands. */
async function seedSession(status: 'completed' | 'active', lines: string[]): Promise<number> {
  const admin = await openAdmin({ dataDir: dir, passwordHashCost: 1024 });
  try {
    const rec = path.join(dir, `rec-${status}.cast`);
    const started = new Date(Date.UTC(2026, 2, 1, 9));
    fs.writeFileSync(rec, [JSON.stringify({ version: 2, width: 80, height: 24, timestamp: started.getTime() / 1000 }), ...lines.map((l, i) => JSON.stringify([i + 0.5, 'o', `${l}\r\n`]))].join('\n') + '\n');
    const s = await admin.store.sessions.create({
      sessionId: status === 'active' ? 'a'.repeat(32) : 'c'.repeat(32), userId: null, user: 'alice', originIp: '192.0.2.7', credentialId: null, credential: 'root', deviceId: null, device: 'web01',
      host: '10.0.0.5:22', protocol: 'SSH', type: 'shell', command: null, status, startedAt: started, recordingPath: rec, cols: 80, rows: 24,
    });
    if (status === 'completed') await admin.store.sessions.end(s.id, { status: 'completed', endedAt: new Date(started.getTime() + 60_000), exitStatus: 0, bytesIn: 1, bytesOut: 1, endReason: 'exit status 0', errorMessage: null, recordingSize: 1, recordingDuration: 60, recordingSha256: 'x' });
    const commands = admin.store.commands;
    await commands.add({ sessionId: s.id, at: new Date(started.getTime() + 1000), offset: 1, command: 'systemctl restart nginx', source: 'shell', outcome: 'executed', ruleName: 'restarts', criticality: 'low', action: 'allow_log' });
    await commands.add({ sessionId: s.id, at: new Date(started.getTime() + 2000), offset: 2, command: 'rm -rf /srv', source: 'shell', outcome: 'denied', ruleName: 'no-rm', criticality: 'high', action: 'deny' });
    return s.id;
  } finally {
    await admin.close();
  }
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-cli-logs-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('vigil sessions logs', () => {
  it('prints the Session Logs, searches, exports CSV and JSON, and records a Log viewer event', async () => {
    const id = await seedSession('completed', ['Starting nginx...', 'nginx: configuration file /etc/nginx/nginx.conf test is successful']);
    const text = await vigil(['sessions', 'logs', String(id)]);
    expect(text).toMatchObject({ code: 0, err: '' });
    expect(text.out).toContain('systemctl restart nginx');
    expect(text.out).toMatch(/rm -rf \/srv\s+denied\s+high\s+no-rm/);
    expect(text.out).toMatch(/User IP\s+192\.0\.2\.7/);
    expect(text.out).toMatch(/Username\s+root/);
    expect(text.out).toMatch(/Risk\s+10 \(2 rule matches, highest high\)/);

    const found = await vigil(['sessions', 'logs', String(id), '--search', 'NGINX.CONF']);
    expect(found.out).toMatch(/\+1\.5s\s+output\s+nginx: configuration file \/etc\/nginx\/nginx\.conf test is successful/);
    const csv = await vigil(['sessions', 'logs', String(id), '--csv']);
    expect(csv.out.split('\r\n')[0]).toBe('section,time,offset_seconds,user,item,detail,criticality,rule');
    expect(csv.out).toContain('command,2026-03-01T09:00:02.000Z,2,alice,rm -rf /srv,denied,high,no-rm');
    const js = JSON.parse((await vigil(['sessions', 'logs', String(id), '--json', '--search', 'starting'])).out);
    expect(js.matches).toEqual([{ at: '2026-03-01T09:00:00.500Z', offset: 0.5, kind: 'output', text: 'Starting nginx...' }]);
    expect(js.events.filter((e: { event: string }) => e.event === 'Log viewer').length).toBeGreaterThanOrEqual(3);
    expect(js.events.at(-1).note).toBe('search: starting');
  });

  it('refuses an active or unknown session', async () => {
    const id = await seedSession('active', []);
    expect(await vigil(['sessions', 'logs', String(id)])).toMatchObject({ code: 1, err: 'vigil: session is still active\n' });
    expect(await vigil(['sessions', 'logs', '999'])).toMatchObject({ code: 1, err: 'vigil: session not found\n' });
    expect((await vigil(['sessions', 'logs', 'abc'])).code).toBe(2);
  });
});

describe('vigil rules', () => {
  it('adds, lists and removes rules, refusing bad ones', async () => {
    const add = await vigil(['rules', 'add', 'no-rm', '--pattern', String.raw`^rm\s+-rf`, '--scope', 'device:web01', '--criticality', 'high', '--action', 'deny']);
    expect(add).toMatchObject({ code: 0, out: 'rule "no-rm" added: deny high device:web01 /^rm\\s+-rf/\n' });
    expect((await vigil(['rules', 'add', 'no-rm', '--pattern', 'x'])).err).toBe('vigil: a rule named "no-rm" already exists\n');
    expect((await vigil(['rules', 'add', 'bad', '--pattern', '(x+)+'])).code).toBe(1);
    expect((await vigil(['rules', 'add', 'bad', '--pattern', 'x', '--action', 'explode'])).code).toBe(2);
    const list = await vigil(['rules', 'list']);
    expect(list.out).toMatch(/^NAME\s+ACTION\s+CRITICALITY\s+SCOPE\s+PATTERN/);
    expect(list.out).toMatch(/no-rm\s+deny\s+high\s+device:web01\s+\^rm\\s\+-rf/);
    expect(JSON.parse((await vigil(['rules', 'list', '--json'])).out)).toEqual([expect.objectContaining({ name: 'no-rm', scope: 'device:web01', action: 'deny' })]);
    expect(await vigil(['rules', 'remove', 'no-rm'])).toMatchObject({ code: 0, out: 'rule "no-rm" removed\n' });
    expect((await vigil(['rules', 'remove', 'no-rm'])).err).toBe('vigil: command rule "no-rm" not found\n');
    expect((await vigil(['rules', 'list'])).out).toBe('no rules\n');
  });
});
