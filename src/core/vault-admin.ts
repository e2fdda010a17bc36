// Vault administration: devices, vaulted credentials (sealed before storage) and grants, each change audited.

import type { Clock } from './clock.js';
import { VigilError } from './errors.js';
import type { AuditRepo, CredentialRepo, DeviceRepo, GrantRepo, SecretBox, UserRepo } from './ports.js';
import type { Credential, Device, Grant } from './types.js';
import { parseOpenSshPublicKey } from './user-admin.js';

export interface VaultAdminOptions {
  /**
   * Checks that a private key can be used by the gateway (parsed by the SSH library, unencrypted);
   * returns an error message safe to show (never the key), or null when usable. Injected because
   * core does not import the SSH library.
   */
  validatePrivateKey?: (pem: string) => string | null;
}

export interface AddDeviceInput {
  name: string;
  host: string;
  port?: number;
  /** Pinned host key "TYPE BASE64 [comment]"; exactly one of this and trustOnFirstUse. */
  hostKey?: string;
  trustOnFirstUse: boolean;
}

/** The secret of a credential: a password or an OpenSSH/PEM private key. */
export type CredentialSecret = { password: string } | { privateKey: string };

const DEVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const ACCOUNT = /^[^\s\p{Cc}]{1,64}$/u;
const MAX_SECRET = 64 * 1024;
const PRIVATE_KEY = /^-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----\r?\n[\s\S]+\r?\n-----END ([A-Z0-9]+ )*PRIVATE KEY-----\s*$/;

/** "ACCOUNT@DEVICE", split at the last "@" so accounts may contain one. */
export function parseCredentialSpec(spec: string): { account: string; device: string } {
  const at = typeof spec === 'string' ? spec.lastIndexOf('@') : -1;
  const account = at > 0 ? spec.slice(0, at) : '';
  const device = at > 0 ? spec.slice(at + 1) : '';
  if (!account || !device) throw VigilError.badRequest(`credential must be written ACCOUNT@DEVICE, e.g. root@web01`);
  return { account, device };
}

/** Manages the vault; no secret ever appears in a return value, an error message or an audit entry. */
export class VaultAdmin {
  private readonly validatePrivateKey?: (pem: string) => string | null;

  constructor(
    private readonly devices: DeviceRepo,
    private readonly credentials: CredentialRepo,
    private readonly grants: GrantRepo,
    private readonly users: UserRepo,
    private readonly secretBox: SecretBox,
    private readonly audit: AuditRepo,
    private readonly clock: Clock,
    options: VaultAdminOptions = {},
  ) {
    this.validatePrivateKey = options.validatePrivateKey;
  }

  /** Registers a target device, with its host key pinned now or learnt on first connection. */
  async addDevice(input: AddDeviceInput, actor: string): Promise<Device> {
    const { name, host, port = 22, trustOnFirstUse } = input;
    if (typeof name !== 'string' || !DEVICE_NAME.test(name)) {
      throw VigilError.badRequest('device name must be 1-64 characters: letters, digits, "_", "." or "-", starting with a letter or digit');
    }
    if (typeof host !== 'string' || !/^[^\s\p{Cc}]{1,255}$/u.test(host)) throw VigilError.badRequest('host must be a non-empty host name or address without spaces');
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw VigilError.badRequest('port must be an integer from 1 to 65535');
    const hasKey = input.hostKey !== undefined && input.hostKey.trim() !== '';
    if (hasKey === Boolean(trustOnFirstUse)) throw VigilError.badRequest('give exactly one of a host key or trust on first use');
    const key = hasKey ? parseOpenSshPublicKey(input.hostKey!, 'host key') : null;
    if (await this.devices.byName(name)) throw VigilError.conflict(`device ${name} already exists`);
    const device = await this.devices.create({ name, host, port, hostKey: key?.normalized ?? null, trustOnFirstUse: !key });
    await this.record(actor, 'device.add', name, { host, port, hostKeyFingerprint: key?.fingerprint ?? null, trustOnFirstUse: !key });
    return device;
  }

  async listDevices(): Promise<Device[]> {
    return this.devices.list();
  }

  /** Removes a device with its credentials and their grants. */
  async removeDevice(name: string, actor: string): Promise<void> {
    const device = await this.devices.byName(name);
    if (!device) throw VigilError.notFound(`device ${name}`);
    const creds = (await this.credentials.list()).filter((c) => c.deviceId === device.id).map((c) => c.account);
    await this.devices.remove(device.id);
    await this.record(actor, 'device.remove', name, { host: device.host, port: device.port, credentialsRemoved: creds });
  }

  /** Vaults a password or private key for ACCOUNT@DEVICE; the secret is sealed before it reaches storage. */
  async addCredential(spec: string, secret: CredentialSecret, actor: string): Promise<Credential> {
    const { account, device: deviceName } = parseCredentialSpec(spec);
    if (!ACCOUNT.test(account)) throw VigilError.badRequest('account must be 1-64 characters without spaces or control characters');
    const kind = 'password' in secret ? 'password' : 'key';
    const plaintext = 'password' in secret ? secret.password : secret.privateKey;
    if (typeof plaintext !== 'string' || plaintext.length === 0) throw VigilError.badRequest(`the ${kind === 'key' ? 'private key' : 'password'} is empty`);
    if (plaintext.length > MAX_SECRET) throw VigilError.badRequest(`the ${kind === 'key' ? 'private key' : 'password'} is too long`);
    if (kind === 'key') this.checkPrivateKey(plaintext);
    const device = await this.devices.byName(deviceName);
    if (!device) throw VigilError.notFound(`device ${deviceName}`);
    if (await this.credentials.find(account, device.name)) throw VigilError.conflict(`credential ${account}@${device.name} already exists`);
    const created = await this.credentials.create(device.id, account, kind, this.secretBox.seal(plaintext));
    await this.record(actor, 'credential.add', `${account}@${device.name}`, { kind });
    return created;
  }

  /** Credentials without their secrets. */
  async listCredentials(): Promise<Credential[]> {
    return this.credentials.list();
  }

  /** Removes a credential and the grants to it. */
  async removeCredential(spec: string, actor: string): Promise<void> {
    const cred = await this.credential(spec);
    await this.credentials.remove(cred.id);
    await this.record(actor, 'credential.remove', `${cred.account}@${cred.deviceName}`, { kind: cred.kind });
  }

  /** Lets a user open sessions with a credential. */
  async addGrant(username: string, spec: string, opts: { allowPortForwarding?: boolean }, actor: string): Promise<Grant> {
    const user = await this.user(username);
    const cred = await this.credential(spec);
    if (await this.grants.find(user.id, cred.id)) throw VigilError.conflict(`${user.username} already has a grant on ${cred.account}@${cred.deviceName}`);
    const allowPortForwarding = opts.allowPortForwarding === true;
    const grant = await this.grants.add(user.id, cred.id, allowPortForwarding);
    await this.record(actor, 'grant.add', `${user.username} -> ${grant.credential}`, { allowPortForwarding });
    return grant;
  }

  async removeGrant(username: string, spec: string, actor: string): Promise<void> {
    const user = await this.user(username);
    const cred = await this.credential(spec);
    if (!(await this.grants.remove(user.id, cred.id))) throw VigilError.notFound(`grant of ${cred.account}@${cred.deviceName} to ${user.username}`);
    await this.record(actor, 'grant.remove', `${user.username} -> ${cred.account}@${cred.deviceName}`, {});
  }

  async listGrants(): Promise<Grant[]> {
    return this.grants.list();
  }

  private checkPrivateKey(pem: string): void {
    if (!PRIVATE_KEY.test(pem.trim() + '\n')) {
      throw VigilError.badRequest('the private key must be an OpenSSH or PEM private key ("-----BEGIN ... PRIVATE KEY-----")');
    }
    const problem = this.validatePrivateKey?.(pem);
    if (problem) throw VigilError.badRequest(`the private key cannot be used: ${problem}`);
  }

  private async credential(spec: string): Promise<Credential> {
    const { account, device } = parseCredentialSpec(spec);
    const cred = await this.credentials.find(account, device);
    if (!cred) throw VigilError.notFound(`credential ${account}@${device}`);
    return cred;
  }

  private async user(username: string) {
    const user = await this.users.byName(username);
    if (!user) throw VigilError.notFound(`user ${username}`);
    return user;
  }

  private async record(actor: string, action: string, target: string, details: Record<string, unknown>): Promise<void> {
    await this.audit.append({ at: this.clock.now(), actor, action, target, details: JSON.stringify(details) });
  }
}
