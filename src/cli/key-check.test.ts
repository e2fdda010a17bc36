import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import ssh2 from 'ssh2';
import { generateEd25519KeyPair } from '../gateway/ssh/host-key.js';
import { validatePrivateKey } from './key-check.js';

describe('validatePrivateKey', () => {
  it('accepts unencrypted OpenSSH and PEM RSA/ECDSA private keys', () => {
    expect(validatePrivateKey(generateEd25519KeyPair().private)).toBeNull();
    expect(validatePrivateKey(ssh2.utils.generateKeyPairSync('ecdsa', { bits: 256 }).private)).toBeNull();
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    expect(validatePrivateKey(rsa.privateKey)).toBeNull();
  });

  it('explains why a key is refused, without quoting it', () => {
    const enc = generateEd25519KeyPair({ passphrase: 'pw', cipher: 'aes256-ctr', rounds: 4 });
    expect(validatePrivateKey(enc.private)).toMatch(/encrypted private keys are not supported/);
    expect(validatePrivateKey(enc.public)).toBe('this is not a private key');
    const garbage = '-----BEGIN OPENSSH PRIVATE KEY-----\nQUJDREVGR0hJSktMTU5PUA==\n-----END OPENSSH PRIVATE KEY-----\n';
    const msg = validatePrivateKey(garbage);
    expect(msg).toMatch(/unsupported or malformed/);
    expect(msg).not.toContain('QUJD');
  });
});
