// Builds every SQLite repository over one open database (used by the composition root and tests).

import type { CompressRepo } from '../hub/compress-job.js';
import { SqliteCompressRepo } from './compress-repo.js';
import path from 'node:path';
import type { Clock } from '../core/clock.js';
import type { AuditRepo, BlockRepo, CredentialRepo, DeviceRepo, EventRepo, GrantRepo, RoleRepo, SessionRepo, SettingsRepo, UserRepo } from '../core/ports.js';
import { openDatabase, type OpenDatabase } from './database.js';
import { SqliteUserRepo } from './user-repo.js';
import { SqliteRoleRepo } from './role-repo.js';
import { SqliteCredentialRepo, SqliteDeviceRepo, SqliteGrantRepo } from './vault-repos.js';
import { SqliteSessionRepo } from './session-repo.js';
import { SqliteBlockRepo, SqliteEventRepo, SqliteSettingsRepo } from './event-repos.js';
import { SqliteAuditRepo } from './audit-repo.js';
import type { AuditNoteRepo } from '../core/audit-sessions.js';
import type { RuleRepo } from '../core/command-rules.js';
import type { CommandRepo } from '../core/session-logs.js';
import { SqliteAuditNoteRepo } from './audit-note-repo.js';
import { SqliteCommandRepo } from './command-repo.js';
import { SqliteRuleRepo } from './rule-repo.js';
import { openSearchDb, SqliteSearchIndex } from './search-index.js';
import type { PurgeRepo } from '../core/purge-service.js';
import { SqlitePurgeRepo } from './purge-repo.js';

/** The repositories of one database. */
export interface Repos {
  users: UserRepo;
  roles: RoleRepo;
  devices: DeviceRepo;
  credentials: CredentialRepo;
  grants: GrantRepo;
  sessions: SessionRepo;
  events: EventRepo;
  blocks: BlockRepo;
  audit: AuditRepo;
  settings: SettingsRepo;
  purge: PurgeRepo;
  /** Closed recordings waiting to be compressed (hub/compress-job.ts). */
  compress: CompressRepo;
}

export interface SqliteStore extends Repos {
  database: OpenDatabase;
  /** Reconstructed commands (issue 4). */
  commands: CommandRepo;
  /** The search index over typed and displayed lines, in search.db beside the database file. */
  search: SqliteSearchIndex;
  /** Audited-command rules. */
  rules: RuleRepo;
  /** Auditors' comments and audited marks. */
  auditNotes: AuditNoteRepo;
  close(): Promise<void>;
}

/** The search index lives beside the database file. */
export function searchDbPath(databaseFile: string): string {
  return path.join(path.dirname(databaseFile), 'search.db');
}

export async function openSqliteStore(file: string, clock: Clock): Promise<SqliteStore> {
  const database = await openDatabase({ file });
  const db = database.db;
  const search = new SqliteSearchIndex(openSearchDb(searchDbPath(file)), db);
  return {
    database,
    users: new SqliteUserRepo(db, clock),
    roles: new SqliteRoleRepo(db),
    devices: new SqliteDeviceRepo(db, clock),
    credentials: new SqliteCredentialRepo(db, clock),
    grants: new SqliteGrantRepo(db, clock),
    sessions: new SqliteSessionRepo(db),
    events: new SqliteEventRepo(db),
    blocks: new SqliteBlockRepo(db),
    audit: new SqliteAuditRepo(db),
    settings: new SqliteSettingsRepo(db),
    commands: new SqliteCommandRepo(db),
    search,
    rules: new SqliteRuleRepo(db),
    auditNotes: new SqliteAuditNoteRepo(db),
    purge: new SqlitePurgeRepo(db, search.writer),
    compress: new SqliteCompressRepo(db),
    close: async () => {
      search.close();
      await database.close();
    },
  };
}
