// Domain types shared by every layer: users, vault entries, sessions and their events.

export type SessionStatus = 'active' | 'completed' | 'dropped' | 'interrupted' | 'failed';
export const SESSION_STATUSES: readonly SessionStatus[] = ['active', 'completed', 'dropped', 'interrupted', 'failed'];

/** Protocol column of Remote Sessions. */
export type SessionProtocol = 'SSH' | 'SFTP';
/** What the channel was: an interactive shell, one command, or a file transfer subsystem. */
export type SessionType = 'shell' | 'exec' | 'sftp';

export interface User {
  id: number;
  username: string;
  disabled: boolean;
  roles: string[];
  createdAt: Date;
  totpEnrolled: boolean;
  lockedUntil: Date | null;
}

export interface UserKey {
  id: number;
  userId: number;
  /** OpenSSH public key line "TYPE BASE64 [comment]". */
  publicKey: string;
  fingerprint: string;
}

export interface Role {
  id: number;
  name: string;
  permissions: string[];
}

export interface Device {
  id: number;
  name: string;
  host: string;
  port: number;
  /** Pinned host key "TYPE BASE64", or null until first use when trustOnFirstUse. */
  hostKey: string | null;
  trustOnFirstUse: boolean;
  createdAt: Date;
}

export type CredentialKind = 'password' | 'key';

/** A vaulted credential without its secret: what every interface may show. */
export interface Credential {
  id: number;
  deviceId: number;
  deviceName: string;
  account: string;
  kind: CredentialKind;
  createdAt: Date;
}

export interface Grant {
  id: number;
  userId: number;
  username: string;
  credentialId: number;
  credential: string; // "account@device"
  allowPortForwarding: boolean;
  createdAt: Date;
}

export interface SessionRecord {
  id: number;
  /** Random hash shown as Session ID. */
  sessionId: string;
  userId: number | null;
  user: string;
  originIp: string;
  credentialId: number | null;
  credential: string;
  deviceId: number | null;
  device: string;
  /** Host:port actually connected to. */
  host: string;
  protocol: SessionProtocol;
  type: SessionType;
  command: string | null;
  status: SessionStatus;
  startedAt: Date;
  endedAt: Date | null;
  exitStatus: number | null;
  bytesIn: number;
  bytesOut: number;
  endReason: string | null;
  errorMessage: string | null;
  droppedBy: string | null;
  recordingPath: string | null;
  recordingSize: number | null;
  recordingDuration: number | null;
  recordingSha256: string | null;
  /** Bytes the recording takes on disk after close (compressed); null while active or not yet compressed. */
  recordingStoredSize: number | null;
  preventPurge: boolean;
  purgedAt: Date | null;
  cols: number | null;
  rows: number | null;
}

/** Session event names, exactly as SPEC section 5 lists them. */
export const SESSION_EVENT_NAMES = [
  'Started',
  'Terminated',
  'Drop session',
  'Live Stream',
  'Interactivity blocked',
  'Interactivity unlocked',
  'Log viewer',
  'Session Play',
  'Video Download',
  'File transfer',
  'Prevent purge',
  'Allow purge',
  'Auditors changed',
  'Comment',
  'Audited',
  'Files purged',
] as const;
export type SessionEventName = (typeof SESSION_EVENT_NAMES)[number];

export interface SessionEvent {
  id: number;
  sessionId: number;
  userId: number | null;
  user: string;
  at: Date;
  event: SessionEventName;
  note: string;
}

export interface SessionBlock {
  id: number;
  userId: number;
  user: string;
  sessionId: number | null;
  blockedBy: string;
  blockedAt: Date;
  releasedBy: string | null;
  releasedAt: Date | null;
}

export interface AuditEntry {
  id: number;
  at: Date;
  actor: string;
  action: string;
  target: string;
  details: string;
  prevHash: string;
  hash: string;
}
