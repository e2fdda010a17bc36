// Fast keys must be indistinguishable from ssh2's own parsed keys: same blobs, signatures that ssh2 and OpenSSH
// accept, the same refusals; and a real handshake with them as host key and as client key.

import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ssh2, { type ParsedKey, type PublicKeyAuthMethod } from 'ssh2';
import { afterAll, describe, expect, it } from 'vitest';
import { parseFastKey, PublicKeyCache } from './fast-keys.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-fastkeys-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A key pair made by OpenSSH's ssh-keygen: private key text and public key line. */
function keygen(type: string, bits?: number): { priv: string; pub: string } {
  const file = path.join(dir, `${type}-${bits ?? 0}-${randomBytes(4).toString('hex')}`);
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(bits ? ['-b', String(bits)] : []), '-N', '', '-f', file], { stdio: 'pipe' });
  return { priv: fs.readFileSync(file, 'utf8'), pub: fs.readFileSync(`${file}.pub`, 'utf8') };
}

const plain = (text: string) => {
  const k = ssh2.utils.parseKey(text);
  if (k instanceof Error) throw k;
  return (Array.isArray(k) ? k[0] : k) as ParsedKey;
};

describe('fast keys', () => {
  for (const [type, bits] of [['ed25519'], ['ecdsa', 256], ['ecdsa', 384], ['rsa', 2048]] as [string, number?][]) {
    it(`${type}${bits ? ` ${bits}` : ''}: same key, signatures verified both ways, a forged one refused`, () => {
      const { priv, pub } = keygen(type, bits);
      const fast = parseFastKey(priv) as ParsedKey;
      const slow = plain(priv);
      expect(fast).not.toBeInstanceOf(Error);
      expect(fast.type).toBe(slow.type);
      expect(fast.getPublicSSH().equals(slow.getPublicSSH())).toBe(true);
      const data = randomBytes(200);
      const algos = type === 'rsa' ? [undefined, 'sha256', 'sha512'] : [undefined];
      for (const algo of algos) {
        const sig = fast.sign(data, algo) as Buffer;
        expect(Buffer.isBuffer(sig)).toBe(true);
        expect(slow.verify(data, sig, algo)).toBe(true);
        const fastPub = parseFastKey(pub) as ParsedKey;
        expect(fastPub.verify(data, slow.sign(data, algo) as Buffer, algo)).toBe(true);
        const forged = Buffer.from(sig);
        forged[forged.length - 1] ^= 1;
        expect(fastPub.verify(data, forged, algo)).not.toBe(true);
      }
      // A public key cannot sign.
      expect((parseFastKey(pub) as ParsedKey).sign(data)).toBeInstanceOf(Error);
    });
  }

  it('reports what ssh2 reports for text it cannot parse, and caches public keys by text', () => {
    expect(parseFastKey('not a key')).toBeInstanceOf(Error);
    const cache = new PublicKeyCache(2);
    const a = keygen('ed25519').pub;
    expect(cache.get(a)).toBe(cache.get(a));
    expect(cache.get('ssh-ed25519 AAAA')).toBeInstanceOf(Error);
  });

  it('works as the host key of an ssh2 server and the key of an ssh2 client in a real handshake', async () => {
    const host = keygen('ed25519');
    const user = keygen('ed25519');
    const userPub = plain(user.pub);
    const login: PublicKeyAuthMethod = { type: 'publickey', username: 'u', key: parseFastKey(user.priv) as ParsedKey };
    const server = new ssh2.Server({ hostKeys: [{ key: parseFastKey(host.priv) as ParsedKey }] }, (conn) => {
      conn.on('authentication', (ctx) => {
        if (ctx.method !== 'publickey' || !ctx.key.data.equals(userPub.getPublicSSH())) return ctx.reject(['publickey']);
        if (!ctx.signature) return ctx.accept();
        return userPub.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) === true ? ctx.accept() : ctx.reject();
      });
      conn.on('ready', () => conn.end());
      conn.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      const seen = await new Promise<Buffer>((resolve, reject) => {
        let hostKey: Buffer | null = null;
        const c = new ssh2.Client();
        c.on('ready', () => {
          c.end();
          resolve(hostKey!);
        });
        c.on('error', reject);
        c.connect({
          host: '127.0.0.1',
          port,
          username: 'u',
          authHandler: [login],
          hostVerifier: (k: Buffer) => {
            hostKey = Buffer.from(k);
            return true;
          },
        });
      });
      expect(seen.equals(plain(host.pub).getPublicSSH())).toBe(true);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
