/**
 * Registrations (TO0 writes, TO1 reads) and spent session nonces (SQLite or PostgreSQL).
 * TO1's hot path is {@link RendezvousStore.lookup}: one point read by primary key, three columns.
 * The protocol paths (register, lookup, consume) use the bare driver (`db.sql`): through Prisma, the
 * query cost several times the CPU of the rest of a TO1 message (issue 8). The admin paths stay on Prisma.
 */
import {
  formatGuid,
  toHex,
  type ConsumedNonce,
  type Guid,
  type Nonce,
  type RegisterOutcome,
  type RegistrationLookup,
  type RegistrationStore,
  type RvRedirectRecord,
  type RvRegistration,
  type To1ReplayGuard,
} from '@fdo/protocol';
import { isSqlUniqueViolation, LAZY_WRITE, sqlDate, type PrismaClient, type SqlDriver } from '@fdo/storage';

/** A GUID's registration as the admin API shows it: never the voucher, nor the to1d. */
export interface RegistrationStatus {
  guid: string;
  ownerKeyFingerprint: string;
  voucherHeaderHash: string;
  voucherEntryHash: string;
  waitSeconds: number;
  registeredAt: Date;
  expiresAt: Date;
}

export interface RegistrationCounts {
  total: number;
  active: number;
  expired: number;
}

/** True for a unique-constraint violation (Prisma P2002), whichever database raised it. */
export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'P2002';
}

export class RendezvousStore implements RegistrationStore, RegistrationLookup, To1ReplayGuard {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly sql: SqlDriver,
  ) {}

  /**
   * Spends the nonce first: a nonce already spent (unique key) stores nothing. Should the registration
   * write then fail, the nonce stays spent and the owner's TO0 fails: it runs TO0 again with a new one.
   * The replacement rule (RegistrationStore) is the upsert's WHERE: one statement decides and writes, so
   * two owners registering one GUID at once cannot both win.
   */
  async register(registration: RvRegistration, nonce: ConsumedNonce): Promise<RegisterOutcome> {
    if (!(await this.consume(nonce.nonce, nonce.expiresAt))) return { stored: false, reason: 'nonce-used' };
    for (;;) {
      if (await this.#upsert(registration)) return { stored: true };
      const [held] = await this.sql.query<{ expires_at: unknown; owner_key_fingerprint: string }>(
        `SELECT "expires_at", "owner_key_fingerprint" FROM "rv_registration" WHERE "guid" = $1`,
        [formatGuid(registration.guid)],
      );
      // Purged between the two statements: try the write again.
      if (held === undefined) continue;
      return {
        stored: false,
        reason: 'held-by-another-voucher',
        until: sqlDate(held.expires_at),
        ownerKeyFingerprint: held.owner_key_fingerprint,
      };
    }
  }

  /** Inserts, or replaces under the rule of {@link register}; true when the row was written. */
  async #upsert(registration: RvRegistration): Promise<boolean> {
    const chain = registration.entryHashes.map((_, i) => `$${i + 10}`).join(', ');
    const changed = await this.sql.execute(
      `INSERT INTO "rv_registration" ("guid", "to1d", "device_key", "owner_key_fingerprint", "voucher_header_hash",
         "voucher_entry_hash", "wait_seconds", "registered_at", "expires_at")
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT ("guid") DO UPDATE SET "to1d" = excluded."to1d", "device_key" = excluded."device_key",
         "owner_key_fingerprint" = excluded."owner_key_fingerprint", "voucher_header_hash" = excluded."voucher_header_hash",
         "voucher_entry_hash" = excluded."voucher_entry_hash", "wait_seconds" = excluded."wait_seconds",
         "registered_at" = excluded."registered_at", "expires_at" = excluded."expires_at"
       WHERE "rv_registration"."expires_at" <= excluded."registered_at"
         OR ("rv_registration"."voucher_header_hash" = excluded."voucher_header_hash"
             AND "rv_registration"."voucher_entry_hash" IN (${chain}))`,
      [
        formatGuid(registration.guid),
        registration.to1d,
        registration.deviceKey.spki,
        registration.ownerKeyFingerprint,
        registration.voucherHeaderHash,
        registration.voucherEntryHash,
        registration.waitSeconds,
        registration.registeredAt,
        registration.expiresAt,
        ...registration.entryHashes,
      ],
    );
    return changed > 0;
  }

  async lookup(guid: Guid): Promise<RvRedirectRecord | null> {
    const [row] = await this.sql.query<{ to1d: Uint8Array; device_key: Uint8Array; expires_at: unknown }>(
      `SELECT "to1d", "device_key", "expires_at" FROM "rv_registration" WHERE "guid" = $1`,
      [formatGuid(guid)],
    );
    if (row === undefined) return null;
    return { to1d: row.to1d, deviceKey: { spki: row.device_key }, expiresAt: sqlDate(row.expires_at) };
  }

  async consume(nonce: Nonce, expiresAt: Date): Promise<boolean> {
    try {
      // Need not wait for the disk (LAZY_WRITE): the nonce is ours, sealed in the token of one
      // TO1 session; a power failure that forgets it lets that device's own proof be answered again.
      await this.sql.execute(
        `INSERT INTO "rv_used_nonce" ("nonce", "expires_at") VALUES ($1, $2)`,
        [toHex(nonce), expiresAt],
        LAZY_WRITE,
      );
      return true;
    } catch (err) {
      if (isSqlUniqueViolation(err)) return false;
      throw err;
    }
  }

  /** The registration of `guid` (canonical text form), expired or not, or null. */
  async status(guid: string): Promise<RegistrationStatus | null> {
    const row = await this.prisma.rvRegistration.findUnique({
      where: { guid },
      select: {
        guid: true,
        ownerKeyFingerprint: true,
        voucherHeaderHash: true,
        voucherEntryHash: true,
        waitSeconds: true,
        registeredAt: true,
        expiresAt: true,
      },
    });
    if (row === null) return null;
    return { ...row, voucherHeaderHash: toHex(row.voucherHeaderHash), voucherEntryHash: toHex(row.voucherEntryHash) };
  }

  async counts(now = new Date()): Promise<RegistrationCounts> {
    const [total, active] = await Promise.all([
      this.prisma.rvRegistration.count(),
      this.prisma.rvRegistration.count({ where: { expiresAt: { gt: now } } }),
    ]);
    return { total, active, expired: total - active };
  }

  async remove(guid: string): Promise<boolean> {
    const { count } = await this.prisma.rvRegistration.deleteMany({ where: { guid } });
    return count > 0;
  }

  /**
   * Deletes registrations expired before `registrationsBefore` and nonces expired before `noncesBefore`,
   * in batches so that a large backlog never holds a long write lock. Safe to run on every instance at once.
   */
  async purge(
    registrationsBefore: Date,
    noncesBefore: Date,
    batch = 1000,
  ): Promise<{ registrations: number; nonces: number }> {
    let registrations = 0;
    for (;;) {
      const rows = await this.prisma.rvRegistration.findMany({
        where: { expiresAt: { lt: registrationsBefore } },
        select: { guid: true },
        take: batch,
      });
      if (rows.length === 0) break;
      const { count } = await this.prisma.rvRegistration.deleteMany({
        where: { guid: { in: rows.map((r) => r.guid) }, expiresAt: { lt: registrationsBefore } },
      });
      registrations += count;
      if (rows.length < batch) break;
    }
    const { count: nonces } = await this.prisma.rvUsedNonce.deleteMany({ where: { expiresAt: { lt: noncesBefore } } });
    return { registrations, nonces };
  }
}
