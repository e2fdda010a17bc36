// Ports: the interfaces the core and the hub need from storage, the vault and the recorder; adapters implement them.

import type {
  AuditEntry,
  Credential,
  CredentialKind,
  Device,
  Grant,
  Role,
  SessionBlock,
  SessionEvent,
  SessionEventName,
  SessionProtocol,
  SessionRecord,
  SessionStatus,
  SessionType,
  User,
  UserKey,
} from './types.js';

export interface NewUser {
  username: string;
  passwordHash: string | null;
  roles: string[];
}

/** Users, their keys, roles and login state. */
export interface UserRepo {
  create(u: NewUser): Promise<User>;
  get(id: number): Promise<User | null>;
  byName(username: string): Promise<User | null>;
  list(): Promise<User[]>;
  count(): Promise<number>;
  setDisabled(id: number, disabled: boolean): Promise<void>;
  setRoles(id: number, roles: string[]): Promise<void>;
  setPasswordHash(id: number, hash: string): Promise<void>;
  /** The stored password hash (never leaves the process). */
  passwordHash(id: number): Promise<string | null>;
  addKey(userId: number, publicKey: string, fingerprint: string): Promise<UserKey>;
  keys(userId: number): Promise<UserKey[]>;
  /** Records a failed login; returns the number of consecutive failures. */
  recordFailure(id: number, lockUntil: (failures: number) => Date | null): Promise<number>;
  recordSuccess(id: number): Promise<void>;
  /** Encrypted TOTP secret (vault ciphertext) or null. */
  totpSecret(id: number): Promise<string | null>;
  setTotpSecret(id: number, encrypted: string | null): Promise<void>;
}

export interface RoleRepo {
  list(): Promise<Role[]>;
  byName(name: string): Promise<Role | null>;
  upsert(name: string, permissions: string[]): Promise<Role>;
  remove(name: string): Promise<void>;
  /** Creates the seeded roles when missing; leaves edited ones alone. */
  seed(roles: ReadonlyArray<{ name: string; permissions: readonly string[] }>): Promise<void>;
  /** Permissions of a set of role names, deduplicated. */
  permissionsOf(roleNames: readonly string[]): Promise<string[]>;
}

export interface NewDevice {
  name: string;
  host: string;
  port: number;
  hostKey: string | null;
  trustOnFirstUse: boolean;
}

export interface DeviceRepo {
  create(d: NewDevice): Promise<Device>;
  byName(name: string): Promise<Device | null>;
  get(id: number): Promise<Device | null>;
  list(): Promise<Device[]>;
  /** Pins a host key learnt on first use; only when none is pinned yet. Returns false when one already was. */
  pinHostKey(id: number, hostKey: string): Promise<boolean>;
  remove(id: number): Promise<void>;
}

export interface CredentialRepo {
  create(deviceId: number, account: string, kind: CredentialKind, encryptedSecret: string): Promise<Credential>;
  get(id: number): Promise<Credential | null>;
  find(account: string, deviceName: string): Promise<Credential | null>;
  list(): Promise<Credential[]>;
  /** The vault ciphertext of the secret; only the gateway asks for it, to connect. */
  encryptedSecret(id: number): Promise<string>;
  remove(id: number): Promise<void>;
}

export interface GrantRepo {
  add(userId: number, credentialId: number, allowPortForwarding: boolean): Promise<Grant>;
  remove(userId: number, credentialId: number): Promise<boolean>;
  list(): Promise<Grant[]>;
  forUser(userId: number): Promise<Grant[]>;
  find(userId: number, credentialId: number): Promise<Grant | null>;
}

export interface NewSession {
  sessionId: string;
  userId: number | null;
  user: string;
  originIp: string;
  credentialId: number | null;
  credential: string;
  deviceId: number | null;
  device: string;
  host: string;
  protocol: SessionProtocol;
  type: SessionType;
  command: string | null;
  status: SessionStatus;
  startedAt: Date;
  recordingPath: string | null;
  cols: number | null;
  rows: number | null;
}

export interface SessionEnd {
  status: Exclude<SessionStatus, 'active'>;
  endedAt: Date;
  exitStatus: number | null;
  bytesIn: number;
  bytesOut: number;
  endReason: string | null;
  errorMessage: string | null;
  droppedBy?: string | null;
  recordingSize: number | null;
  recordingDuration: number | null;
  recordingSha256: string | null;
}

export type SessionSortField = 'id' | 'sessionId' | 'user' | 'originIp' | 'credential' | 'device' | 'protocol' | 'startedAt' | 'endedAt' | 'status';

export interface SessionQuery {
  id?: number;
  sessionId?: string;
  user?: string;
  credential?: string;
  device?: string;
  originIp?: string;
  protocol?: string;
  status?: SessionStatus;
  startFrom?: Date;
  startTo?: Date;
  preventPurge?: boolean;
  /** Restrict to sessions where this user is an auditor (callers without View). */
  auditorUserId?: number;
  sort?: SessionSortField;
  order?: 'asc' | 'desc';
  page?: number;
  pageSize?: number;
}

/** A live session's byte counters. */
export interface CounterUpdate {
  id: number;
  bytesIn: number;
  bytesOut: number;
}

export interface SessionRepo {
  create(s: NewSession): Promise<SessionRecord>;
  get(id: number): Promise<SessionRecord | null>;
  /** The sessions of these ids that exist, in no particular order (one query, for lists). */
  getMany(ids: readonly number[]): Promise<SessionRecord[]>;
  bySessionId(sessionId: string): Promise<SessionRecord | null>;
  end(id: number, end: SessionEnd): Promise<void>;
  /** Live byte counters, updated while sessions run: all of them in one transaction (all or none). */
  updateCounters(rows: readonly CounterUpdate[]): Promise<void>;
  query(q: SessionQuery): Promise<{ items: SessionRecord[]; total: number }>;
  /** Sessions still marked active (for crash recovery at start-up). */
  listActive(): Promise<SessionRecord[]>;
  setPreventPurge(id: number, value: boolean): Promise<void>;
  markPurged(id: number, at: Date): Promise<void>;
  isAuditor(sessionId: number, userId: number): Promise<boolean>;
  auditors(sessionId: number): Promise<number[]>;
  setAuditors(sessionId: number, userIds: number[]): Promise<void>;
}

export interface EventRepo {
  add(e: { sessionId: number; userId: number | null; user: string; at: Date; event: SessionEventName; note: string }): Promise<SessionEvent>;
  forSession(sessionId: number): Promise<SessionEvent[]>;
}

export interface BlockRepo {
  add(b: { userId: number; sessionId: number | null; blockedBy: string; blockedAt: Date }): Promise<SessionBlock>;
  /** The unreleased block of a user, if any. */
  activeFor(userId: number): Promise<SessionBlock | null>;
  release(userId: number, releasedBy: string, at: Date): Promise<boolean>;
  list(): Promise<SessionBlock[]>;
}

/** Append-only, hash-chained trail of administrative actions. */
export interface AuditRepo {
  append(e: { at: Date; actor: string; action: string; target: string; details: string }): Promise<AuditEntry>;
  list(opts?: { limit?: number; offset?: number }): Promise<AuditEntry[]>;
  /** Checks the chain; returns the problems found, empty when intact. */
  verify(): Promise<string[]>;
}

export interface SettingsRepo {
  get<T>(key: string, fallback: T): Promise<T>;
  set(key: string, value: unknown): Promise<void>;
  all(): Promise<Record<string, unknown>>;
}

/** Encrypts and decrypts vault secrets. */
export interface SecretBox {
  seal(plaintext: string): string;
  open(sealed: string): string;
}

/** Hashes and checks user passwords. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
}

/** asciicast v2 header fields Vigil writes. */
export interface RecordingHeader {
  width: number;
  height: number;
  /** Unix time in seconds of the session start. */
  timestamp: number;
  title?: string;
  command?: string;
  env?: Record<string, string>;
}

/** What is stored about a closed recording. */
export interface RecordingSummary {
  path: string;
  /** Bytes on disk of the recording as served for download. */
  size: number;
  /** Seconds from start to last event. */
  duration: number;
  /** Hex SHA-256 of the recording file as served for download. */
  sha256: string;
}

/** One session's recording, written as it happens. Methods never throw; write failures go to onError. */
export interface Recorder {
  readonly path: string;
  /** Output from the target to the user (asciicast "o"). */
  output(data: Buffer): void;
  /** Input from the user (asciicast "i"). */
  input(data: Buffer): void;
  /** Terminal resize (asciicast "r"). */
  resize(cols: number, rows: number): void;
  /** Called once if writing fails (disk full, I/O error). */
  onError(cb: (err: Error) => void): void;
  /** Flushes and closes; resolves with size, duration and hash. */
  close(): Promise<RecordingSummary>;
}

/** Where recordings live. */
export interface RecordingStore {
  /** Starts a recording for a session. */
  open(sessionId: string, startedAt: Date, header: RecordingHeader): Promise<Recorder>;
  /** Repairs a recording left by a crash to its last whole event; returns its summary, or null when the file is missing. */
  repair(path: string): Promise<RecordingSummary | null>;
}
