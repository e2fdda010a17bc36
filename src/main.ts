// The composition root: the one place that builds concrete objects (store, vault, hub, gateway, API) and wires them.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { systemClock, type Clock } from './core/clock.js';
import { dataPaths, type VigilConfig } from './core/config.js';
import { SEEDED_ROLES } from './core/permissions.js';
import { UserAdmin } from './core/user-admin.js';
import { openSqliteStore, searchDbPath, type SqliteStore } from './store/sqlite-store.js';
import { AesGcmSecretBox, loadMasterKey } from './vault/secret-box.js';
import { ScryptPasswordHasher } from './vault/password-hasher.js';
import type { PasswordHasher, SecretBox } from './core/ports.js';
import { FileRecordingStore } from './recording/file-recording-store.js';
import { RecorderPool } from './recording/recorder-pool.js';
import { SessionHub } from './hub/session-hub.js';
import { MirrorPool } from './hub/mirror/mirror-pool.js';
import { SshAuthenticator } from './gateway/ssh/auth.js';
import { TargetConnector } from './gateway/ssh/target.js';
import { SshGateway } from './gateway/ssh/server.js';
import { loadOrCreateHostKey, nativeCryptoLoaded } from './gateway/ssh/host-key.js';
import { startApi } from './api/app.js';
import { AuthService } from './core/auth-service.js';
import { TotpCodes, TotpEnrolment, type TotpEngine } from './core/totp-enrolment.js';
import { OtpauthTotpEngine } from './vault/totp.js';
import { SessionAccess } from './core/session-access.js';
import { VaultAdmin } from './core/vault-admin.js';
import { SqliteTokenRepo } from './store/token-repo.js';
import { validatePrivateKey } from './cli/key-check.js';
import { verifyRecording } from './recording/integrity.js';
import { castReadStream, castStat, castStorage } from './recording/cast-source.js';
import { FsPurgeFiles } from './core/purge-files.js';
import { PurgeService } from './core/purge-service.js';
import { SettingsService } from './core/settings-service.js';
import { PurgeJob } from './hub/purge-job.js';
import { CompressJob } from './hub/compress-job.js';
import { CastCompressor } from './recording/cast-compressor.js';
import { AuditSessions } from './core/audit-sessions.js';
import { CommandRules } from './core/command-rules.js';
import { SessionLogs } from './core/session-logs.js';
import { AsciicastRecordingText } from './hub/commands/recording-text.js';
import { CommandMonitor } from './hub/commands/command-monitor.js';
import { RuleCache } from './hub/commands/rule-cache.js';
import { SearchFollower } from './hub/commands/search-follower.js';
import { RecordingPlayer } from './recording/player/recording-player.js';
import { VideoJobs } from './recording/video/video-jobs.js';
import { KeyframeService } from './recording/keyframes/keyframe-service.js';
import { renderVideo } from './recording/video/video-renderer.js';
import { playback } from './recording/player/terminal-playback.js';
import type { ApiDeps } from './api/context.js';
import type { LiveViewerSource } from './api/live-source.js';

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
  verifyRecording: typeof verifyRecording;
  /** How a recording is stored (plain, compressed, or not at all). */
  castStorage: typeof castStorage;
  /** The TOTP algorithm, for `vigil user totp`. */
  totp: TotpEngine;
  /** Session Video for `vigil sessions video` and `vigil sessions play` (run in the CLI's own process). */
  renderVideo: typeof renderVideo;
  playback: typeof playback;
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
  return { store, secretBox, hasher, clock, verifyRecording, castStorage, totp: new OtpauthTotpEngine(), renderVideo, playback, close: () => store.close() };
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

    // Keyframes for Session Video seek: a worker thread follows each recording as it is written.
    const keyframes = new KeyframeService({ onError: (file, error) => logger.warn({ file, error }, 'keyframe indexing failed') });
    closers.push(() => keyframes.close());
    // Recordings are encoded, hashed and written on one worker thread for all sessions; stopped after the hub.
    const recorders = new RecorderPool();
    closers.push(() => recorders.close());
    // Live terminal mirrors (Live Stream snapshots) of all sessions are parsed on one worker thread, off the relay's.
    const mirrors = new MirrorPool({ onWorkerError: (err) => logger.error({ err: err.message }, 'live mirror worker stopped; live screens start over blank') });
    closers.push(() => mirrors.close());
    const settings = new SettingsService({ settings: store.settings, audit: store.audit, clock, users: store.users });
    // One checker for the console and the gateway, so that a code used at one is refused at the other.
    const totpCodes = new TotpCodes({ users: store.users, box: secretBox, engine: admin.totp, clock });
    const hub = new SessionHub({
      sessions: store.sessions,
      events: store.events,
      blocks: store.blocks,
      recordings: new FileRecordingStore({ dir: paths.recordings, pool: recorders }),
      clock,
      logger,
      keyframes,
      mirrors,
      policy: {
        defaultAuditors: () => settings.get('auditors.default'),
        recordingFailure: () => settings.get('recording.onFailure'),
      },
    });
    // Command log: reconstruction, real-time rules and the search index (a worker thread reading the recordings).
    const ruleCache = new RuleCache(store.rules);
    const searchFollower = SearchFollower.start({ file: searchDbPath(paths.database) }, logger);
    const monitor = new CommandMonitor({
      commands: store.commands,
      index: searchFollower,
      recordings: searchFollower,
      rules: ruleCache,
      drop: (id, reason) => hub.drop(id, { userId: null, username: 'Vigil' }, reason),
      clock,
      logger,
    });
    monitor.watch(hub);
    hub.setAdmission((s) => monitor.admit(s));
    // Stopped after the hub (closers run in reverse): the logs of the sessions it ends are written first.
    closers.push(() => searchFollower.stop(), () => monitor.idle());
    const recovered = await hub.recover();
    if (recovered > 0) logger.warn({ sessions: recovered }, 'sessions left active by a previous run closed as interrupted');

    const gateway = new SshGateway({
      hostKeys: [loadOrCreateHostKey(paths.hostKey)],
      logger,
      limits: config.sshLimits,
      authenticator: new SshAuthenticator({
        users: store.users,
        hasher,
        clock,
        logger,
        verifyTotp: (userId, code) => totpCodes.verify(userId, code),
        requireTotp: () => settings.get('auth.requireTotp'),
        audit: store.audit,
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

    const purgeJob = new PurgeJob({
      purge: new PurgeService({
        repo: store.purge,
        files: new FsPurgeFiles({ recordingsDir: paths.recordings, videosDir: paths.videos, root: paths.root }),
        clock,
        retentionDays: () => settings.retentionDays(),
      }),
      logger,
    });
    purgeJob.start();
    closers.push(() => purgeJob.stop());
    // Closed recordings are compressed (seekable gzip, checked against their SHA-256) on a low-priority thread.
    const compressor = new CastCompressor();
    const compressJob = new CompressJob({ repo: store.compress, compressor, clock, logger, intervalMs: config.compression.intervalMs, settleMs: config.compression.settleMs });
    if (config.compression.enabled) compressJob.start();
    closers.push(() => compressor.close(), () => compressJob.stop());

    const auth = new AuthService({
      users: store.users,
      roles: store.roles,
      tokens: new SqliteTokenRepo(store.database.db),
      hasher,
      audit: store.audit,
      clock,
      verifyTotp: (userId, code) => totpCodes.verify(userId, code),
      requireTotp: () => settings.get('auth.requireTotp'),
    });
    const totp = new TotpEnrolment({ users: store.users, box: secretBox, engine: admin.totp, codes: totpCodes, failures: auth, audit: store.audit, clock });
    const access = new SessionAccess({ sessions: store.sessions, users: store.users, blocks: store.blocks, audit: store.audit, events: hub, live: hub, clock });
    const api = await startApi(
      {
        auth,
        totp,
        access,
        userAdmin: new UserAdmin(store.users, store.roles, hasher, store.audit, clock),
        vaultAdmin: new VaultAdmin(store.devices, store.credentials, store.grants, store.users, secretBox, store.audit, clock, { validatePrivateKey }),
        hub,
        liveSource: (id) => liveSourceOf(hub, id),
        users: store.users,
        blocks: store.blocks,
        devices: store.devices,
        credentials: store.credentials,
        grants: store.grants,
        audit: store.audit,
        settings: store.settings,
        clock,
        logger: logger.child({ component: 'api' }),
        sessionVideo: buildSessionVideo({ store, paths, keyframes, logger, closers }),
        sessionLogs: buildSessionLogs({ store, hub, access, clock, ruleCache }),
      },
      { host: config.httpListen.host, port: config.httpListen.port, webRoot: webRoot(), secureCookies: false },
    );
    closers.push(() => api.close());
    const httpAddress = api.address;
    logger.info({ host: httpAddress.host, port: httpAddress.port }, 'web console and API listening');

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

/** The built console (dist/web) beside the compiled code or the sources; undefined when not built. */
function webRoot(): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const candidate of [path.resolve(here, 'web'), path.resolve(here, '../dist/web')]) {
    if (fs.existsSync(path.join(candidate, 'index.html'))) return candidate;
  }
  return undefined;
}

/** Session Video: the player's reads (keyframes completed by the worker when missing) and the MP4 jobs (one render at a time). */
function buildSessionVideo(o: {
  store: SqliteStore;
  paths: ReturnType<typeof dataPaths>;
  keyframes: KeyframeService;
  logger: Logger;
  closers: Array<() => Promise<void>>;
}): ApiDeps['sessionVideo'] {
  const videos = new VideoJobs({ videosDir: o.paths.videos, onError: (sessionId, error) => o.logger.warn({ sessionId, error }, 'video generation failed') });
  o.closers.push(() => videos.close());
  const player = new RecordingPlayer({ ensureIndex: (p) => o.keyframes.ensure(p) });
  return { player, videos, recordings: { stat: castStat, stream: castReadStream }, events: o.store.events, commands: o.store.commands };
}

/** Session Logs, audited-command rules and Sessions for audit. */
function buildSessionLogs(o: { store: SqliteStore; hub: SessionHub; access: SessionAccess; clock: Clock; ruleCache: RuleCache }): ApiDeps['sessionLogs'] {
  const { store, hub, access, clock } = o;
  const rules = new CommandRules({ rules: store.rules, audit: store.audit, clock });
  // A rule changed through the API applies to the next Enter; one changed by the CLI within the cache's 2 s.
  rules.onChange(() => o.ruleCache.invalidate());
  return {
    logs: new SessionLogs({ access, sessions: store.sessions, events: store.events, eventSink: hub, commands: store.commands, index: store.search, recordings: new AsciicastRecordingText(), clock }),
    rules,
    audits: new AuditSessions({ sessions: store.sessions, users: store.users, notes: store.auditNotes, events: hub, audit: store.audit, clock }),
  };
}

/** The live mirror of an active session, as the Live Stream route reads it. */
function liveSourceOf(hub: SessionHub, id: number): LiveViewerSource | null {
  return hub.liveStream(id);
}
