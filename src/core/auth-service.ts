// Console and API authentication: password (+ TOTP) login with lockout, opaque API tokens stored only as hashes.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from './clock.js';
import { VigilError } from './errors.js';
import { isPermission, type Actor, type Permission } from './permissions.js';
import type { AuditRepo, PasswordHasher, RoleRepo, UserRepo } from './ports.js';
import type { User } from './types.js';

/** A stored API token: its SHA-256 only, never the token itself. */
export interface ApiToken {
  id: number;
  userId: number;
  createdAt: Date;
  expiresAt: Date;
  /** The value cookie-authenticated state-changing requests must echo in X-CSRF-Token. */
  csrf: string;
}

/** Where API tokens live; implemented by the store. */
export interface TokenRepo {
  create(t: { tokenHash: string; userId: number; createdAt: Date; expiresAt: Date; csrf: string }): Promise<ApiToken>;
  byHash(tokenHash: string): Promise<ApiToken | null>;
  /** Revokes one token; false when it did not exist. */
  revoke(tokenHash: string): Promise<boolean>;
  /** Revokes every token of a user (disabled user, password change); returns how many. */
  revokeUser(userId: number): Promise<number>;
  /** Deletes tokens that expired before `at`; returns how many. */
  deleteExpired(at: Date): Promise<number>;
}

/** Checks a TOTP code of an enrolled user (the same verifier the SSH gateway uses). Injected: core holds no TOTP library. */
export type TotpVerifier = (userId: number, code: string) => Promise<boolean>;

export interface AuthServiceOptions {
  users: UserRepo;
  roles: RoleRepo;
  tokens: TokenRepo;
  hasher: PasswordHasher;
  audit: AuditRepo;
  clock: Clock;
  verifyTotp: TotpVerifier;
  /** The `auth.requireTotp` setting: when true, a user without TOTP gets a token that may only enrol. */
  requireTotp?: () => Promise<boolean>;
  /** Token lifetime; 12 h by default. */
  tokenTtlMs?: number;
  /** Consecutive failures that lock an account; 5 by default. */
  maxFailures?: number;
  /** How long a lock lasts; 15 min by default. */
  lockoutMs?: number;
}

/** What a successful login hands out. `token` is shown once and never stored. */
export interface LoginResult {
  token: string;
  csrfToken: string;
  expiresAt: Date;
  actor: Actor;
  /** TOTP is required of everyone and this user has none: the token may only enrol (and log out). */
  totpEnrolmentRequired: boolean;
}

/** A valid token resolved to who holds it. */
export interface ResolvedToken {
  actor: Actor;
  csrf: string;
  expiresAt: Date;
  /** As in {@link LoginResult}: re-evaluated on every request, so enrolling lifts it and the setting applies at once. */
  totpEnrolmentRequired: boolean;
}

/** The one message for an unknown user, a wrong password or a locked account, so none can be told apart. */
export const INVALID_LOGIN = 'invalid username or password';

const MAX_CREDENTIAL_LENGTH = 1024;

/** SHA-256 (hex) of a token: the only form in which tokens are stored. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** True when two strings are equal, compared in constant time. */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export class AuthService {
  private readonly ttlMs: number;
  private readonly maxFailures: number;
  private readonly lockoutMs: number;
  private dummyHash: Promise<string> | null = null;

  constructor(private readonly o: AuthServiceOptions) {
    this.ttlMs = o.tokenTtlMs ?? 12 * 60 * 60 * 1000;
    this.maxFailures = o.maxFailures ?? 5;
    this.lockoutMs = o.lockoutMs ?? 15 * 60 * 1000;
  }

  /**
   * Checks username, password and (when enrolled) TOTP; returns a new token.
   * Unknown user, wrong password and locked account all fail with {@link INVALID_LOGIN}.
   */
  async login(username: string, password: string, totp?: string): Promise<LoginResult> {
    if (username.length > MAX_CREDENTIAL_LENGTH || password.length > MAX_CREDENTIAL_LENGTH) throw unauthenticated(INVALID_LOGIN);
    const now = this.o.clock.now();
    const user = await this.o.users.byName(username);
    const hash = user ? await this.o.users.passwordHash(user.id) : null;
    if (!user || hash === null) {
      // Spend the same time as a real check so response times do not reveal which names exist.
      await this.o.hasher.verify(password, await this.dummy());
      throw unauthenticated(INVALID_LOGIN);
    }
    if (user.lockedUntil && user.lockedUntil > now) {
      await this.o.hasher.verify(password, await this.dummy());
      throw unauthenticated(INVALID_LOGIN);
    }
    if (!(await this.o.hasher.verify(password, hash))) {
      await this.recordFailure(user, 'wrong password');
      throw unauthenticated(INVALID_LOGIN);
    }
    if (user.disabled) throw unauthenticated('account is disabled');
    if (user.totpEnrolled) await this.checkTotp(user, totp);
    await this.o.users.recordSuccess(user.id);
    return this.issue(user, now);
  }

  private async checkTotp(user: User, code: string | undefined): Promise<void> {
    if (code === undefined || code === '') {
      throw new VigilError('Unauthenticated', 'a TOTP code is required', { details: { totpRequired: true } });
    }
    const ok = /^\d{6,8}$/.test(code.replace(/\s+/g, '')) && (await this.o.verifyTotp(user.id, code));
    if (!ok) {
      await this.recordFailure(user, 'wrong TOTP code');
      throw new VigilError('Unauthenticated', 'invalid TOTP code', { details: { totpRequired: true } });
    }
  }

  /** Counts a failed password or code; the one that reaches the limit locks the account and is audited. */
  async recordFailure(user: User, why: string): Promise<void> {
    const until = new Date(this.o.clock.now().getTime() + this.lockoutMs);
    const failures = await this.o.users.recordFailure(user.id, (n) => (n >= this.maxFailures ? until : null));
    if (failures === this.maxFailures) {
      await this.o.audit.append({ at: this.o.clock.now(), actor: 'system', action: 'user.lockout', target: user.username, details: JSON.stringify({ failures, until: until.toISOString(), last: why }) });
    }
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= this.o.hasher.hash(randomBytes(16).toString('hex'));
    return this.dummyHash;
  }

  private async issue(user: User, now: Date): Promise<LoginResult> {
    const token = randomBytes(32).toString('base64url');
    const csrf = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + this.ttlMs);
    await this.o.tokens.create({ tokenHash: hashToken(token), userId: user.id, createdAt: now, expiresAt, csrf });
    // Expired tokens are useless; clearing them on login keeps the table small without a timer.
    await this.o.tokens.deleteExpired(now);
    return { token, csrfToken: csrf, expiresAt, actor: await this.actorOf(user), totpEnrolmentRequired: await this.mustEnrol(user) };
  }

  /** The holder of a valid token, or null when it is unknown, expired, or its user is gone or disabled. */
  async resolve(token: string): Promise<ResolvedToken | null> {
    if (!token || token.length > 256) return null;
    const t = await this.o.tokens.byHash(hashToken(token));
    if (!t || t.expiresAt <= this.o.clock.now()) return null;
    const user = await this.o.users.get(t.userId);
    if (!user || user.disabled) return null;
    return { actor: await this.actorOf(user), csrf: t.csrf, expiresAt: t.expiresAt, totpEnrolmentRequired: await this.mustEnrol(user) };
  }

  /** TOTP is required of everyone and the user has not enrolled. */
  private async mustEnrol(user: User): Promise<boolean> {
    return !user.totpEnrolled && (await this.o.requireTotp?.()) === true;
  }

  /** Revokes a token; unknown tokens are ignored. */
  async logout(token: string): Promise<void> {
    await this.o.tokens.revoke(hashToken(token));
  }

  /** Revokes every token of a user. */
  async revokeUser(userId: number): Promise<void> {
    await this.o.tokens.revokeUser(userId);
  }

  /** Resolves a user's current roles into an Actor (permissions re-read on every call, so role edits apply at once). */
  async actorOf(user: User): Promise<Actor> {
    const perms = (await this.o.roles.permissionsOf(user.roles)).filter(isPermission);
    return { userId: user.id, username: user.username, roles: [...user.roles], permissions: new Set<Permission>(perms) };
  }
}

function unauthenticated(message: string): VigilError {
  return new VigilError('Unauthenticated', message);
}
