// Roles and their permissions, in SQLite.

import type { Kysely } from 'kysely';
import type { RoleRepo } from '../core/ports.js';
import type { Role } from '../core/types.js';
import type { Database } from './schema.js';

export class SqliteRoleRepo implements RoleRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async list(): Promise<Role[]> {
    const roles = await this.db.selectFrom('roles').selectAll().orderBy('id').execute();
    const perms = await this.db.selectFrom('role_permissions').selectAll().orderBy('permission').execute();
    return roles.map((r) => ({ id: r.id, name: r.name, permissions: perms.filter((p) => p.role_id === r.id).map((p) => p.permission) }));
  }
  async byName(name: string): Promise<Role | null> {
    return (await this.list()).find((r) => r.name === name) ?? null;
  }
  async upsert(name: string, permissions: string[]): Promise<Role> {
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('roles').values({ name }).onConflict((oc) => oc.column('name').doNothing()).execute();
      const role = await trx.selectFrom('roles').select('id').where('name', '=', name).executeTakeFirstOrThrow();
      await trx.deleteFrom('role_permissions').where('role_id', '=', role.id).execute();
      for (const p of new Set(permissions)) await trx.insertInto('role_permissions').values({ role_id: role.id, permission: p }).execute();
    });
    return (await this.byName(name))!;
  }
  async remove(name: string): Promise<void> {
    await this.db.deleteFrom('roles').where('name', '=', name).execute();
  }
  async seed(roles: ReadonlyArray<{ name: string; permissions: readonly string[] }>): Promise<void> {
    for (const r of roles) {
      const exists = await this.db.selectFrom('roles').select('id').where('name', '=', r.name).executeTakeFirst();
      if (!exists) await this.upsert(r.name, [...r.permissions]);
    }
  }
  async permissionsOf(roleNames: readonly string[]): Promise<string[]> {
    if (roleNames.length === 0) return [];
    const rows = await this.db
      .selectFrom('role_permissions')
      .innerJoin('roles', 'roles.id', 'role_permissions.role_id')
      .select('role_permissions.permission as p')
      .where('roles.name', 'in', [...roleNames])
      .distinct()
      .execute();
    return rows.map((r) => r.p);
  }
}
