// A real API over a real SQLite store, hub and file recordings in a temp dir, with seeded users of each role (API tests).

import { castReadStream, castStat } from '../../src/recording/cast-source.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import pino from 'pino';
import { buildApi, type ApiDeps, type ApiOptions } from '../../src/api/app.js';
import type { LiveViewer, LiveViewerSource } from '../../src/api/live-source.js';
import { AuthService } from '../../src/core/auth-service.js';
import { TotpCodes, TotpEnrolment } from '../../src/core/totp-enrolment.js';
import { OtpauthTotpEngine } from '../../src/vault/totp.js';
import { ManualClock } from '../../src/core/clock.js';
import { ROLE_PAM_ADMIN, ROLE_PAM_AUDITOR, ROLE_PAM_USER, ROLE_SYSTEM_ADMIN, SEEDED_ROLES } from '../../src/core/permissions.js';
import { SessionAccess } from '../../src/core/session-access.js';
import { AuditSessions } from '../../src/core/audit-sessions.js';
import { CommandRules } from '../../src/core/command-rules.js';
import { SessionLogs } from '../../src/core/session-logs.js';
import { AsciicastRecordingText } from '../../src/hub/commands/recording-text.js';
import type { SessionRecord, User } from '../../src/core/types.js';
import { UserAdmin } from '../../src/core/user-admin.js';
import { VaultAdmin } from '../../src/core/vault-admin.js';
import type { LiveSession, SessionControl } from '../../src/hub/live-session.js';
import { SessionHub } from '../../src/hub/session-hub.js';
import { FileRecordingStore } from '../../src/recording/file-recording-store.js';
import { buildKeyframes } from '../../src/recording/keyframes/keyframe-files.js';
import { RecordingPlayer } from '../../src/recording/player/recording-player.js';
import { VideoJobs } from '../../src/recording/video/video-jobs.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite-store.js';
import { SqliteTokenRepo } from '../../src/store/token-repo.js';
import { ScryptPasswordHasher } from '../../src/vault/password-hasher.js';
import { AesGcmSecretBox } from '../../src/vault/secret-box.js';

export const PASSWORD = 'correct-horse-battery';

/** What the gateway would be for a session: records what the hub tells the user, and closes when told to. */
export class RecordingControl implements SessionControl {
  readonly notices: string[] = [];
  readonly disconnects: string[] = [];
  constructor(private readonly live: LiveSession) {}
  notify(message: string): void {
    this.notices.push(message);
  }
  disconnect(message: string): void {
    this.disconnects.push(message);
    void this.live.end({ exitStatus: null, reason: 'closed by the gateway' });
  }
}

/** A minimal live source over a hub tap, standing in for the terminal mirror: empty snapshot, then raw output. */
export function tapViewerSource(live: LiveSession): LiveViewerSource {
  return {
    subscribe(viewer: LiveViewer) {
      let seq = 0;
      viewer.send({ type: 'snapshot', cols: live.cols, rows: live.rows, data: '', seq });
      return live.addTap({
        output: (d) => void viewer.send({ type: 'output', data: d.toString('utf8'), seq: ++seq }),
        resize: (cols, rows) => void viewer.send({ type: 'resize', cols, rows }),
        end: () => void viewer.send({ type: 'end', status: 'ended' }),
      });
    },
  };
}

export type RoleKey = 'sysadmin' | 'pamadmin' | 'auditor' | 'user';
export const ROLE_OF: Record<RoleKey, string> = { sysadmin: ROLE_SYSTEM_ADMIN, pamadmin: ROLE_PAM_ADMIN, auditor: ROLE_PAM_AUDITOR, user: ROLE_PAM_USER };

export interface Harness {
  app: FastifyInstance;
  store: SqliteStore;
  hub: SessionHub;
  clock: ManualClock;
  auth: AuthService;
  secretBox: AesGcmSecretBox;
  /** TOTP enrolment, and the code checker the console login uses. */
  totp: TotpEnrolment;
  totpCodes: TotpCodes;
  dir: string;
  /** One user per seeded role, plus `owner` (PAM User) who opens the sessions. */
  users: Record<RoleKey | 'owner', User>;
  controls: Map<number, RecordingControl>;
  /** Logs in and returns the bearer token. */
  token(who: RoleKey | 'owner'): Promise<string>;
  /** Starts an active session of `owner` with a control attached. */
  startSession(owner?: User): Promise<{ live: LiveSession; control: RecordingControl }>;
  /** A session that started and completed. */
  completedSession(owner?: User): Promise<SessionRecord>;
  inject(method: string, url: string, token: string | null, body?: unknown): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
  /** Reconstructed commands (issue 4); the search index is store.search. */
  commands: SqliteStore['commands'];
}

export async function createHarness(options: ApiOptions = {}): Promise<Harness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-api-'));
  const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
  const store = await openSqliteStore(path.join(dir, 'vigil.db'), clock);
  await store.roles.seed(SEEDED_ROLES);
  const logger = pino({ level: 'silent' });
  const hasher = new ScryptPasswordHasher({ N: 1024 });
  const secretBox = new AesGcmSecretBox(Buffer.alloc(32, 7));
  const hub = new SessionHub({ sessions: store.sessions, events: store.events, blocks: store.blocks, recordings: new FileRecordingStore({ dir: path.join(dir, 'recordings') }), clock, logger });
  const engine = new OtpauthTotpEngine();
  const totpCodes = new TotpCodes({ users: store.users, box: secretBox, engine, clock });
  const auth = new AuthService({
    users: store.users,
    roles: store.roles,
    tokens: new SqliteTokenRepo(store.database.db),
    hasher,
    audit: store.audit,
    clock,
    verifyTotp: (userId, code) => totpCodes.verify(userId, code),
    requireTotp: () => store.settings.get('auth.requireTotp', false),
  });
  const totp = new TotpEnrolment({ users: store.users, box: secretBox, engine, codes: totpCodes, failures: auth, audit: store.audit, clock });
  const access = new SessionAccess({ sessions: store.sessions, users: store.users, blocks: store.blocks, audit: store.audit, events: hub, live: hub, clock });
  const userAdmin = new UserAdmin(store.users, store.roles, hasher, store.audit, clock);
  const vaultAdmin = new VaultAdmin(store.devices, store.credentials, store.grants, store.users, secretBox, store.audit, clock);
  const sources = new Map<number, LiveViewerSource>();
  const commandRepo = store.commands;
  // Session Video: keyframes built in-process on first use (the server uses a worker); MP4s rendered in a worker thread.
  const videos = new VideoJobs({ videosDir: path.join(dir, 'videos') });
  const player = new RecordingPlayer({ ensureIndex: async (p) => void buildKeyframes(p) });
  const deps: ApiDeps = {
    auth,
    totp,
    access,
    userAdmin,
    vaultAdmin,
    hub,
    liveSource: (id) => sources.get(id) ?? null,
    users: store.users,
    blocks: store.blocks,
    devices: store.devices,
    credentials: store.credentials,
    grants: store.grants,
    audit: store.audit,
    settings: store.settings,
    clock,
    logger,
    sessionVideo: { player, videos, recordings: { stat: castStat, stream: castReadStream }, events: store.events, commands: commandRepo },
    sessionLogs: {
      logs: new SessionLogs({ access, sessions: store.sessions, events: store.events, eventSink: hub, commands: commandRepo, index: store.search, recordings: new AsciicastRecordingText(), clock }),
      rules: new CommandRules({ rules: store.rules, audit: store.audit, clock }),
      audits: new AuditSessions({ sessions: store.sessions, users: store.users, notes: store.auditNotes, events: hub, audit: store.audit, clock }),
    },
  };
  const app = await buildApi(deps, options);
  await app.ready();

  const make = (username: string, role: string) => userAdmin.addUser({ username, password: PASSWORD, roles: [role] }, 'test');
  const users = {
    sysadmin: await make('sysadmin', ROLE_SYSTEM_ADMIN),
    pamadmin: await make('pamadmin', ROLE_PAM_ADMIN),
    auditor: await make('auditor', ROLE_PAM_AUDITOR),
    user: await make('user', ROLE_PAM_USER),
    owner: await make('owner', ROLE_PAM_USER),
  };
  const controls = new Map<number, RecordingControl>();
  const tokens = new Map<string, string>();

  const startSession = async (owner: User = users.owner) => {
    const live = await hub.start({
      user: { id: owner.id, username: owner.username },
      originIp: '192.0.2.10',
      credential: { id: null, label: 'root' },
      device: { id: null, name: 'web01' },
      host: 'web01.example:22',
      type: 'shell',
      command: null,
    });
    const control = new RecordingControl(live);
    live.attach(control);
    controls.set(live.id, control);
    sources.set(live.id, tapViewerSource(live));
    return { live, control };
  };

  return {
    app,
    commands: commandRepo,
    store,
    hub,
    clock,
    auth,
    secretBox,
    totp,
    totpCodes,
    dir,
    users,
    controls,
    async token(who) {
      const cached = tokens.get(who);
      if (cached && (await auth.resolve(cached))) return cached;
      const r = await auth.login(users[who].username, PASSWORD);
      tokens.set(who, r.token);
      return r.token;
    },
    startSession,
    async completedSession(owner) {
      const { live } = await startSession(owner);
      return live.end({ exitStatus: 0, reason: 'exit' });
    },
    inject(method, url, token, body) {
      return app.inject({
        method: method as 'GET',
        url,
        headers: token ? { authorization: `Bearer ${token}` } : {},
        ...(body === undefined ? {} : { payload: body as object }),
      });
    },
    async close() {
      await app.close();
      await videos.close();
      await hub.shutdown();
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
