// SSH keys whose signatures cost what the algorithm costs. ssh2 (1.17) signs and verifies with the key's PEM text,
// which OpenSSL parses again on every call: an ed25519 signature took 407 µs that way and 36 µs with a KeyObject made
// once, a verification 194 µs (measured on this machine). Every session signs twice (the gateway's host key in the
// key exchange, the vaulted key logging in to the target) and verifies the user's signature once.

import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import ssh2, { type ParsedKey } from 'ssh2';

/** ssh2's own name for the default hash of a key (null for ed25519), kept on the parsed key under a symbol. */
const HASH_ALGO = 'Hash Algorithm';

/**
 * A key that behaves exactly as `parsed` (ssh2 still sees its own type, blobs and methods through the prototype),
 * with sign() and verify() done on KeyObjects made here once. When ssh2's internals are not as expected, `parsed`
 * itself is returned: slower, never wrong.
 */
export function withKeyObjects(parsed: ParsedKey): ParsedKey {
  const hashSym = Object.getOwnPropertySymbols(parsed).find((s) => s.description === HASH_ALGO);
  if (!hashSym) return parsed;
  const defaultAlgo = (parsed as unknown as Record<symbol, string | null>)[hashSym] ?? null;
  let priv: KeyObject | null = null;
  let pub: KeyObject | null = null;
  try {
    const privPem = parsed.getPrivatePEM();
    priv = privPem ? createPrivateKey(privPem) : null;
    pub = createPublicKey(parsed.getPublicPEM());
  } catch {
    return parsed;
  }
  const fast = Object.create(parsed) as ParsedKey;
  Object.defineProperties(fast, {
    sign: {
      value: (data: Buffer, algo?: string): Buffer | Error => {
        if (!priv) return new Error('No private key available');
        try {
          return sign(algo || defaultAlgo, data, priv);
        } catch (err) {
          return err as Error;
        }
      },
    },
    verify: {
      value: (data: Buffer, signature: Buffer, algo?: string): boolean | Error => {
        try {
          return verify(algo || defaultAlgo, data, pub!, signature);
        } catch (err) {
          return err as Error;
        }
      },
    },
  });
  return fast;
}

/** Parses an OpenSSH/PEM key for ssh2, with fast signatures; an Error when ssh2 cannot parse it. */
export function parseFastKey(text: string | Buffer, passphrase?: string): ParsedKey | Error {
  const parsed = ssh2.utils.parseKey(text, passphrase);
  if (parsed instanceof Error) return parsed;
  return withKeyObjects(Array.isArray(parsed) ? parsed[0]! : parsed);
}

/** Public keys of users, parsed once: the same few keys log in over and over. Public data only. */
export class PublicKeyCache {
  private readonly keys = new Map<string, ParsedKey | Error>();

  constructor(private readonly max = 2000) {}

  get(text: string): ParsedKey | Error {
    let k = this.keys.get(text);
    if (k) {
      this.keys.delete(text);
    } else {
      k = parseFastKey(text);
      if (this.keys.size >= this.max) this.keys.delete(this.keys.keys().next().value!);
    }
    this.keys.set(text, k);
    return k;
  }
}
