// The compression job's side of the sessions table: closed recordings waiting to be compressed, and their stored size.

import type { Kysely } from 'kysely';
import type { CompressCandidate, CompressRepo } from '../hub/compress-job.js';
import type { Database } from './schema.js';
import { toDb } from './database.js';

export class SqliteCompressRepo implements CompressRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async pending(endedBefore: Date, limit: number, afterId: number): Promise<CompressCandidate[]> {
    // The partial index sessions_compress_pending holds exactly the rows with a recording not settled yet.
    const rows = await this.db
      .selectFrom('sessions')
      .select(['id', 'session_id', 'recording_path', 'recording_sha256', 'recording_size'])
      .where('recording_stored_size', 'is', null)
      .where('recording_path', 'is not', null)
      .where('id', '>', afterId)
      .where('status', '!=', 'active')
      .where('purged_at', 'is', null)
      .where('purge_started_at', 'is', null)
      .where('ended_at', '<', toDb(endedBefore))
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ id: r.id, sessionId: r.session_id, recordingPath: r.recording_path!, sha256: r.recording_sha256, size: r.recording_size }));
  }

  async stored(id: number, bytes: number): Promise<void> {
    await this.db.updateTable('sessions').set({ recording_stored_size: bytes }).where('id', '=', id).where('recording_stored_size', 'is', null).execute();
  }

  async live(limit: number, afterId: number): Promise<Array<{ id: number; sessionId: string; recordingPath: string }>> {
    const rows = await this.db
      .selectFrom('sessions')
      .select(['id', 'session_id', 'recording_path'])
      .where('recording_stored_size', 'is', null)
      .where('recording_path', 'is not', null)
      .where('status', '=', 'active')
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ id: r.id, sessionId: r.session_id, recordingPath: r.recording_path! }));
  }
}
