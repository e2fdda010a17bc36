import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import ssh2 from 'ssh2';
import { generateEd25519KeyPair, loadOrCreateHostKey, publicKeyLine } from './host-key.js';

describe('gateway host key', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('generates only key pairs whose both halves read back (ssh2 alone fails about 1 in 256)', () => {
    for (let i = 0; i < 1500; i++) {
      const pair = generateEd25519KeyPair();
      const pub = ssh2.utils.parseKey(pair.public);
      const priv = ssh2.utils.parseKey(pair.private);
      if (pub instanceof Error || priv instanceof Error) throw new Error(`unreadable pair #${i}: ${pair.public}`);
      expect((priv as ssh2.ParsedKey).getPublicSSH().equals((pub as ssh2.ParsedKey).getPublicSSH())).toBe(true);
    }
  });

  it('is created 0600 on first start and read back unchanged on the next', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-hostkey-'));
    dirs.push(dir);
    const file = path.join(dir, 'keys', 'ssh_host_ed25519_key');
    const first = loadOrCreateHostKey(file);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(loadOrCreateHostKey(file)).toBe(first);
    expect(fs.readFileSync(`${file}.pub`, 'utf8')).toBe(`${publicKeyLine(first)} vigil-gateway\n`);
  });

  it('refuses to start on a host key file it cannot read, naming the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-hostkey-'));
    dirs.push(dir);
    const file = path.join(dir, 'hostkey');
    fs.writeFileSync(file, 'not a key', { mode: 0o600 });
    expect(() => loadOrCreateHostKey(file)).toThrow(/gateway host key .*hostkey cannot be read/);
  });
});
