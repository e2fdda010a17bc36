// Wire types the console uses: re-exported from the API's zod schemas (src/api/schemas.ts), never re-typed here.
// Only the endpoints whose schemas have not landed yet (logs, video, player) are typed locally, marked PROVISIONAL.

import type { z } from 'zod';
import type {
  SESSION_ACTION_VALUES,
  credentialSchema,
  currentUserSchema,
  deviceSchema,
  grantSchema,
  roleSchema,
  userSchema,
} from '../../../src/api/schemas';

export type {
  AuditorsResponse,
  LiveMessage,
  LoginRequest,
  LoginResponse,
  MeResponse,
  Problem,
  SessionBlockItem,
  SessionChange,
  SessionItem,
  SessionListQuery,
  SessionPage,
  Settings,
  SettingKey,
} from '../../../src/api/schemas';
export { PERMISSION_NAMES, SESSION_SORT_VALUES, SETTING_KEYS } from '../../../src/api/schemas';

export type SessionAction = (typeof SESSION_ACTION_VALUES)[number];
export type SessionStatus = import('../../../src/api/schemas').SessionItem['status'];
export type AuthUser = z.infer<typeof currentUserSchema>;
export type User = z.infer<typeof userSchema>;
export type Role = z.infer<typeof roleSchema>;
export type Device = z.infer<typeof deviceSchema>;
export type Credential = z.infer<typeof credentialSchema>;
export type Grant = z.infer<typeof grantSchema>;

/** PROVISIONAL — GET /sessions/{id}/logs (issue 4). */
export interface SessionLogs {
  session?: {
    id: number;
    sessionId?: string;
    startedAt: string;
    endedAt: string | null;
    type: string;
    host: string;
    username?: string;
    credential?: string;
    errorMessage: string | null;
  };
  user?: { user: string; userIp?: string; originIp?: string };
  commands: Array<{ command: string; at: string; offset?: number; criticality?: string | null; risk?: string | null; rule?: string | null }>;
  events: Array<{ user: string; at: string; event: string; note: string }>;
  fileTransfers?: Array<{ path: string; direction: string; size: number | null; at: string }>;
}

/** PROVISIONAL — GET /sessions/{id}/logs?q= (issue 4). */
export interface LogSearchResult {
  matches: Array<{ at?: string; offset?: number; kind?: string; text: string }>;
}

/** PROVISIONAL — GET|POST /sessions/{id}/video (issue 5): the MP4 job. */
export interface VideoJob {
  state: 'queued' | 'running' | 'done' | 'failed';
  percent: number;
  error?: string | null;
  size?: number | null;
}

/** PROVISIONAL — the player's view of a recording (issue 5). */
export interface PlayerInfo {
  duration: number;
  cols: number;
  rows: number;
  idle: Array<{ start: number; end: number }>;
  markers: Array<{ t: number; kind: 'command' | 'event' | string; label: string }>;
}

/** PROVISIONAL — one chunk of recording from time `from`: the nearest keyframe before it and the events after. */
export interface PlayerChunk {
  from: number;
  to: number;
  keyframe: { t: number; cols: number; rows: number; data: string } | null;
  events: Array<[number, string, string]>;
  done: boolean;
}

/** PROVISIONAL — an item of GET /audit/sessions (issue 4): a session I audit, and whether it was audited. */
export type AuditSessionItem = import('../../../src/api/schemas').SessionItem & {
  audited: boolean;
  auditedAt?: string | null;
  auditedBy?: string | null;
};

/** PROVISIONAL — GET /audit/sessions/{id} (issue 4): its auditors and their comments. */
export interface SessionAudit {
  auditors: Array<{ id: number; username: string; audited?: boolean; auditedAt?: string | null }>;
  comments: Array<{ user: string; at: string; text?: string; comment?: string }>;
}
