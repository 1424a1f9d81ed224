/**
 * TO2 sessions between messages (FDO 1.1 §5.5) in the database, so that any owner instance can answer any
 * message of a session. One statement per message, on the bare driver (`db.sql`): through Prisma, the
 * session load and save cost most of a TO2 message's CPU. A row is keyed by the SHA-256 of its token
 * (a bearer secret, never stored) and advanced with a conditional UPDATE on its version: of two
 * instances answering the same message, exactly one wins. Ended sessions are deleted at once,
 * abandoned ones by {@link purge}.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { SqlDriver } from '@fdo/storage';

/** A stored session: the protocol's session JSON text and its version. */
export interface StoredTo2Session {
  json: string;
  version: number;
}

const tokenSha256 = (token: string): string => createHash('sha256').update(token).digest('hex');

export class To2SessionStore {
  constructor(private readonly sql: SqlDriver) {}

  /** Stores a new session (version 1) and returns its token: 128 random bits, base64url. */
  async create(guid: string, step: string, json: string, now: Date, expiresAt: Date): Promise<string> {
    const token = randomBytes(16).toString('base64url');
    await this.sql.execute(
      `INSERT INTO "owner_to2_session" ("token_sha256", "guid", "version", "step", "session", "created_at", "expires_at")
       VALUES ($1, $2, 1, $3, $4, $5, $6)`,
      [tokenSha256(token), guid, step, json, now, expiresAt],
    );
    return token;
  }

  async load(token: string): Promise<StoredTo2Session | null> {
    const [row] = await this.sql.query<{ session: string; version: number }>(
      `SELECT "session", "version" FROM "owner_to2_session" WHERE "token_sha256" = $1`,
      [tokenSha256(token)],
    );
    return row === undefined ? null : { json: row.session, version: Number(row.version) };
  }

  /**
   * Replaces the session if it is still at `expectedVersion`; false when another request advanced it.
   * A session that ended (`done`, `failed`) is deleted instead: nothing can continue it and its tunnel
   * keys have no further use.
   */
  async save(token: string, step: string, json: string, expectedVersion: number, expiresAt: Date): Promise<boolean> {
    if (step === 'done' || step === 'failed') {
      const count = await this.sql.execute(
        `DELETE FROM "owner_to2_session" WHERE "token_sha256" = $1 AND "version" = $2`,
        [tokenSha256(token), expectedVersion],
      );
      return count === 1;
    }
    const count = await this.sql.execute(
      `UPDATE "owner_to2_session" SET "version" = $1, "step" = $2, "session" = $3, "expires_at" = $4
       WHERE "token_sha256" = $5 AND "version" = $6`,
      [expectedVersion + 1, step, json, expiresAt, tokenSha256(token), expectedVersion],
    );
    return count === 1;
  }

  /** Deletes sessions idle past their expiry; returns how many. */
  async purge(now: Date): Promise<number> {
    return this.sql.execute(`DELETE FROM "owner_to2_session" WHERE "expires_at" < $1`, [now]);
  }
}
