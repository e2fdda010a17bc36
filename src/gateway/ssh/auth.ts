// SSH authentication of Vigil users: password (+ TOTP by keyboard-interactive when enrolled) or a registered key, with lockout.

import type { AuthContext, KeyboardAuthContext, PasswordAuthContext, PublicKeyAuthContext } from 'ssh2';
import type { Clock } from '../../core/clock.js';
import type { AuditRepo, PasswordHasher, UserRepo } from '../../core/ports.js';
import type { User } from '../../core/types.js';
import { PublicKeyCache } from './fast-keys.js';
import { parseLogin } from './target-syntax.js';

/** Minimal logger (pino satisfies it). */
export interface GatewayLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface SshAuthenticatorOptions {
  users: UserRepo;
  hasher: PasswordHasher;
  clock: Clock;
  logger: GatewayLogger;
  /** Checks a TOTP code of a user who enrolled; when absent, enrolled users can only log in by key. */
  verifyTotp?: (userId: number, code: string) => Promise<boolean>;
  /** The auth.requireTotp setting: a user without TOTP is refused (told to enrol) until they enrol. */
  requireTotp?: () => Promise<boolean>;
  /** Where an account lock is recorded. */
  audit?: Pick<AuditRepo, 'append'>;
  /** Consecutive failures that lock the account (default 5). */
  maxFailures?: number;
  /** How long a lock lasts (default 15 minutes). */
  lockMs?: number;
}

const METHODS: Array<'publickey' | 'password' | 'keyboard-interactive'> = ['publickey', 'password', 'keyboard-interactive'];

/** What a user without TOTP reads (keyboard-interactive, after a correct password) when every user must have it. */
export const TOTP_ENROLMENT_REQUIRED =
  'Vigil requires a TOTP authenticator for every user and you have not enrolled one. Log in to the Vigil web console to enrol (or ask an administrator: vigil user totp enroll <name>), then connect again.';

/** Compared against when the user does not exist, so an unknown name costs as long as a wrong password. */
let dummyHash: Promise<string> | null = null;

/**
 * Decides each ssh2 authentication attempt. The login name may carry a target (`alice[root@web01]`); only the
 * user part is authenticated here. Failures of password and code count towards the lock; offering keys does not
 * (a client with several keys in its agent would lock itself out).
 */
export class SshAuthenticator {
  private readonly publicKeys = new PublicKeyCache();
  private readonly maxFailures: number;
  private readonly lockMs: number;

  constructor(private readonly o: SshAuthenticatorOptions) {
    this.maxFailures = o.maxFailures ?? 5;
    this.lockMs = o.lockMs ?? 15 * 60_000;
  }

  /**
   * Answers the attempt (accept or reject). On a successful login `onLogin` runs just before the accept, since
   * ssh2 emits 'ready' synchronously inside it. Never rejects.
   */
  async handle(ctx: AuthContext, ip: string, onLogin: (user: User) => void): Promise<void> {
    try {
      const user = await this.decide(ctx, ip);
      if (!user) {
        safe(() => ctx.reject(METHODS));
        return;
      }
      // An accepted key query (no signature yet) is not a login: the client still has to sign.
      if (ctx.method !== 'publickey' || ctx.signature !== undefined) onLogin(user);
      safe(() => ctx.accept());
    } catch (err) {
      this.o.logger.error({ err: errMessage(err), ip }, 'authentication error');
      safe(() => ctx.reject(METHODS));
    }
  }

  private async decide(ctx: AuthContext, ip: string): Promise<User | null> {
    // 'none' (every client's first attempt, to learn the methods) and unknown methods: refused before any lookup.
    if (ctx.method !== 'password' && ctx.method !== 'keyboard-interactive' && ctx.method !== 'publickey') return null;
    const name = parseLogin(ctx.username).user;
    const user = name ? await this.o.users.byName(name) : null;
    switch (ctx.method) {
      case 'password':
        return this.password(ctx, user, name, ip);
      case 'keyboard-interactive':
        return this.keyboard(ctx, user, name, ip);
      case 'publickey':
        return this.publicKey(ctx, user, name, ip);
      default:
        return null;
    }
  }

  private usable(user: User | null): user is User {
    if (!user || user.disabled) return false;
    return !(user.lockedUntil && user.lockedUntil.getTime() > this.o.clock.now().getTime());
  }

  private async checkPassword(user: User | null, password: string): Promise<boolean> {
    const hash = user ? await this.o.users.passwordHash(user.id) : null;
    if (!hash) {
      dummyHash ??= this.o.hasher.hash('vigil-no-such-user');
      await this.o.hasher.verify(password, await dummyHash);
      return false;
    }
    return this.o.hasher.verify(password, hash);
  }

  private async password(ctx: PasswordAuthContext, user: User | null, name: string, ip: string): Promise<User | null> {
    // A TOTP-enrolled user must also give a code: only keyboard-interactive can ask for it.
    if (user?.totpEnrolled) return null;
    const ok = await this.checkPassword(user, ctx.password);
    // The password method cannot carry a message; keyboard-interactive (tried first by OpenSSH) tells the user why.
    if (ok && (await this.mustEnrol(user, name, ip, 'password'))) return null;
    return this.conclude(ok, user, name, ip, 'password');
  }

  /** TOTP is required of everyone and this (usable) user has none: refused, without counting a failure. */
  private async mustEnrol(user: User | null, name: string, ip: string, method: string): Promise<boolean> {
    // A disabled or locked account is refused as such, without telling whether it has TOTP.
    if (!this.usable(user) || user.totpEnrolled || !this.o.requireTotp || !(await this.o.requireTotp())) return false;
    this.o.logger.warn({ user: name.slice(0, 100), ip, method }, 'login refused: TOTP enrolment required');
    return true;
  }

  private keyboard(ctx: KeyboardAuthContext, user: User | null, name: string, ip: string): Promise<User | null> {
    const wantsCode = user?.totpEnrolled === true;
    const prompts = [{ prompt: 'Password: ', echo: false }, ...(wantsCode ? [{ prompt: 'Verification code: ', echo: true }] : [])];
    return new Promise((resolve, reject) => {
      ctx.prompt(prompts, 'Vigil', '', (answers) => {
        void (async () => {
          const pwOk = await this.checkPassword(user, answers[0] ?? '');
          let ok = pwOk && answers.length === prompts.length;
          if (ok && wantsCode) ok = this.o.verifyTotp ? await this.o.verifyTotp(user!.id, (answers[1] ?? '').trim()) : false;
          if (ok && (await this.mustEnrol(user, name, ip, 'keyboard-interactive'))) {
            // A second round with no prompts: OpenSSH prints its instruction text, then the login fails.
            await new Promise<void>((done) => ctx.prompt([], 'Vigil', TOTP_ENROLMENT_REQUIRED, () => done()));
            return null;
          }
          return this.conclude(ok, user, name, ip, 'keyboard-interactive');
        })().then(resolve, reject);
      });
    });
  }

  private async publicKey(ctx: PublicKeyAuthContext, user: User | null, name: string, ip: string): Promise<User | null> {
    if (!this.usable(user)) return null;
    // Refused quietly (no failure counted); keyboard-interactive, tried next, tells the user to enrol.
    if (await this.mustEnrol(user, name, ip, 'publickey')) return null;
    for (const k of await this.o.users.keys(user.id)) {
      const key = this.publicKeys.get(k.publicKey);
      if (key instanceof Error) continue;
      if (!key.getPublicSSH().equals(ctx.key.data)) continue;
      // Without a signature the client only asks whether the key would do; ssh2 answers PK_OK on accept.
      if (!ctx.signature || !ctx.blob) return user;
      if (key.verify(ctx.blob, ctx.signature, ctx.hashAlgo)) {
        await this.o.users.recordSuccess(user.id);
        this.o.logger.info({ user: name, ip, method: 'publickey', key: k.fingerprint }, 'login succeeded');
        return user;
      }
      return null;
    }
    if (ctx.signature) this.o.logger.info({ user: name, ip, method: 'publickey' }, 'login refused: key not registered');
    return null;
  }

  private async conclude(ok: boolean, user: User | null, name: string, ip: string, method: string): Promise<User | null> {
    if (ok && this.usable(user)) {
      await this.o.users.recordSuccess(user.id);
      this.o.logger.info({ user: name, ip, method }, 'login succeeded');
      return user;
    }
    if (user && !user.disabled && !ok) {
      const now = this.o.clock.now().getTime();
      const failures = await this.o.users.recordFailure(user.id, (n) => (n >= this.maxFailures ? new Date(now + this.lockMs) : null));
      if (failures === this.maxFailures) {
        this.o.logger.warn({ user: name, ip, failures }, 'account locked after repeated login failures');
        const until = new Date(now + this.lockMs).toISOString();
        await this.o.audit?.append({ at: this.o.clock.now(), actor: 'system', action: 'user.lockout', target: user.username, details: JSON.stringify({ failures, until, last: `ssh ${method}`, ip }) });
      }
    }
    const why = !user ? 'unknown user' : user.disabled ? 'account disabled' : !this.usable(user) ? 'account locked' : 'wrong password';
    this.o.logger.warn({ user: name.slice(0, 100), ip, method, why }, 'login failed');
    return null;
  }
}

function safe(fn: () => void): void {
  try {
    fn();
  } catch {
    // The client may already be gone; there is nobody left to answer.
  }
}

export function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
