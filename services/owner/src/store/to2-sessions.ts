/**
 * TO2 sessions between messages (FDO 1.1 §5.5) over Prisma, so that any owner instance can answer any
 * message of a session. A row is keyed by the SHA-256 of its token (the token is a bearer secret and is
 * never stored) and advanced with a conditional UPDATE on its version: of two instances answering the
 * same message, exactly one wins. Ended sessions are deleted at once, abandoned ones by {@link purge}.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { PrismaClient } from '@fdo/storage';

/** A stored session: the protocol's session JSON text and its version. */
export interface StoredTo2Session {
  guid: string;
  json: string;
  version: number;
  expiresAt: Date;
}

const tokenSha256 = (token: string): string => createHash('sha256').update(token).digest('hex');

export class To2SessionStore {
  constructor(private readonly prisma: PrismaClient) {}

  /** Stores a new session (version 1) and returns its token: 128 random bits, base64url. */
  async create(guid: string, step: string, json: string, now: Date, expiresAt: Date): Promise<string> {
    const token = randomBytes(16).toString('base64url');
    await this.prisma.ownerTo2Session.create({
      data: { tokenSha256: tokenSha256(token), guid, version: 1, step, session: json, createdAt: now, expiresAt },
    });
    return token;
  }

  async load(token: string): Promise<StoredTo2Session | null> {
    const row = await this.prisma.ownerTo2Session.findUnique({ where: { tokenSha256: tokenSha256(token) } });
    return row === null ? null : { guid: row.guid, json: row.session, version: row.version, expiresAt: row.expiresAt };
  }

  /**
   * Replaces the session if it is still at `expectedVersion`; false when another request advanced it.
   * A session that ended (`done`, `failed`) is deleted instead: nothing can continue it and its tunnel
   * keys have no further use.
   */
  async save(token: string, step: string, json: string, expectedVersion: number, expiresAt: Date): Promise<boolean> {
    const where = { tokenSha256: tokenSha256(token), version: expectedVersion };
    if (step === 'done' || step === 'failed') {
      const { count } = await this.prisma.ownerTo2Session.deleteMany({ where });
      return count === 1;
    }
    const { count } = await this.prisma.ownerTo2Session.updateMany({
      where,
      data: { version: expectedVersion + 1, step, session: json, expiresAt },
    });
    return count === 1;
  }

  /** Deletes sessions idle past their expiry; returns how many. */
  async purge(now: Date): Promise<number> {
    const { count } = await this.prisma.ownerTo2Session.deleteMany({ where: { expiresAt: { lt: now } } });
    return count;
  }

  /** Sessions in progress (not expired), e.g. for the status view. */
  async active(now: Date): Promise<number> {
    return this.prisma.ownerTo2Session.count({ where: { expiresAt: { gte: now } } });
  }
}
