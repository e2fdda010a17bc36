// What the API is built from: the dependencies the composition root hands in, its options, and what each route module receives.

import type { FastifyBaseLogger } from 'fastify';
import type { AuthService } from '../core/auth-service.js';
import type { Clock } from '../core/clock.js';
import type { BlockRepo, AuditRepo, CredentialRepo, DeviceRepo, EventRepo, GrantRepo, SettingsRepo, UserRepo } from '../core/ports.js';
import type { AuditSessions } from '../core/audit-sessions.js';
import type { CommandRules } from '../core/command-rules.js';
import type { SessionAccess } from '../core/session-access.js';
import type { SessionLogs } from '../core/session-logs.js';
import type { TotpEnrolment } from '../core/totp-enrolment.js';
import type { UserAdmin } from '../core/user-admin.js';
import type { VaultAdmin } from '../core/vault-admin.js';
import type { SessionHub } from '../hub/session-hub.js';
import type { ChangeFeed } from './change-feed.js';
import type { LiveViewerSource } from './live-source.js';
import type { VideoJob } from './schemas.js';

/** What the hub offers the API. */
export type ApiHub = Pick<SessionHub, 'drop' | 'block' | 'unblock' | 'releaseUser' | 'onChange' | 'get' | 'list' | 'event'>;

/** Exactly what the API needs, built by the composition root. */
export interface ApiDeps {
  auth: AuthService;
  access: SessionAccess;
  userAdmin: UserAdmin;
  vaultAdmin: VaultAdmin;
  hub: ApiHub;
  /** The live terminal mirror of an active session, or null when there is none. */
  liveSource: (sessionId: number) => LiveViewerSource | null;
  users: Pick<UserRepo, 'get'>;
  blocks: Pick<BlockRepo, 'list' | 'activeFor'>;
  devices: Pick<DeviceRepo, 'get'>;
  credentials: Pick<CredentialRepo, 'get'>;
  grants: Pick<GrantRepo, 'list'>;
  audit: Pick<AuditRepo, 'append' | 'list' | 'verify'>;
  settings: SettingsRepo;
  clock: Clock;
  logger: FastifyBaseLogger;
  /** Session Video (issue 5): the player's reads of recordings and the MP4 jobs. */
  sessionVideo: SessionVideoDeps;
  /** Session Logs, search, audited-command rules, Sessions for audit (issue 4). */
  sessionLogs: SessionLogsDeps;
  /** TOTP enrolment of the caller and the administrator's reset. */
  totp: Pick<TotpEnrolment, 'start' | 'confirm' | 'disable' | 'reset' | 'isPending'>;
}

/** What Session Logs and its neighbours need (core services over the command, rule and audit-note stores). */
export interface SessionLogsDeps {
  logs: SessionLogs;
  rules: CommandRules;
  audits: AuditSessions;
}

export interface ApiOptions {
  /** Always mark the session cookie Secure (behind a TLS-terminating proxy); it is anyway when the request is https. */
  secureCookies?: boolean;
  /** Trust X-Forwarded-* (client IP for rate limits, https detection). */
  trustProxy?: boolean;
  /** Largest accepted request body; 1 MiB by default. */
  bodyLimit?: number;
  /** Login attempts per client IP; 10 a minute by default. */
  loginRateLimit?: { max: number; timeWindowMs: number };
  /** Bearer token that may read GET /api/v1/metrics without a user (Prometheus). */
  metricsToken?: string;
  /** Built web console to serve at `/` (index.html for client-side routes). */
  webRoot?: string;
  /** How long POST /drop waits for the session to finish closing before answering; 5 s by default. */
  dropWaitMs?: number;
}

/** What every route module receives. */
export interface RouteContext extends ApiDeps {
  feed: ChangeFeed;
  options: ApiOptions;
}

/** What Session Video needs (implemented by src/recording: RecordingPlayer, VideoJobs; wired in main.ts). */
export interface SessionVideoDeps {
  player: {
    timeline(castPath: string): Promise<{ duration: number; cols: number; rows: number; idle: Array<{ start: number; end: number }> }>;
    /** The chunk as JSON bytes (a PlayerChunk), sent as they are. */
    chunkJson(castPath: string, q: { at: number } | { after: number }): Promise<Buffer>;
  };
  videos: {
    start(req: { sessionId: string; castPath: string; startedAt: Date; requestedBy?: string | null }): Promise<VideoJob>;
    status(sessionId: string): Promise<VideoJob | null>;
    file(sessionId: string): Promise<{ path: string; size: number } | null>;
  };
  /** The stored recordings, plain or compressed after close (src/recording/cast-source.ts). */
  recordings: {
    /** Size of the recording (uncompressed), bytes on disk, last change; null when it is not stored. */
    stat(castPath: string): { size: number; storedBytes: number; mtimeMs: number; compressed: boolean } | null;
    /** The recording's bytes [start, end] (inclusive), decompressed when stored compressed. */
    stream(castPath: string, range: { start?: number; end?: number }): NodeJS.ReadableStream;
  };
  /** Session events, shown as timeline markers. */
  events: Pick<EventRepo, 'forSession'>;
  /** Reconstructed commands (the logs module's CommandRepo), shown as timeline markers; optional. */
  commands?: { forSession(sessionId: number): Promise<ReadonlyArray<{ offset: number; command: string }>> };
}
