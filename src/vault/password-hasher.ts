// User password hashing with scrypt (memory-hard), stored as "scrypt$N$r$p$salt$hash".

import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { PasswordHasher } from '../core/ports.js';

function scryptAsync(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))));
}

export interface ScryptHasherOptions {
  /** CPU/memory cost; 2^15 by default (about 32 MiB, ~50 ms). Tests may lower it. */
  N?: number;
}

export class ScryptPasswordHasher implements PasswordHasher {
  private readonly N: number;
  constructor(opts: ScryptHasherOptions = {}) {
    this.N = opts.N ?? 1 << 15;
  }
  async hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const r = 8;
    const p = 1;
    const key = await scryptAsync(password, salt, 32, { N: this.N, r, p, maxmem: 256 * 1024 * 1024 });
    return ['scrypt', this.N, r, p, salt.toString('base64'), key.toString('base64')].join('$');
  }
  async verify(password: string, stored: string): Promise<boolean> {
    const [alg, n, r, p, salt, key] = stored.split('$');
    if (alg !== 'scrypt' || !salt || !key) return false;
    const expected = Buffer.from(key, 'base64');
    const actual = await scryptAsync(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: 256 * 1024 * 1024 });
    return timingSafeEqual(expected, actual);
  }
}
