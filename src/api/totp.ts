// TOTP checking shared by console logins and the SSH gateway: the user's sealed base32 secret is opened from the vault and checked with otpauth.

import { Secret, TOTP } from 'otpauth';
import type { Clock } from '../core/clock.js';
import type { TotpVerifier } from '../core/auth-service.js';
import type { SecretBox, UserRepo } from '../core/ports.js';

/**
 * A verifier for AuthService and the gateway: 30 s steps, 6 digits, SHA-1 (what authenticator apps expect),
 * ±1 step of clock drift. The stored secret is the vault-sealed base32 text.
 */
export function createTotpVerifier(users: Pick<UserRepo, 'totpSecret'>, box: SecretBox, clock: Clock): TotpVerifier {
  return async (userId, code) => {
    const sealed = await users.totpSecret(userId);
    if (sealed === null) return false;
    const totp = new TOTP({ secret: Secret.fromBase32(box.open(sealed)), digits: 6, period: 30, algorithm: 'SHA1' });
    return totp.validate({ token: code, timestamp: clock.now().getTime(), window: 1 }) !== null;
  };
}
