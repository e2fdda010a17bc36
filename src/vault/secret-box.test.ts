import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AesGcmSecretBox, loadMasterKey } from './secret-box.js';
import { ScryptPasswordHasher } from './password-hasher.js';

describe('AesGcmSecretBox', () => {
  it('round-trips a secret and never stores it in plain text', () => {
    const box = new AesGcmSecretBox(Buffer.alloc(32, 7));
    const sealed = box.seal('hunter2-very-secret');
    expect(sealed).not.toContain('hunter2');
    expect(box.open(sealed)).toBe('hunter2-very-secret');
    expect(box.seal('x')).not.toBe(box.seal('x'));
  });
  it('refuses a tampered ciphertext and a wrong key', () => {
    const box = new AesGcmSecretBox(Buffer.alloc(32, 7));
    const sealed = box.seal('secret');
    const parts = sealed.split(':');
    parts[3] = Buffer.from('sEcret').toString('base64');
    expect(() => box.open(parts.join(':'))).toThrow(/cannot be decrypted/);
    expect(() => new AesGcmSecretBox(Buffer.alloc(32, 8)).open(sealed)).toThrow(/cannot be decrypted/);
  });
  it('creates the master key file 0600 once and reuses it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-key-'));
    try {
      const file = path.join(dir, 'master.key');
      const a = loadMasterKey(file);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(loadMasterKey(file).equals(a)).toBe(true);
      expect(loadMasterKey(file, 'ab'.repeat(32)).equals(Buffer.alloc(32, 0xab))).toBe(true);
      expect(() => loadMasterKey(file, 'short')).toThrow(/32 bytes/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ScryptPasswordHasher', () => {
  it('verifies the right password only', async () => {
    const h = new ScryptPasswordHasher({ N: 1024 });
    const stored = await h.hash('correct horse');
    expect(stored).not.toContain('correct horse');
    expect(await h.verify('correct horse', stored)).toBe(true);
    expect(await h.verify('wrong', stored)).toBe(false);
    expect(await h.verify('x', 'garbage')).toBe(false);
  });
});
