// TOTP second factor: checking codes (each accepted once), enrolment (start, confirm), disabling with a code,
// an administrator's reset, and the lock after repeated wrong codes. Secrets are stored only sealed by the vault.

import type { Clock } from './clock.js';
import { VigilError } from './errors.js';
import type { AuditRepo, SecretBox, UserRepo } from './ports.js';
import type { User } from './types.js';

/** The TOTP algorithm (RFC 6238), implemented with a library outside core. */
export interface TotpEngine {
  /** A new random secret, base32. */
  newSecret(): string;
  /** The otpauth:// URI an authenticator app scans. */
  uri(secretBase32: string, account: string, issuer: string): string;
  /** The time step (counter) the code belongs to within ±1 step of `at`, or null when it matches none. */
  step(secretBase32: string, code: string, at: Date): number | null;
}

/** Counts a wrong code towards the account lock (AuthService does, with the login failures). */
export interface FailureCounter {
  recordFailure(user: User, why: string): Promise<void>;
}

/** A code as users type it: 6 digits (8 tolerated), optional spaces in between. */
export function normaliseCode(code: string): string | null {
  const c = code.replace(/\s+/g, '');
  return /^\d{6,8}$/.test(c) ? c : null;
}

export interface TotpCodesOptions {
  users: Pick<UserRepo, 'totpSecret'>;
  box: SecretBox;
  engine: TotpEngine;
  clock: Clock;
}

/**
 * Checks codes of enrolled users for console logins and the gateway. A code is accepted once: a step already used
 * (or an earlier one) is refused, so a code seen over a shoulder or in a log cannot be replayed within its 90 s.
 * The last used step is kept in memory: one process serves both the console and the gateway.
 */
export class TotpCodes {
  private readonly lastStep = new Map<number, number>();

  constructor(private readonly o: TotpCodesOptions) {}

  /** True when `code` is current for the user's stored secret and was not used before. */
  async verify(userId: number, code: string): Promise<boolean> {
    const c = normaliseCode(code);
    const sealed = c === null ? null : await this.o.users.totpSecret(userId);
    if (c === null || sealed === null) return false;
    return this.accept(userId, this.o.box.open(sealed), c);
  }

  /** Checks a code against a given secret (an enrolment being confirmed) and marks its step used. */
  accept(userId: number, secretBase32: string, code: string): boolean {
    const step = this.o.engine.step(secretBase32, code, this.o.clock.now());
    if (step === null) return false;
    const last = this.lastStep.get(userId);
    if (last !== undefined && step <= last) return false;
    this.lastStep.set(userId, step);
    return true;
  }

  /** Forgets the used steps of a user (a new secret starts afresh). */
  forget(userId: number): void {
    this.lastStep.delete(userId);
  }
}

export interface TotpEnrolmentOptions {
  users: Pick<UserRepo, 'get' | 'setTotpSecret' | 'recordSuccess'>;
  box: SecretBox;
  engine: TotpEngine;
  codes: TotpCodes;
  failures: FailureCounter;
  audit: Pick<AuditRepo, 'append'>;
  clock: Clock;
  /** Issuer shown by authenticator apps; "Vigil" by default. */
  issuer?: string;
  /** How long a started enrolment waits for its confirming code; 10 minutes by default. */
  pendingTtlMs?: number;
}

/** What starting an enrolment hands out, once. */
export interface TotpStart {
  secret: string;
  uri: string;
  expiresAt: Date;
}

/**
 * Enrolment and removal of a user's TOTP. A started enrolment is pending (in memory, sealed) until a code from the
 * new secret confirms it; only then is the sealed secret stored and TOTP required at login. Wrong codes count
 * towards the account lock, like wrong passwords.
 */
export class TotpEnrolment {
  private readonly pending = new Map<number, { sealed: string; expiresAt: Date }>();
  private readonly issuer: string;
  private readonly ttlMs: number;

  constructor(private readonly o: TotpEnrolmentOptions) {
    this.issuer = o.issuer ?? 'Vigil';
    this.ttlMs = o.pendingTtlMs ?? 10 * 60_000;
  }

  /** Whether the user has a pending (started, unconfirmed) enrolment. */
  isPending(userId: number): boolean {
    const p = this.pending.get(userId);
    return p !== undefined && p.expiresAt > this.o.clock.now();
  }

  /** Starts (or restarts) an enrolment: a new secret, returned once. Conflict when TOTP is already enabled. */
  async start(userId: number): Promise<TotpStart> {
    const user = await this.userOf(userId);
    if (user.totpEnrolled) throw VigilError.conflict('TOTP is already enabled; disable it first to enrol a new authenticator');
    const secret = this.o.engine.newSecret();
    const expiresAt = new Date(this.o.clock.now().getTime() + this.ttlMs);
    this.pending.set(user.id, { sealed: this.o.box.seal(secret), expiresAt });
    return { secret, uri: this.o.engine.uri(secret, user.username, this.issuer), expiresAt };
  }

  /** Confirms a pending enrolment with a code of the new secret; then TOTP is enabled. */
  async confirm(userId: number, code: string, actor: string): Promise<void> {
    const user = await this.usable(userId);
    if (user.totpEnrolled) throw VigilError.conflict('TOTP is already enabled');
    const p = this.pending.get(user.id);
    if (!p || p.expiresAt <= this.o.clock.now()) {
      this.pending.delete(user.id);
      throw VigilError.conflict('no TOTP enrolment is pending (or it expired); start one first');
    }
    const c = normaliseCode(code);
    this.o.codes.forget(user.id);
    if (c === null || !this.o.codes.accept(user.id, this.o.box.open(p.sealed), c)) await this.wrong(user, 'wrong TOTP code at enrolment');
    await this.o.users.setTotpSecret(user.id, p.sealed);
    this.pending.delete(user.id);
    await this.o.users.recordSuccess(user.id);
    await this.o.audit.append({ at: this.o.clock.now(), actor, action: 'user.totp.enrol', target: user.username, details: '{}' });
  }

  /** Disables the user's own TOTP; needs a current code. */
  async disable(userId: number, code: string, actor: string): Promise<void> {
    const user = await this.usable(userId);
    if (!user.totpEnrolled) throw VigilError.conflict('TOTP is not enabled');
    if (!(await this.o.codes.verify(user.id, code))) await this.wrong(user, 'wrong TOTP code to disable TOTP');
    await this.o.users.setTotpSecret(user.id, null);
    this.o.codes.forget(user.id);
    await this.o.users.recordSuccess(user.id);
    await this.o.audit.append({ at: this.o.clock.now(), actor, action: 'user.totp.disable', target: user.username, details: '{}' });
  }

  /** An administrator removes another user's TOTP (lost phone) and any pending enrolment. */
  async reset(userId: number, actor: { userId: number | null; username: string }): Promise<User> {
    const user = await this.userOf(userId);
    if (actor.userId === user.id) throw VigilError.conflict('to remove your own TOTP, disable it with a current code');
    const hadPending = this.pending.delete(user.id);
    if (!user.totpEnrolled && !hadPending) throw VigilError.conflict(`user ${user.username} has no TOTP enrolled`);
    await this.o.users.setTotpSecret(user.id, null);
    this.o.codes.forget(user.id);
    await this.o.audit.append({ at: this.o.clock.now(), actor: actor.username, action: 'user.totp.reset', target: user.username, details: JSON.stringify({ enrolled: user.totpEnrolled, pending: hadPending }) });
    return { ...user, totpEnrolled: false };
  }

  private async userOf(userId: number): Promise<User> {
    const user = await this.o.users.get(userId);
    if (!user) throw VigilError.notFound('user');
    return user;
  }

  /** The user, refusing a disabled or locked account (the lock stops guessing codes too). */
  private async usable(userId: number): Promise<User> {
    const user = await this.userOf(userId);
    if (user.disabled) throw VigilError.denied('account is disabled');
    if (user.lockedUntil && user.lockedUntil > this.o.clock.now()) {
      throw new VigilError('TooManyRequests', `too many wrong codes or passwords; the account is locked until ${user.lockedUntil.toISOString()}`);
    }
    return user;
  }

  private async wrong(user: User, why: string): Promise<never> {
    await this.o.failures.recordFailure(user, why);
    throw VigilError.badRequest('invalid TOTP code', { field: 'code' });
  }
}
