// Vault encryption: AES-256-GCM under a 32-byte master key kept outside the database.

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { SecretBox } from '../core/ports.js';
import { VigilError } from '../core/errors.js';

const VERSION = 'v1';

/** Seals secrets as "v1:<iv>:<tag>:<ciphertext>" (base64 parts). */
export class AesGcmSecretBox implements SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('master key must be 32 bytes');
  }
  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    const ct = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
    return [VERSION, iv.toString('base64'), c.getAuthTag().toString('base64'), ct.toString('base64')].join(':');
  }
  open(sealed: string): string {
    const [v, iv, tag, ct] = sealed.split(':');
    if (v !== VERSION || !iv || !tag || ct === undefined) throw new VigilError('Unavailable', 'vault entry is malformed');
    try {
      const d = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
      d.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([d.update(Buffer.from(ct, 'base64')), d.final()]).toString('utf8');
    } catch (err) {
      throw new VigilError('Unavailable', 'vault entry cannot be decrypted with this master key', { cause: err });
    }
  }
}

/**
 * Loads the master key: from `envKey` (base64 or 64 hex chars) when given, else from `file`,
 * creating it with 0600 permissions on first use.
 */
export function loadMasterKey(file: string, envKey?: string): Buffer {
  if (envKey) {
    const k = /^[0-9a-f]{64}$/i.test(envKey) ? Buffer.from(envKey, 'hex') : Buffer.from(envKey, 'base64');
    if (k.length !== 32) throw VigilError.badRequest('VIGIL_MASTER_KEY must be 32 bytes, as 64 hex characters or base64');
    return k;
  }
  if (fs.existsSync(file)) {
    const k = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
    if (k.length !== 32) throw VigilError.badRequest(`master key file ${file} is not a 32-byte base64 key`);
    return k;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const k = randomBytes(32);
  // 'wx' so two processes starting together cannot overwrite each other's key.
  try {
    fs.writeFileSync(file, k.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadMasterKey(file);
    throw err;
  }
  return k;
}
