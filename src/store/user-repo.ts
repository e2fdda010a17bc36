// Users, their public keys, roles and login-failure state, in SQLite.

import type { Kysely } from 'kysely';
import type { NewUser, UserRepo } from '../core/ports.js';
import type { User, UserKey } from '../core/types.js';
import { VigilError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import type { Database } from './schema.js';
import { fromDb, toDb } from './database.js';

type UserRow = { id: number; username: string; disabled: number; created_at: string; totp_secret: string | null; locked_until: string | null };

export class SqliteUserRepo implements UserRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  private async rolesOf(userIds: number[]): Promise<Map<number, string[]>> {
    const map = new Map<number, string[]>();
    if (userIds.length === 0) return map;
    const rows = await this.db
      .selectFrom('user_roles')
      .innerJoin('roles', 'roles.id', 'user_roles.role_id')
      .select(['user_roles.user_id as userId', 'roles.name as name'])
      .where('user_roles.user_id', 'in', userIds)
      .orderBy('roles.name')
      .execute();
    for (const r of rows) map.set(r.userId, [...(map.get(r.userId) ?? []), r.name]);
    return map;
  }

  private async hydrate(rows: UserRow[]): Promise<User[]> {
    const roles = await this.rolesOf(rows.map((r) => r.id));
    return rows.map((r) => ({
      id: r.id,
      username: r.username,
      disabled: r.disabled === 1,
      roles: roles.get(r.id) ?? [],
      createdAt: new Date(r.created_at),
      totpEnrolled: r.totp_secret !== null,
      lockedUntil: fromDb(r.locked_until),
    }));
  }

  private base() {
    return this.db.selectFrom('users').select(['id', 'username', 'disabled', 'created_at', 'totp_secret', 'locked_until']);
  }

  async create(u: NewUser): Promise<User> {
    if (await this.byName(u.username)) throw VigilError.conflict(`user ${u.username} already exists`);
    const id = await this.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('users')
        .values({ username: u.username, password_hash: u.passwordHash, disabled: 0, totp_secret: null, failed_logins: 0, locked_until: null, created_at: toDb(this.clock.now()) })
        .returning('id')
        .executeTakeFirstOrThrow();
      await this.writeRoles(trx, row.id, u.roles);
      return row.id;
    });
    return (await this.get(id))!;
  }

  private async writeRoles(trx: Kysely<Database>, userId: number, roles: string[]): Promise<void> {
    await trx.deleteFrom('user_roles').where('user_id', '=', userId).execute();
    for (const name of new Set(roles)) {
      const role = await trx.selectFrom('roles').select('id').where('name', '=', name).executeTakeFirst();
      if (!role) throw VigilError.badRequest(`unknown role "${name}"`);
      await trx.insertInto('user_roles').values({ user_id: userId, role_id: role.id }).execute();
    }
  }

  async get(id: number): Promise<User | null> {
    const rows = await this.base().where('id', '=', id).execute();
    return (await this.hydrate(rows))[0] ?? null;
  }
  async byName(username: string): Promise<User | null> {
    const rows = await this.base().where('username', '=', username).execute();
    return (await this.hydrate(rows))[0] ?? null;
  }
  async list(): Promise<User[]> {
    return this.hydrate(await this.base().orderBy('username').execute());
  }
  async count(): Promise<number> {
    const r = await this.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }
  async setDisabled(id: number, disabled: boolean): Promise<void> {
    await this.db.updateTable('users').set({ disabled: disabled ? 1 : 0 }).where('id', '=', id).execute();
  }
  async setRoles(id: number, roles: string[]): Promise<void> {
    await this.db.transaction().execute((trx) => this.writeRoles(trx, id, roles));
  }
  async setPasswordHash(id: number, hash: string): Promise<void> {
    await this.db.updateTable('users').set({ password_hash: hash }).where('id', '=', id).execute();
  }
  async passwordHash(id: number): Promise<string | null> {
    const r = await this.db.selectFrom('users').select('password_hash').where('id', '=', id).executeTakeFirst();
    return r?.password_hash ?? null;
  }
  async addKey(userId: number, publicKey: string, fingerprint: string): Promise<UserKey> {
    const r = await this.db
      .insertInto('user_keys')
      .values({ user_id: userId, public_key: publicKey, fingerprint, created_at: toDb(this.clock.now()) })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id: r.id, userId, publicKey, fingerprint };
  }
  async keys(userId: number): Promise<UserKey[]> {
    const rows = await this.db.selectFrom('user_keys').selectAll().where('user_id', '=', userId).execute();
    return rows.map((r) => ({ id: r.id, userId: r.user_id, publicKey: r.public_key, fingerprint: r.fingerprint }));
  }
  async recordFailure(id: number, lockUntil: (failures: number) => Date | null): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const r = await trx.selectFrom('users').select('failed_logins').where('id', '=', id).executeTakeFirstOrThrow();
      const failures = r.failed_logins + 1;
      const until = lockUntil(failures);
      await trx
        .updateTable('users')
        .set({ failed_logins: failures, ...(until ? { locked_until: toDb(until) } : {}) })
        .where('id', '=', id)
        .execute();
      return failures;
    });
  }
  async recordSuccess(id: number): Promise<void> {
    // Most logins follow a clean record: then nothing is written (no WAL frame, no write lock taken for long).
    await this.db
      .updateTable('users')
      .set({ failed_logins: 0, locked_until: null })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('failed_logins', '!=', 0), eb('locked_until', 'is not', null)]))
      .execute();
  }
  async totpSecret(id: number): Promise<string | null> {
    const r = await this.db.selectFrom('users').select('totp_secret').where('id', '=', id).executeTakeFirst();
    return r?.totp_secret ?? null;
  }
  async setTotpSecret(id: number, encrypted: string | null): Promise<void> {
    await this.db.updateTable('users').set({ totp_secret: encrypted }).where('id', '=', id).execute();
  }
}
