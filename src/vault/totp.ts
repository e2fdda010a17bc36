// The TOTP algorithm for core's TotpEngine port, with otpauth: 30 s steps, 6 digits, SHA-1 (what authenticator apps expect).

import { Secret, TOTP } from 'otpauth';
import type { TotpEngine } from '../core/totp-enrolment.js';

const PERIOD = 30;

function totpOf(secretBase32: string, label = 'vigil', issuer = 'Vigil'): TOTP {
  return new TOTP({ issuer, label, secret: Secret.fromBase32(secretBase32), digits: 6, period: PERIOD, algorithm: 'SHA1' });
}

/** RFC 6238 with otpauth; a code is accepted within one step of clock drift either way. */
export class OtpauthTotpEngine implements TotpEngine {
  newSecret(): string {
    // 160 bits, the size RFC 4226 recommends for SHA-1.
    return new Secret({ size: 20 }).base32;
  }

  uri(secretBase32: string, account: string, issuer: string): string {
    return totpOf(secretBase32, account, issuer).toString();
  }

  step(secretBase32: string, code: string, at: Date): number | null {
    let delta: number | null;
    try {
      delta = totpOf(secretBase32).validate({ token: code, timestamp: at.getTime(), window: 1 });
    } catch {
      // An unreadable stored secret matches no code.
      return null;
    }
    return delta === null ? null : Math.floor(at.getTime() / 1000 / PERIOD) + delta;
  }
}
