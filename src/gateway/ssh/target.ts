// Connects to a device with a vaulted credential (ssh2 Client), verifying or pinning the device's host key.

import ssh2, { type Client, type ConnectConfig, type PublicKeyAuthMethod } from 'ssh2';
import { VigilError } from '../../core/errors.js';
import type { DeviceRepo, SecretBox } from '../../core/ports.js';
import type { Credential, Device } from '../../core/types.js';
import { errMessage, type GatewayLogger } from './auth.js';
import { parseFastKey } from './fast-keys.js';

export interface TargetConnectorOptions {
  devices: DeviceRepo;
  /** The vault ciphertext of a credential's secret. */
  encryptedSecret: (credentialId: number) => Promise<string>;
  secretBox: SecretBox;
  logger: GatewayLogger;
  /** Handshake and login must finish within this (default 10 s). */
  connectTimeoutMs?: number;
}

/** An open connection to a device. */
export interface TargetConnection {
  client: Client;
  /** The device's host key as "TYPE BASE64". */
  hostKey: string;
  close(): void;
}

/** Host key algorithms that prove possession of a key of the given type. */
function algorithmsFor(keyType: string): string[] {
  return keyType === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [keyType];
}

/** "TYPE BASE64" of an SSH public key blob (the type is the blob's first string). */
export function hostKeyLine(blob: Buffer): string {
  const len = blob.length >= 4 ? blob.readUInt32BE(0) : 0;
  const type = len > 0 && 4 + len <= blob.length ? blob.subarray(4, 4 + len).toString('latin1') : 'unknown';
  return `${type} ${blob.toString('base64')}`;
}

/** Parses a pinned "TYPE BASE64 [comment]" into its type and blob. */
export function parseHostKeyLine(line: string): { type: string; blob: Buffer } | null {
  const [type, b64] = line.trim().split(/\s+/);
  if (!type || !b64) return null;
  const blob = Buffer.from(b64, 'base64');
  return blob.length > 0 ? { type, blob } : null;
}

/**
 * Opens SSH connections to devices. Every failure is a VigilError whose message is the session's failure reason,
 * written for the user to read: it never holds the secret, and never the raw library error when that could.
 */
export class TargetConnector {
  private readonly timeoutMs: number;
  constructor(private readonly o: TargetConnectorOptions) {
    this.timeoutMs = o.connectTimeoutMs ?? 10_000;
  }

  async connect(device: Device, credential: Credential): Promise<TargetConnection> {
    let secret: string;
    try {
      secret = this.o.secretBox.open(await this.o.encryptedSecret(credential.id));
    } catch (err) {
      throw VigilError.unavailable(`the vaulted secret of ${credential.account}@${device.name} cannot be read`, err);
    }
    const pinned = device.hostKey ? parseHostKeyLine(device.hostKey) : null;
    if (device.hostKey && !pinned) throw VigilError.unavailable(`the pinned host key of ${device.name} is malformed`);
    if (!pinned && !device.trustOnFirstUse) throw VigilError.unavailable(`no host key is pinned for ${device.name}`);

    const client = new ssh2.Client();
    let seen: Buffer | null = null;
    let mismatch = false;
    const config: ConnectConfig = {
      host: device.host,
      port: device.port,
      username: credential.account,
      readyTimeout: this.timeoutMs,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 4,
      hostVerifier: (key: Buffer) => {
        seen = Buffer.from(key);
        mismatch = pinned !== null && !pinned.blob.equals(key);
        return !mismatch;
      },
      ...(pinned ? { algorithms: { serverHostKey: algorithmsFor(pinned.type) as never } } : {}),
      ...(credential.kind === 'key' ? keyLogin(credential.account, secret) : { password: secret, tryKeyboard: true }),
    };
    if (credential.kind === 'password') {
      // Some sshd only offer keyboard-interactive; answer every prompt with the vaulted password.
      client.on('keyboard-interactive', (_name, _instr, _lang, prompts, finish) => finish(prompts.map(() => secret)));
    }

    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error & { level?: string; code?: string }) => {
        client.off('ready', onReady);
        client.end();
        reject(VigilError.unavailable(this.reason(err, device, { mismatch, noKeyFormat: pinned !== null && seen === null }), err));
      };
      const onReady = () => {
        client.off('error', onError);
        resolve();
      };
      client.once('ready', onReady);
      client.once('error', onError);
      try {
        client.connect(config);
      } catch (err) {
        onError(err as Error);
      }
    });
    // Errors after the handshake (a dropped target) surface as the channel closing; keep them from crashing us.
    client.on('error', (err) => this.o.logger.debug({ device: device.name, err: errMessage(err) }, 'target connection error'));

    const line = hostKeyLine(seen ?? Buffer.alloc(0));
    if (!pinned) {
      const fresh = await this.o.devices.pinHostKey(device.id, line);
      const now = fresh ? null : await this.o.devices.get(device.id);
      if (!fresh && now?.hostKey && parseHostKeyLine(now.hostKey)?.blob.equals(seen ?? Buffer.alloc(0)) !== true) {
        client.end();
        throw VigilError.unavailable(`host key mismatch for ${device.name}`);
      }
      if (fresh) this.o.logger.info({ device: device.name, hostKey: line }, 'host key pinned on first use');
    }
    return { client, hostKey: line, close: () => client.end() };
  }

  private reason(err: Error & { level?: string; code?: string }, device: Device, s: { mismatch: boolean; noKeyFormat: boolean }): string {
    if (s.mismatch) return `host key mismatch for ${device.name}`;
    if (err.level === 'client-authentication') return 'target rejected the vaulted credential';
    if (err.level === 'client-timeout') return `target unreachable: timed out after ${Math.round(this.timeoutMs / 1000)} s`;
    if (err.code && /^E[A-Z]+$/.test(err.code)) return `target unreachable: ${err.code}`;
    if (/privateKey|private key/i.test(err.message)) return 'the vaulted private key cannot be used';
    // Only a failed host key negotiation says so; a connection lost before the handshake is not a mismatch.
    if (s.noKeyFormat && /no matching host key/i.test(err.message)) return `host key mismatch for ${device.name}: it offers no key of the pinned type`;
    if (/lost before handshake/i.test(err.message)) return 'target unreachable: the connection closed before the SSH handshake';
    // ssh2's protocol errors name algorithms and states, never the credential: safe to pass on, trimmed.
    return `target connection failed: ${err.message.slice(0, 200)}`;
  }
}

/**
 * Logs in with the vaulted private key parsed once with fast signatures (ssh2's `privateKey` option takes only text,
 * its auth handler a parsed key). A key ssh2 cannot parse is given as text, so that ssh2 reports why.
 */
function keyLogin(username: string, secret: string): Partial<ConnectConfig> {
  const key = parseFastKey(secret);
  if (key instanceof Error) return { privateKey: secret };
  const login: PublicKeyAuthMethod = { type: 'publickey', username, key };
  return { authHandler: [login] };
}
