// The composition root: the one place that builds concrete objects (store, vault, hub, gateway, API) and wires them.

import fs from 'node:fs';
import { pino, type Logger } from 'pino';
import * as OTPAuth from 'otpauth';
import { systemClock, type Clock } from './core/clock.js';
import { dataPaths, type VigilConfig } from './core/config.js';
import { SEEDED_ROLES } from './core/permissions.js';
import { UserAdmin } from './core/user-admin.js';
import { openSqliteStore, type SqliteStore } from './store/sqlite-store.js';
import { AesGcmSecretBox, loadMasterKey } from './vault/secret-box.js';
import { ScryptPasswordHasher } from './vault/password-hasher.js';
import type { PasswordHasher, SecretBox } from './core/ports.js';
import { FileRecordingStore } from './recording/file-recording-store.js';
import { SessionHub } from './hub/session-hub.js';
import { SshAuthenticator } from './gateway/ssh/auth.js';
import { TargetConnector } from './gateway/ssh/target.js';
import { SshGateway } from './gateway/ssh/server.js';
import { loadOrCreateHostKey, nativeCryptoLoaded } from './gateway/ssh/host-key.js';

export interface AdminContextOptions {
  dataDir: string;
  /** VIGIL_MASTER_KEY, read by the CLI edge and passed in. */
  masterKey?: string;
  clock?: Clock;
  passwordHashCost?: number;
}

/** What administration commands need: the repositories, the vault box and the password hasher. */
export interface AdminContext {
  store: SqliteStore;
  secretBox: SecretBox;
  hasher: PasswordHasher;
  clock: Clock;
  close(): Promise<void>;
}

/** Opens the data directory for administration (CLI), without starting any listener. */
export async function openAdmin(opts: AdminContextOptions): Promise<AdminContext> {
  const paths = dataPaths(opts.dataDir);
  const clock = opts.clock ?? systemClock;
  const store = await openSqliteStore(paths.database, clock);
  await store.roles.seed(SEEDED_ROLES);
  const secretBox = new AesGcmSecretBox(loadMasterKey(paths.masterKey, opts.masterKey));
  const hasher = new ScryptPasswordHasher({ N: opts.passwordHashCost });
  return { store, secretBox, hasher, clock, close: () => store.close() };
}

/** Field names whose values never reach a log line, at any depth pino can address. */
const REDACT_KEYS = ['password', 'secret', 'privateKey', 'private_key', 'token', 'masterKey', 'passphrase', 'passwordHash', 'authorization', 'cookie'];

/** The process logger: JSON lines on stdout, secrets redacted. */
export function createLogger(level: VigilConfig['logLevel']): Logger {
  const paths = REDACT_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);
  return pino({ level, base: { pid: process.pid }, redact: { paths, censor: '[redacted]' } });
}

/** A running Vigil: where it listens, and how to stop it. */
export interface RunningVigil {
  sshAddress: { host: string; port: number };
  httpAddress: { host: string; port: number };
  stop(): Promise<void>;
}

export interface StartVigilOptions {
  logger?: Logger;
  clock?: Clock;
}

/** Starts Vigil on a data directory: store, vault, recordings, crash recovery, the SSH gateway (and the API). */
export async function startVigil(config: VigilConfig, opts: StartVigilOptions = {}): Promise<RunningVigil & { hub: SessionHub }> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const paths = dataPaths(config.dataDir);
  for (const dir of [paths.root, paths.recordings]) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const admin = await openAdmin({ dataDir: config.dataDir, masterKey: config.masterKey, clock: opts.clock, passwordHashCost: config.passwordHashCost });
  const { store, secretBox, hasher, clock } = admin;
  const closers: Array<() => Promise<void>> = [() => admin.close()];
  const closeAll = async () => {
    for (const c of closers.reverse()) await c().catch((err: unknown) => logger.error({ err: String(err) }, 'error while stopping'));
  };
  try {
    await ensureInitialAdmin(store, hasher, clock, config.adminPassword);

    const native = await nativeCryptoLoaded();
    if (native) logger.info({ nativeCrypto: true }, 'ssh2 native crypto binding loaded');
    else logger.warn({ nativeCrypto: false }, 'ssh2 native crypto binding NOT loaded: SSH throughput will be about 3x lower (rebuild ssh2 with a C++ toolchain)');

    const hub = new SessionHub({
      sessions: store.sessions,
      events: store.events,
      blocks: store.blocks,
      recordings: new FileRecordingStore({ dir: paths.recordings }),
      clock,
      logger,
    });
    const recovered = await hub.recover();
    if (recovered > 0) logger.warn({ sessions: recovered }, 'sessions left active by a previous run closed as interrupted');

    const gateway = new SshGateway({
      hostKeys: [loadOrCreateHostKey(paths.hostKey)],
      logger,
      authenticator: new SshAuthenticator({
        users: store.users,
        hasher,
        clock,
        logger,
        verifyTotp: async (userId, code) => {
          const sealed = await store.users.totpSecret(userId);
          return sealed !== null && /^\d{6,8}$/.test(code) && verifyTotpCode(secretBox.open(sealed), code);
        },
      }),
      sessions: {
        hub,
        grants: store.grants,
        credentials: store.credentials,
        devices: store.devices,
        connector: new TargetConnector({ devices: store.devices, encryptedSecret: (id) => store.credentials.encryptedSecret(id), secretBox, logger }),
        permissionsOf: (roles) => store.roles.permissionsOf(roles),
        logger,
      },
    });
    const sshAddress = await gateway.listen(config.sshListen.host, config.sshListen.port);
    // Closed in reverse: live sessions end as interrupted (users told), then connections close, then the store.
    closers.push(() => gateway.close(), () => hub.shutdown());
    logger.info({ host: sshAddress.host, port: sshAddress.port }, 'ssh gateway listening');

    // API server wired here: build it from `store`, `hub`, `hasher`, `secretBox` and `clock`, listen on
    // config.httpListen, push its close() onto `closers`, and return its bound address as httpAddress.
    const httpAddress = { host: config.httpListen.host, port: config.httpListen.port };

    let stopping: Promise<void> | null = null;
    return {
      sshAddress,
      httpAddress,
      hub,
      stop: () => (stopping ??= closeAll().then(() => logger.info({}, 'vigil stopped'))),
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** Creates `admin` on a fresh data directory; a generated password is printed once on stdout, never logged. */
async function ensureInitialAdmin(store: SqliteStore, hasher: PasswordHasher, clock: Clock, password: string | undefined): Promise<void> {
  const users = new UserAdmin(store.users, store.roles, hasher, store.audit, clock);
  const r = await users.ensureInitialAdmin(password);
  if (r.generatedPassword) process.stdout.write(`Initial administrator: admin / ${r.generatedPassword}\n`);
}

/** RFC 6238 check of a code against a base32 TOTP secret, one step of clock skew either way. */
function verifyTotpCode(base32Secret: string, code: string): boolean {
  try {
    return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(base32Secret) }).validate({ token: code, window: 1 }) !== null;
  } catch {
    return false;
  }
}
