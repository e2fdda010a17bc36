// Devices, vaulted credentials (ciphertext only) and grants, in SQLite.

import type { Kysely } from 'kysely';
import type { CredentialRepo, DeviceRepo, GrantRepo, NewDevice } from '../core/ports.js';
import type { Credential, CredentialKind, Device, Grant } from '../core/types.js';
import { VigilError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import type { Database } from './schema.js';
import { toDb } from './database.js';

type DeviceRow = Database['devices'] & { id: number };

function device(r: { id: number; name: string; host: string; port: number; host_key: string | null; trust_on_first_use: number; created_at: string }): Device {
  return { id: r.id, name: r.name, host: r.host, port: r.port, hostKey: r.host_key, trustOnFirstUse: r.trust_on_first_use === 1, createdAt: new Date(r.created_at) };
}

export class SqliteDeviceRepo implements DeviceRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}
  async create(d: NewDevice): Promise<Device> {
    if (await this.byName(d.name)) throw VigilError.conflict(`device ${d.name} already exists`);
    const r = await this.db
      .insertInto('devices')
      .values({ name: d.name, host: d.host, port: d.port, host_key: d.hostKey, trust_on_first_use: d.trustOnFirstUse ? 1 : 0, created_at: toDb(this.clock.now()) })
      .returningAll()
      .executeTakeFirstOrThrow();
    return device(r as DeviceRow);
  }
  async byName(name: string): Promise<Device | null> {
    const r = await this.db.selectFrom('devices').selectAll().where('name', '=', name).executeTakeFirst();
    return r ? device(r) : null;
  }
  async get(id: number): Promise<Device | null> {
    const r = await this.db.selectFrom('devices').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? device(r) : null;
  }
  async list(): Promise<Device[]> {
    return (await this.db.selectFrom('devices').selectAll().orderBy('name').execute()).map(device);
  }
  async pinHostKey(id: number, hostKey: string): Promise<boolean> {
    const res = await this.db.updateTable('devices').set({ host_key: hostKey }).where('id', '=', id).where('host_key', 'is', null).executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }
  async remove(id: number): Promise<void> {
    await this.db.deleteFrom('devices').where('id', '=', id).execute();
  }
}

export class SqliteCredentialRepo implements CredentialRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}
  private base() {
    return this.db
      .selectFrom('credentials')
      .innerJoin('devices', 'devices.id', 'credentials.device_id')
      .select(['credentials.id as id', 'credentials.device_id as deviceId', 'devices.name as deviceName', 'credentials.account as account', 'credentials.kind as kind', 'credentials.created_at as createdAt']);
  }
  private map(r: { id: number; deviceId: number; deviceName: string; account: string; kind: string; createdAt: string }): Credential {
    return { ...r, kind: r.kind as CredentialKind, createdAt: new Date(r.createdAt) };
  }
  async create(deviceId: number, account: string, kind: CredentialKind, encryptedSecret: string): Promise<Credential> {
    const dup = await this.db.selectFrom('credentials').select('id').where('device_id', '=', deviceId).where('account', '=', account).executeTakeFirst();
    if (dup) throw VigilError.conflict(`credential ${account} already exists on that device`);
    const r = await this.db
      .insertInto('credentials')
      .values({ device_id: deviceId, account, kind, secret: encryptedSecret, created_at: toDb(this.clock.now()) })
      .returning('id')
      .executeTakeFirstOrThrow();
    return (await this.get(r.id))!;
  }
  async get(id: number): Promise<Credential | null> {
    const r = await this.base().where('credentials.id', '=', id).executeTakeFirst();
    return r ? this.map(r) : null;
  }
  async find(account: string, deviceName: string): Promise<Credential | null> {
    const r = await this.base().where('credentials.account', '=', account).where('devices.name', '=', deviceName).executeTakeFirst();
    return r ? this.map(r) : null;
  }
  async list(): Promise<Credential[]> {
    return (await this.base().orderBy('devices.name').orderBy('credentials.account').execute()).map((r) => this.map(r));
  }
  async encryptedSecret(id: number): Promise<string> {
    const r = await this.db.selectFrom('credentials').select('secret').where('id', '=', id).executeTakeFirst();
    if (!r) throw VigilError.notFound('credential');
    return r.secret;
  }
  async remove(id: number): Promise<void> {
    await this.db.deleteFrom('credentials').where('id', '=', id).execute();
  }
}

export class SqliteGrantRepo implements GrantRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}
  private base() {
    return this.db
      .selectFrom('grants')
      .innerJoin('users', 'users.id', 'grants.user_id')
      .innerJoin('credentials', 'credentials.id', 'grants.credential_id')
      .innerJoin('devices', 'devices.id', 'credentials.device_id')
      .select([
        'grants.id as id',
        'grants.user_id as userId',
        'users.username as username',
        'grants.credential_id as credentialId',
        'credentials.account as account',
        'devices.name as device',
        'grants.allow_port_forwarding as apf',
        'grants.created_at as createdAt',
      ]);
  }
  private map(r: { id: number; userId: number; username: string; credentialId: number; account: string; device: string; apf: number; createdAt: string }): Grant {
    return { id: r.id, userId: r.userId, username: r.username, credentialId: r.credentialId, credential: `${r.account}@${r.device}`, allowPortForwarding: r.apf === 1, createdAt: new Date(r.createdAt) };
  }
  async add(userId: number, credentialId: number, allowPortForwarding: boolean): Promise<Grant> {
    if (await this.find(userId, credentialId)) throw VigilError.conflict('that grant already exists');
    await this.db
      .insertInto('grants')
      .values({ user_id: userId, credential_id: credentialId, allow_port_forwarding: allowPortForwarding ? 1 : 0, created_at: toDb(this.clock.now()) })
      .execute();
    return (await this.find(userId, credentialId))!;
  }
  async remove(userId: number, credentialId: number): Promise<boolean> {
    const r = await this.db.deleteFrom('grants').where('user_id', '=', userId).where('credential_id', '=', credentialId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
  async list(): Promise<Grant[]> {
    return (await this.base().orderBy('users.username').orderBy('devices.name').orderBy('credentials.account').execute()).map((r) => this.map(r));
  }
  async forUser(userId: number): Promise<Grant[]> {
    return (await this.base().where('grants.user_id', '=', userId).orderBy('devices.name').orderBy('credentials.account').execute()).map((r) => this.map(r));
  }
  async find(userId: number, credentialId: number): Promise<Grant | null> {
    const r = await this.base().where('grants.user_id', '=', userId).where('grants.credential_id', '=', credentialId).executeTakeFirst();
    return r ? this.map(r) : null;
  }
}
