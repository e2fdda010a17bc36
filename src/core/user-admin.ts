// User and role administration: validation, the first administrator, and an audit entry for every change.

import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from './clock.js';
import { VigilError } from './errors.js';
import { PERMISSIONS, ROLE_PAM_USER, ROLE_SYSTEM_ADMIN, isPermission } from './permissions.js';
import type { AuditRepo, PasswordHasher, RoleRepo, UserRepo } from './ports.js';
import type { Role, User, UserKey } from './types.js';

/** Key types Vigil accepts for user keys and device host keys. */
export const SUPPORTED_KEY_TYPES = ['ssh-ed25519', 'ssh-rsa', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521'] as const;

/** A parsed OpenSSH public key line. */
export interface OpenSshPublicKey {
  type: string;
  /** The key blob, as base64 (the second field of the line). */
  base64: string;
  comment: string;
  /** "TYPE BASE64", without the comment. */
  normalized: string;
  /** "SHA256:" + unpadded base64 of the blob's SHA-256, as `ssh-keygen -l` prints it. */
  fingerprint: string;
}

/**
 * Parses "TYPE BASE64 [comment]", checking the type is supported, the base64 is well formed
 * and the type string embedded in the blob matches. `what` names the key in error messages.
 */
export function parseOpenSshPublicKey(line: string, what = 'public key'): OpenSshPublicKey {
  const fields = line.trim().split(/\s+/);
  const [type, b64] = fields;
  if (!type || !b64) throw VigilError.badRequest(`${what} must be one line "TYPE BASE64 [comment]"`);
  if (!(SUPPORTED_KEY_TYPES as readonly string[]).includes(type)) {
    throw VigilError.badRequest(`${what} type "${type.slice(0, 40)}" is not supported (use one of ${SUPPORTED_KEY_TYPES.join(', ')})`);
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) throw VigilError.badRequest(`${what} is not valid base64`);
  const blob = Buffer.from(b64, 'base64');
  const len = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
  if (len < 1 || 4 + len > blob.length || blob.subarray(4, 4 + len).toString('latin1') !== type) {
    throw VigilError.badRequest(`${what} data does not match its type ${type}`);
  }
  const fingerprint = 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
  const comment = fields.slice(2).join(' ').replace(/\p{Cc}/gu, '');
  return { type, base64: b64, comment, normalized: `${type} ${b64}`, fingerprint };
}

const USERNAME = /^[a-z_][a-z0-9_.-]{0,31}$/i;
const MIN_PASSWORD = 8;
const MAX_PASSWORD = 1024;
const ROLE_NAME = /^[^\p{Cc}]{1,64}$/u;

export interface AddUserInput {
  username: string;
  /** Role names; 'PAM User' when empty or absent. */
  roles?: string[];
  password?: string;
  /** OpenSSH public key line. */
  publicKey?: string;
}

/** A user as administration lists it: the user and the fingerprints of their keys. */
export interface UserSummary extends User {
  keys: Array<{ fingerprint: string; type: string; comment: string }>;
}

/** Manages users and roles; each change is appended to the audit trail under the acting administrator's name. */
export class UserAdmin {
  constructor(
    private readonly users: UserRepo,
    private readonly roles: RoleRepo,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditRepo,
    private readonly clock: Clock,
  ) {}

  /** Creates a user with roles and, optionally, a password and a public key. */
  async addUser(input: AddUserInput, actor: string): Promise<User> {
    const username = checkUsername(input.username);
    const roles = await this.checkRoles(input.roles?.length ? input.roles : [ROLE_PAM_USER]);
    if (input.password !== undefined) checkPassword(input.password);
    const key = input.publicKey === undefined ? null : parseOpenSshPublicKey(input.publicKey);
    // Names differing only in case would let one user pass for another in lists and logs.
    const clash = (await this.users.list()).find((u) => u.username.toLowerCase() === username.toLowerCase());
    if (clash) throw VigilError.conflict(`user ${clash.username} already exists`);
    const passwordHash = input.password === undefined ? null : await this.hasher.hash(input.password);
    const user = await this.users.create({ username, passwordHash, roles });
    if (key) await this.users.addKey(user.id, keyLine(key), key.fingerprint);
    await this.record(actor, 'user.add', username, { roles, password: passwordHash !== null, keyFingerprint: key?.fingerprint ?? null });
    return user;
  }

  /** Registers another public key for a user. */
  async addKey(username: string, publicKey: string, actor: string): Promise<UserKey> {
    const user = await this.user(username);
    const key = parseOpenSshPublicKey(publicKey);
    if ((await this.users.keys(user.id)).some((k) => k.fingerprint === key.fingerprint)) {
      throw VigilError.conflict(`user ${user.username} already has the key ${key.fingerprint}`);
    }
    const added = await this.users.addKey(user.id, keyLine(key), key.fingerprint);
    await this.record(actor, 'user.key.add', user.username, { fingerprint: key.fingerprint, type: key.type });
    return added;
  }

  async disableUser(username: string, actor: string): Promise<void> {
    const user = await this.user(username);
    await this.users.setDisabled(user.id, true);
    await this.record(actor, 'user.disable', user.username, { wasDisabled: user.disabled });
  }

  async enableUser(username: string, actor: string): Promise<void> {
    const user = await this.user(username);
    await this.users.setDisabled(user.id, false);
    await this.record(actor, 'user.enable', user.username, { wasDisabled: user.disabled });
  }

  /** Replaces a user's password (the audit entry records that it changed, never the value). */
  async setPassword(username: string, password: string, actor: string): Promise<void> {
    const user = await this.user(username);
    checkPassword(password);
    await this.users.setPasswordHash(user.id, await this.hasher.hash(password));
    await this.record(actor, 'user.password.set', user.username, {});
  }

  /** Replaces a user's roles. */
  async setRoles(username: string, roles: string[], actor: string): Promise<User> {
    const user = await this.user(username);
    const checked = await this.checkRoles(roles);
    await this.users.setRoles(user.id, checked);
    await this.record(actor, 'user.roles.set', user.username, { from: user.roles, to: checked });
    return (await this.users.get(user.id))!;
  }

  async listUsers(): Promise<UserSummary[]> {
    const users = await this.users.list();
    return Promise.all(
      users.map(async (u) => ({
        ...u,
        keys: (await this.users.keys(u.id)).map((k) => {
          const [type = '', , ...comment] = k.publicKey.split(' ');
          return { fingerprint: k.fingerprint, type, comment: comment.join(' ') };
        }),
      })),
    );
  }

  async listRoles(): Promise<Role[]> {
    return this.roles.list();
  }

  /** Creates a role or replaces its permissions. System Administrator always keeps every permission. */
  async upsertRole(name: string, permissions: string[], actor: string): Promise<Role> {
    if (typeof name !== 'string' || !ROLE_NAME.test(name) || name.trim() !== name) {
      throw VigilError.badRequest('role name must be 1-64 printable characters without leading or trailing spaces');
    }
    const unknown = permissions.filter((p) => !isPermission(p));
    if (unknown.length) throw VigilError.badRequest(`unknown permission ${unknown.map((p) => `"${p}"`).join(', ')} (known: ${PERMISSIONS.join(', ')})`);
    const perms = [...new Set(permissions)].sort();
    if (name === ROLE_SYSTEM_ADMIN && perms.length !== PERMISSIONS.length) {
      throw VigilError.conflict(`role ${ROLE_SYSTEM_ADMIN} must keep every permission`);
    }
    const before = await this.roles.byName(name);
    const role = await this.roles.upsert(name, perms);
    await this.record(actor, before ? 'role.update' : 'role.add', name, before ? { from: before.permissions, to: perms } : { permissions: perms });
    return role;
  }

  /** Removes a role that no user holds; the seeded System Administrator cannot be removed. */
  async removeRole(name: string, actor: string): Promise<void> {
    if (name === ROLE_SYSTEM_ADMIN) throw VigilError.conflict(`role ${ROLE_SYSTEM_ADMIN} cannot be removed`);
    const role = await this.roles.byName(name);
    if (!role) throw VigilError.notFound(`role ${name}`);
    const holders = (await this.users.list()).filter((u) => u.roles.includes(name)).map((u) => u.username);
    if (holders.length) throw VigilError.conflict(`role ${name} is held by ${holders.join(', ')}; change their roles first`);
    await this.roles.remove(name);
    await this.record(actor, 'role.remove', name, { permissions: role.permissions });
  }

  /**
   * On first start (no user at all), creates `admin` as System Administrator with the given
   * password, or a generated one that is returned once to be shown to the operator.
   */
  async ensureInitialAdmin(passwordFromEnv?: string): Promise<{ created: boolean; generatedPassword?: string }> {
    if ((await this.users.count()) > 0) return { created: false };
    if (passwordFromEnv !== undefined && passwordFromEnv.length < MIN_PASSWORD) {
      throw VigilError.badRequest(`VIGIL_ADMIN_PASSWORD must be at least ${MIN_PASSWORD} characters`);
    }
    const password = passwordFromEnv ?? randomBytes(15).toString('base64url');
    try {
      await this.users.create({ username: 'admin', passwordHash: await this.hasher.hash(password), roles: [ROLE_SYSTEM_ADMIN] });
    } catch (err) {
      // Another process (a CLI command, a second start) created it first: that is fine.
      if (err instanceof VigilError && err.kind === 'Conflict') return { created: false };
      throw err;
    }
    await this.record('system', 'user.add', 'admin', { roles: [ROLE_SYSTEM_ADMIN], password: true, initialAdmin: true, generated: passwordFromEnv === undefined });
    return passwordFromEnv === undefined ? { created: true, generatedPassword: password } : { created: true };
  }

  private async user(username: string): Promise<User> {
    const user = typeof username === 'string' ? await this.users.byName(username) : null;
    if (!user) throw VigilError.notFound(`user ${username}`);
    return user;
  }

  private async checkRoles(roles: string[]): Promise<string[]> {
    const unique = [...new Set(roles)];
    const known = new Set((await this.roles.list()).map((r) => r.name));
    const unknown = unique.filter((r) => !known.has(r));
    if (unknown.length) throw VigilError.badRequest(`unknown role ${unknown.map((r) => `"${r}"`).join(', ')} (known: ${[...known].join(', ')})`);
    return unique;
  }

  private async record(actor: string, action: string, target: string, details: Record<string, unknown>): Promise<void> {
    await this.audit.append({ at: this.clock.now(), actor, action, target, details: JSON.stringify(details) });
  }
}

function checkUsername(username: string): string {
  if (typeof username !== 'string' || !USERNAME.test(username)) {
    throw VigilError.badRequest('username must be 1-32 characters: letters, digits, "_", "." or "-", starting with a letter or "_"');
  }
  return username;
}

function checkPassword(password: string): void {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD) throw VigilError.badRequest(`password must be at least ${MIN_PASSWORD} characters`);
  if (password.length > MAX_PASSWORD) throw VigilError.badRequest(`password must be at most ${MAX_PASSWORD} characters`);
}

/** The key as stored: "TYPE BASE64 [comment]", whitespace normalised. */
function keyLine(k: OpenSshPublicKey): string {
  return k.comment ? `${k.normalized} ${k.comment}` : k.normalized;
}
