// Schema migrations, applied in order at start-up by Kysely's Migrator.

import { Kysely, Migrator, sql, type Migration, type MigrationProvider } from 'kysely';

const m001: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('users')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('username', 'text', (c) => c.notNull().unique())
      .addColumn('password_hash', 'text')
      .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('totp_secret', 'text')
      .addColumn('failed_logins', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('locked_until', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('user_keys')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('public_key', 'text', (c) => c.notNull())
      .addColumn('fingerprint', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('roles')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .execute();
    await db.schema
      .createTable('role_permissions')
      .addColumn('role_id', 'integer', (c) => c.notNull().references('roles.id').onDelete('cascade'))
      .addColumn('permission', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('role_permissions_pk', ['role_id', 'permission'])
      .execute();
    await db.schema
      .createTable('user_roles')
      .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('role_id', 'integer', (c) => c.notNull().references('roles.id').onDelete('cascade'))
      .addPrimaryKeyConstraint('user_roles_pk', ['user_id', 'role_id'])
      .execute();
    await db.schema
      .createTable('devices')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('host', 'text', (c) => c.notNull())
      .addColumn('port', 'integer', (c) => c.notNull())
      .addColumn('host_key', 'text')
      .addColumn('trust_on_first_use', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('credentials')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('device_id', 'integer', (c) => c.notNull().references('devices.id').onDelete('cascade'))
      .addColumn('account', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('secret', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('credentials_device_account', ['device_id', 'account'])
      .execute();
    await db.schema
      .createTable('grants')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('credential_id', 'integer', (c) => c.notNull().references('credentials.id').onDelete('cascade'))
      .addColumn('allow_port_forwarding', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('grants_user_credential', ['user_id', 'credential_id'])
      .execute();
    await db.schema
      .createTable('sessions')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('session_id', 'text', (c) => c.notNull().unique())
      .addColumn('user_id', 'integer')
      .addColumn('username', 'text', (c) => c.notNull())
      .addColumn('origin_ip', 'text', (c) => c.notNull())
      .addColumn('credential_id', 'integer')
      .addColumn('credential', 'text', (c) => c.notNull())
      .addColumn('device_id', 'integer')
      .addColumn('device', 'text', (c) => c.notNull())
      .addColumn('host', 'text', (c) => c.notNull())
      .addColumn('protocol', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('command', 'text')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('started_at', 'text', (c) => c.notNull())
      .addColumn('ended_at', 'text')
      .addColumn('exit_status', 'integer')
      .addColumn('bytes_in', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('bytes_out', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('end_reason', 'text')
      .addColumn('error_message', 'text')
      .addColumn('dropped_by', 'text')
      .addColumn('recording_path', 'text')
      .addColumn('recording_size', 'integer')
      .addColumn('recording_duration', 'real')
      .addColumn('recording_sha256', 'text')
      .addColumn('prevent_purge', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('purged_at', 'text')
      .addColumn('cols', 'integer')
      .addColumn('rows', 'integer')
      .execute();
    for (const col of ['started_at', 'status', 'username', 'device', 'credential', 'origin_ip']) {
      await db.schema.createIndex(`sessions_${col}`).on('sessions').column(col).execute();
    }
    await db.schema
      .createTable('session_events')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('session_id', 'integer', (c) => c.notNull().references('sessions.id'))
      .addColumn('user_id', 'integer')
      .addColumn('username', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('event', 'text', (c) => c.notNull())
      .addColumn('note', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('session_events_session').on('session_events').column('session_id').execute();
    await db.schema
      .createTable('session_auditors')
      .addColumn('session_id', 'integer', (c) => c.notNull().references('sessions.id'))
      .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id'))
      .addPrimaryKeyConstraint('session_auditors_pk', ['session_id', 'user_id'])
      .execute();
    await db.schema.createIndex('session_auditors_user').on('session_auditors').column('user_id').execute();
    await db.schema
      .createTable('session_blocks')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id'))
      .addColumn('session_id', 'integer')
      .addColumn('blocked_by', 'text', (c) => c.notNull())
      .addColumn('blocked_at', 'text', (c) => c.notNull())
      .addColumn('released_by', 'text')
      .addColumn('released_at', 'text')
      .execute();
    await db.schema
      .createTable('audit_log')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('details', 'text', (c) => c.notNull())
      .addColumn('prev_hash', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('settings')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('api_tokens')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('csrf', 'text', (c) => c.notNull())
      .execute();
    // The audit trail is append-only at the database level too: edits and deletes abort.
    await sql`CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`.execute(db);
    await sql`CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`.execute(db);
  },
};

const m002: Migration = {
  async up(db: Kysely<unknown>) {
    // Set when a purge claims the session, before any of its files is deleted; purged_at is set once they all are.
    await db.schema.alterTable('sessions').addColumn('purge_started_at', 'text').execute();
    // Purge candidates are scanned by start time among unpurged rows; purged rows leave these partial indexes, so hourly runs stay cheap.
    await sql`CREATE INDEX sessions_purge_pending ON sessions (started_at, id) WHERE purged_at IS NULL`.execute(db);
    await sql`CREATE INDEX sessions_purge_claimed ON sessions (id) WHERE purge_started_at IS NOT NULL AND purged_at IS NULL`.execute(db);
  },
};

const m003: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('command_rules')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('pattern', 'text', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('criticality', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('session_commands')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('session_id', 'integer', (c) => c.notNull().references('sessions.id'))
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('offset_s', 'real', (c) => c.notNull())
      .addColumn('command', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('rule_name', 'text')
      .addColumn('criticality', 'text')
      .addColumn('action', 'text')
      .addColumn('output', 'text')
      .execute();
    await db.schema.createIndex('session_commands_session').on('session_commands').columns(['session_id', 'id']).execute();
    await db.schema
      .createTable('session_comments')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('session_id', 'integer', (c) => c.notNull().references('sessions.id'))
      .addColumn('user_id', 'integer', (c) => c.notNull())
      .addColumn('username', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('text', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('session_comments_session').on('session_comments').column('session_id').execute();
    await db.schema
      .createTable('session_audit_marks')
      .addColumn('session_id', 'integer', (c) => c.notNull().references('sessions.id'))
      .addColumn('user_id', 'integer', (c) => c.notNull())
      .addColumn('audited_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('session_audit_marks_pk', ['session_id', 'user_id'])
      .execute();
  },
};

/** The sessions columns the Remote Sessions list filters by "contains" (session-list.ts). */
export const TERM_FIELDS = ['session_id', 'username', 'origin_ip', 'credential', 'device'] as const;

const m004: Migration = {
  async up(outer: Kysely<unknown>) {
    // One transaction: the backfill is long on a big database, and a kill midway must leave the schema as it was.
    await outer.transaction().execute((db) => m004Up(db));
  },
};

async function m004Up(db: Kysely<unknown>): Promise<void> {
  // The term dictionary: every distinct value of each "contains" column, kept by triggers (values are never removed:
  // a value no session has any more matches nothing). A filter first finds the values that contain the term here,
  // then selects sessions by those values through the column's index, instead of testing every session's text.
  await sql`CREATE TABLE session_terms (id INTEGER PRIMARY KEY, field TEXT NOT NULL, value TEXT NOT NULL, UNIQUE (field, value))`.execute(db);
  // Trigram index of the dictionary, one column per field (a value fills its field's column): a term of 3+
  // characters finds the values that contain it without reading the others. Contentless: the text is in session_terms.
  await sql`CREATE VIRTUAL TABLE session_terms_text USING fts5(${sql.raw(TERM_FIELDS.join(', '))}, content='', tokenize='trigram', detail=full)`.execute(db);
  const columns = TERM_FIELDS.map((f) => `CASE new.field WHEN '${f}' THEN new.value END`).join(', ');
  await sql`CREATE TRIGGER session_terms_text_insert AFTER INSERT ON session_terms BEGIN
    INSERT INTO session_terms_text (rowid, ${sql.raw(TERM_FIELDS.join(', '))}) VALUES (new.id, ${sql.raw(columns)});
  END`.execute(db);
  const values = TERM_FIELDS.map((f) => `('${f}', new.${f})`).join(', ');
  await sql`CREATE TRIGGER sessions_terms_insert AFTER INSERT ON sessions BEGIN
    INSERT OR IGNORE INTO session_terms (field, value) VALUES ${sql.raw(values)};
  END`.execute(db);
  await sql`CREATE TRIGGER sessions_terms_update AFTER UPDATE OF ${sql.raw(TERM_FIELDS.join(', '))} ON sessions BEGIN
    INSERT OR IGNORE INTO session_terms (field, value) VALUES ${sql.raw(values)};
  END`.execute(db);
  // Backfill from the sessions already stored (the trigger above fills the trigram index).
  for (const f of TERM_FIELDS) {
    await sql`INSERT OR IGNORE INTO session_terms (field, value) SELECT DISTINCT ${f}, ${sql.ref(f)} FROM sessions`.execute(db);
  }
  // Every column the list sorts by has an index, which (with the rowid in every index entry) gives the list's order,
  // (column, id); Prevent purge is counted from its own. A column's index serves its filter and its sort alike.
  await sql`CREATE INDEX sessions_ended_at ON sessions (ended_at)`.execute(db);
  await sql`CREATE INDEX sessions_protocol ON sessions (protocol)`.execute(db);
  await sql`CREATE INDEX sessions_prevent_purge ON sessions (prevent_purge)`.execute(db);
  // Purged sessions, for the purge's one-time sweep of the text older versions left in the search index.
  await sql`CREATE INDEX sessions_purged ON sessions (id) WHERE purged_at IS NOT NULL`.execute(db);
  // Row counts per index for the query planner (database.ts refreshes them as the tables grow).
  await sql`ANALYZE`.execute(db);
}

const m005: Migration = {
  async up(db: Kysely<unknown>) {
    // Set once a closed recording is compressed (bytes on disk); sessions already stored are compressed by the job too.
    await db.schema.alterTable('sessions').addColumn('recording_stored_size', 'integer').execute();
    // The compression job's queue: recordings not settled yet. Rows leave it once compressed, so the scan stays short.
    await sql`CREATE INDEX sessions_compress_pending ON sessions (id) WHERE recording_stored_size IS NULL AND recording_path IS NOT NULL`.execute(db);
  },
};

/** All migrations, by name; names sort in application order. */
export const MIGRATIONS: Record<string, Migration> = {
  '001_initial': m001,
  '002_purge': m002,
  '003_commands': m003,
  '004_session_list': m004,
  '005_recording_compression': m005,
};

class StaticProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS;
  }
}

/** Brings the schema up to date; throws with the failing migration's error. */
export async function migrate(db: Kysely<unknown>): Promise<void> {
  const migrator = new Migrator({ db, provider: new StaticProvider() });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed`, { cause: error });
  }
}
