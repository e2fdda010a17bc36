// TOTP checking for console logins: the sealed base32 secret is opened from the vault and checked with otpauth.

import { Secret, TOTP } from 'otpauth';
import type { Clock } from '../core/clock.js';
import type { TotpVerifier } from '../core/auth-service.js';
import type { SecretBox } from '../core/ports.js';

/** A verifier for AuthService: 30 s steps, 6 digits, SHA-1 (what authenticator apps expect), ±1 step of clock drift. */
export function createTotpVerifier(box: SecretBox, clock: Clock): TotpVerifier {
  return (sealed, code) => {
    const totp = new TOTP({ secret: Secret.fromBase32(box.open(sealed)), digits: 6, period: 30, algorithm: 'SHA1' });
    return totp.validate({ token: code, timestamp: clock.now().getTime(), window: 1 }) !== null;
  };
}
