// API tokens in SQLite: only each token's SHA-256 is kept, with its owner, expiry and CSRF value.

import type { Kysely } from 'kysely';
import type { ApiToken, TokenRepo } from '../core/auth-service.js';
import type { Database } from './schema.js';
import { toDb } from './database.js';

export class SqliteTokenRepo implements TokenRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async create(t: { tokenHash: string; userId: number; createdAt: Date; expiresAt: Date; csrf: string }): Promise<ApiToken> {
    const r = await this.db
      .insertInto('api_tokens')
      .values({ token_hash: t.tokenHash, user_id: t.userId, created_at: toDb(t.createdAt), expires_at: toDb(t.expiresAt), csrf: t.csrf })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id: r.id, userId: t.userId, createdAt: t.createdAt, expiresAt: t.expiresAt, csrf: t.csrf };
  }

  async byHash(tokenHash: string): Promise<ApiToken | null> {
    const r = await this.db.selectFrom('api_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    return r ? { id: r.id, userId: r.user_id, createdAt: new Date(r.created_at), expiresAt: new Date(r.expires_at), csrf: r.csrf } : null;
  }

  async revoke(tokenHash: string): Promise<boolean> {
    const r = await this.db.deleteFrom('api_tokens').where('token_hash', '=', tokenHash).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async revokeUser(userId: number): Promise<number> {
    const r = await this.db.deleteFrom('api_tokens').where('user_id', '=', userId).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async deleteExpired(at: Date): Promise<number> {
    const r = await this.db.deleteFrom('api_tokens').where('expires_at', '<=', toDb(at)).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
