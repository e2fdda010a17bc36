// Checks vaulted private keys with ssh2's parser, so that a key the gateway could not use is refused when added.

import ssh2 from 'ssh2';

const UNREADABLE = 'unsupported or malformed key (use the OpenSSH format, or PEM RSA/ECDSA)';

/**
 * Returns why `pem` is not a usable unencrypted private key, or null when it is.
 * The message comes from the parser's fixed texts and never quotes the key.
 */
export function validatePrivateKey(pem: string): string | null {
  let parsed: ReturnType<typeof ssh2.utils.parseKey>;
  try {
    parsed = ssh2.utils.parseKey(pem);
  } catch {
    return UNREADABLE;
  }
  if (parsed instanceof Error) {
    return /encrypted|passphrase/i.test(parsed.message) ? 'encrypted private keys are not supported; remove the passphrase first' : UNREADABLE;
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || !key.isPrivateKey()) return 'this is not a private key';
  return null;
}
