/**
 * Registrations (TO0 writes, TO1 reads) and spent session nonces, on Prisma (SQLite or PostgreSQL).
 * TO1's hot path is {@link RendezvousStore.lookup}: one point read by primary key, three columns.
 * @NOTE a driver-level implementation of the same interfaces can replace this where Prisma's per-query
 * cost dominates (issue 8).
 */
import {
  formatGuid,
  toHex,
  type ConsumedNonce,
  type Guid,
  type Nonce,
  type RegistrationLookup,
  type RegistrationStore,
  type RvRedirectRecord,
  type RvRegistration,
  type To1ReplayGuard,
} from '@fdo/protocol';
import type { PrismaClient } from '@fdo/storage';

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

/** A copy on its own ArrayBuffer, the form Prisma's Bytes fields take. */
const bytes = (b: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(b);

export class RendezvousStore implements RegistrationStore, RegistrationLookup, To1ReplayGuard {
  constructor(private readonly prisma: PrismaClient) {}

  async register(registration: RvRegistration, nonce: ConsumedNonce): Promise<boolean> {
    const guid = formatGuid(registration.guid);
    const data = {
      to1d: bytes(registration.to1d),
      deviceKey: bytes(registration.deviceKey.spki),
      ownerKeyFingerprint: registration.ownerKeyFingerprint,
      voucherHeaderHash: bytes(registration.voucherHeaderHash),
      voucherEntryHash: bytes(registration.voucherEntryHash),
      waitSeconds: registration.waitSeconds,
      registeredAt: new Date(),
      expiresAt: registration.expiresAt,
    };
    try {
      // One transaction: a nonce already spent (unique key) rolls the registration back.
      await this.prisma.$transaction([
        this.prisma.rvUsedNonce.create({ data: { nonce: toHex(nonce.nonce), expiresAt: nonce.expiresAt } }),
        this.prisma.rvRegistration.upsert({ where: { guid }, create: { guid, ...data }, update: data }),
      ]);
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  async lookup(guid: Guid): Promise<RvRedirectRecord | null> {
    const row = await this.prisma.rvRegistration.findUnique({
      where: { guid: formatGuid(guid) },
      select: { to1d: true, deviceKey: true, expiresAt: true },
    });
    if (row === null) return null;
    return {
      to1d: new Uint8Array(row.to1d),
      deviceKey: { spki: new Uint8Array(row.deviceKey) },
      expiresAt: row.expiresAt,
    };
  }

  async consume(nonce: Nonce, expiresAt: Date): Promise<boolean> {
    try {
      await this.prisma.rvUsedNonce.create({ data: { nonce: toHex(nonce), expiresAt } });
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
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
