// Kysely table types of the Vigil database (SQLite now; PostgreSQL-compatible column choices).

import type { Generated } from 'kysely';

export interface UsersTable {
  id: Generated<number>;
  username: string;
  password_hash: string | null;
  disabled: number;
  totp_secret: string | null;
  failed_logins: number;
  locked_until: string | null;
  created_at: string;
}
export interface UserKeysTable {
  id: Generated<number>;
  user_id: number;
  public_key: string;
  fingerprint: string;
  created_at: string;
}
export interface RolesTable {
  id: Generated<number>;
  name: string;
}
export interface RolePermissionsTable {
  role_id: number;
  permission: string;
}
export interface UserRolesTable {
  user_id: number;
  role_id: number;
}
export interface DevicesTable {
  id: Generated<number>;
  name: string;
  host: string;
  port: number;
  host_key: string | null;
  trust_on_first_use: number;
  created_at: string;
}
export interface CredentialsTable {
  id: Generated<number>;
  device_id: number;
  account: string;
  kind: string;
  secret: string;
  created_at: string;
}
export interface GrantsTable {
  id: Generated<number>;
  user_id: number;
  credential_id: number;
  allow_port_forwarding: number;
  created_at: string;
}
export interface SessionsTable {
  id: Generated<number>;
  session_id: string;
  user_id: number | null;
  username: string;
  origin_ip: string;
  credential_id: number | null;
  credential: string;
  device_id: number | null;
  device: string;
  host: string;
  protocol: string;
  type: string;
  command: string | null;
  status: string;
  started_at: string;
  ended_at: string | null;
  exit_status: number | null;
  bytes_in: number;
  bytes_out: number;
  end_reason: string | null;
  error_message: string | null;
  dropped_by: string | null;
  recording_path: string | null;
  recording_size: number | null;
  recording_duration: number | null;
  recording_sha256: string | null;
  /** Bytes the recording takes on disk once settled after close (compressed, or plain when it could not be); null until then. */
  recording_stored_size: number | null;
  prevent_purge: number;
  purged_at: string | null;
  /** Set when a purge claimed the session; with purged_at still null, its files are being (or were partly) deleted. */
  purge_started_at: string | null;
  cols: number | null;
  rows: number | null;
}
export interface SessionEventsTable {
  id: Generated<number>;
  session_id: number;
  user_id: number | null;
  username: string;
  at: string;
  event: string;
  note: string;
}
export interface SessionAuditorsTable {
  session_id: number;
  user_id: number;
}
export interface SessionBlocksTable {
  id: Generated<number>;
  user_id: number;
  session_id: number | null;
  blocked_by: string;
  blocked_at: string;
  released_by: string | null;
  released_at: string | null;
}
export interface AuditLogTable {
  id: Generated<number>;
  at: string;
  actor: string;
  action: string;
  target: string;
  details: string;
  prev_hash: string;
  hash: string;
}
export interface SettingsTable {
  key: string;
  value: string;
}
export interface ApiTokensTable {
  id: Generated<number>;
  token_hash: string;
  user_id: number;
  created_at: string;
  expires_at: string;
  csrf: string;
}

// ---- commands, rules, search, audit notes (migration 003) ----
export interface CommandRulesTable {
  id: Generated<number>;
  name: string;
  pattern: string;
  /** `global`, `device:NAME`, `credential:ACCOUNT@DEVICE` or `user:NAME`. */
  scope: string;
  criticality: string;
  action: string;
  created_at: string;
  created_by: string;
}
export interface SessionCommandsTable {
  id: Generated<number>;
  session_id: number;
  at: string;
  offset_s: number;
  command: string;
  source: string;
  outcome: string;
  rule_name: string | null;
  criticality: string | null;
  action: string | null;
  output: string | null;
}
export interface SessionCommentsTable {
  id: Generated<number>;
  session_id: number;
  user_id: number;
  username: string;
  at: string;
  text: string;
}
export interface SessionAuditMarksTable {
  session_id: number;
  user_id: number;
  audited_at: string;
}

export interface Database {
  users: UsersTable;
  user_keys: UserKeysTable;
  roles: RolesTable;
  role_permissions: RolePermissionsTable;
  user_roles: UserRolesTable;
  devices: DevicesTable;
  credentials: CredentialsTable;
  grants: GrantsTable;
  sessions: SessionsTable;
  session_events: SessionEventsTable;
  session_auditors: SessionAuditorsTable;
  session_blocks: SessionBlocksTable;
  audit_log: AuditLogTable;
  settings: SettingsTable;
  api_tokens: ApiTokensTable;
  command_rules: CommandRulesTable;
  session_commands: SessionCommandsTable;
  session_comments: SessionCommentsTable;
  session_audit_marks: SessionAuditMarksTable;
}
