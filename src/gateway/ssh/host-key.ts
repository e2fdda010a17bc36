// The gateway's own host key: loaded from the data directory, or generated (ed25519) and saved 0600 on first start.

import fs from 'node:fs';
import path from 'node:path';
import ssh2 from 'ssh2';

/** Returns the private host key (OpenSSH format), creating it when the file does not exist. */
export function loadOrCreateHostKey(file: string): string {
  if (fs.existsSync(file)) {
    const key = fs.readFileSync(file, 'utf8');
    const parsed = ssh2.utils.parseKey(key);
    if (parsed instanceof Error) throw new Error(`gateway host key ${file} cannot be read: ${parsed.message}`);
    // Tighten permissions left loose by hand; the key is only for this process.
    if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
    return key;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const pair = generateEd25519KeyPair();
  try {
    // 'wx': two processes starting at once must not overwrite each other's key.
    fs.writeFileSync(file, pair.private, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateHostKey(file);
    throw err;
  }
  fs.writeFileSync(`${file}.pub`, `${pair.public.trim()} vigil-gateway\n`, { mode: 0o644 });
  return pair.private;
}

type KeyGenOptions = { comment?: string; passphrase?: string; cipher?: string; rounds?: number };

/**
 * A fresh ed25519 key pair in OpenSSH format. ssh2's generator (1.17) writes about one pair in 256 with the
 * public key's leading zero byte dropped, which no parser (ssh2's or OpenSSH's) reads back; such pairs are
 * discarded and generated again, so a first start never leaves an unreadable host key behind.
 */
export function generateEd25519KeyPair(options: KeyGenOptions = {}): { private: string; public: string } {
  for (let attempt = 0; attempt < 64; attempt++) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', options);
    if (!(ssh2.utils.parseKey(pair.public) instanceof Error)) return pair;
  }
  throw new Error('could not generate a readable ed25519 key pair');
}

/** "TYPE BASE64" of the public half of a private key, as clients pin it. */
export function publicKeyLine(privateKey: string): string {
  const parsed = ssh2.utils.parseKey(privateKey);
  if (parsed instanceof Error) throw parsed;
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  return `${key.type} ${key.getPublicSSH().toString('base64')}`;
}

/** True when ssh2 loaded its native crypto binding (without it, bulk throughput drops about 3x). */
export async function nativeCryptoLoaded(): Promise<boolean> {
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  try {
    const crypto = require('ssh2/lib/protocol/crypto.js') as { bindingAvailable?: boolean };
    return crypto.bindingAvailable === true;
  } catch {
    return false;
  }
}
