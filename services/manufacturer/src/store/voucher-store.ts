/**
 * The manufacturer's storage over Prisma: DI sessions (between DI.AppStart and DI.SetHMAC) and the
 * vouchers DI makes. Prisma is imported nowhere else in the service.
 *
 * Query budget per DI: one insert at DI.AppStart; at DI.SetHMAC one read, then one transaction that
 * deletes the session and inserts the voucher.
 */
import type { Prisma, PrismaClient } from '@fdo/storage';

export interface SessionRecord {
  header: Uint8Array;
  certChain: Uint8Array | null;
  serialNumber: string;
  deviceKeyType: number;
  tag: string | null;
}

export interface NewVoucher {
  guid: string;
  serialNumber: string;
  deviceInfo: string;
  tag: string | null;
  deviceKeyType: number;
  deviceCertSha256: string;
  voucher: Uint8Array;
  entryCount: number;
  ownerKeySha256: string | null;
}

export interface VoucherRecord extends NewVoucher {
  id: number;
  createdAt: Date;
  extendedAt: Date | null;
}

export interface VoucherFilter {
  serialNumber?: string;
  guid?: string;
  tag?: string;
  /** createdAt ≥ from */
  from?: Date;
  /** createdAt < to */
  to?: Date;
  /** Only vouchers the manufacturer still owns (no entries). */
  unextended?: boolean;
}

const bytes = (b: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(b);

function whereOf(filter: VoucherFilter): Prisma.MfgVoucherWhereInput {
  const where: Prisma.MfgVoucherWhereInput = {};
  if (filter.serialNumber !== undefined) where.serialNumber = filter.serialNumber;
  if (filter.guid !== undefined) where.guid = filter.guid;
  if (filter.tag !== undefined) where.tag = filter.tag;
  if (filter.from !== undefined || filter.to !== undefined) {
    where.createdAt = {
      ...(filter.from === undefined ? {} : { gte: filter.from }),
      ...(filter.to === undefined ? {} : { lt: filter.to }),
    };
  }
  if (filter.unextended === true) where.entryCount = 0;
  return where;
}

type VoucherRow = Awaited<ReturnType<PrismaClient['mfgVoucher']['findFirstOrThrow']>>;

function recordOf(row: VoucherRow): VoucherRecord {
  return { ...row, voucher: new Uint8Array(row.voucher) };
}

export class VoucherStore {
  constructor(private readonly prisma: PrismaClient) {}

  async createSession(id: string, session: SessionRecord, expiresAt: Date): Promise<void> {
    await this.prisma.mfgDiSession.create({
      data: {
        id,
        header: bytes(session.header),
        certChain: session.certChain === null ? null : bytes(session.certChain),
        serialNumber: session.serialNumber,
        deviceKeyType: session.deviceKeyType,
        tag: session.tag,
        expiresAt,
      },
    });
  }

  /** The live session with this id; null when unknown or expired. */
  async findSession(id: string, now: Date): Promise<SessionRecord | null> {
    const row = await this.prisma.mfgDiSession.findUnique({ where: { id } });
    if (row === null || row.expiresAt <= now) return null;
    return {
      header: new Uint8Array(row.header),
      certChain: row.certChain === null ? null : new Uint8Array(row.certChain),
      serialNumber: row.serialNumber,
      deviceKeyType: row.deviceKeyType,
      tag: row.tag,
    };
  }

  /** Ends the session and stores the voucher atomically; false (nothing written) when the session is gone or expired. */
  async completeSession(id: string, now: Date, voucher: NewVoucher): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.mfgDiSession.deleteMany({ where: { id, expiresAt: { gt: now } } });
      if (count !== 1) return false;
      await tx.mfgVoucher.create({
        data: { ...voucher, voucher: bytes(voucher.voucher), extendedAt: voucher.entryCount > 0 ? now : null },
      });
      return true;
    });
  }

  async deleteSession(id: string): Promise<void> {
    await this.prisma.mfgDiSession.deleteMany({ where: { id } });
  }

  /** Removes sessions whose device never came back; returns how many. */
  async sweepSessions(now: Date): Promise<number> {
    const { count } = await this.prisma.mfgDiSession.deleteMany({ where: { expiresAt: { lte: now } } });
    return count;
  }

  async countSessions(): Promise<number> {
    return this.prisma.mfgDiSession.count();
  }

  /** One page of vouchers in insertion order, after the voucher with id `after`. */
  async listVouchers(filter: VoucherFilter, page: { limit: number; after?: number }): Promise<VoucherRecord[]> {
    const rows = await this.prisma.mfgVoucher.findMany({
      where: { ...whereOf(filter), ...(page.after === undefined ? {} : { id: { gt: page.after } }) },
      orderBy: { id: 'asc' },
      take: page.limit,
    });
    return rows.map(recordOf);
  }

  /** Every matching voucher, read a page at a time (never all in memory). */
  async *iterateVouchers(filter: VoucherFilter, pageSize = 500): AsyncGenerator<VoucherRecord> {
    let after: number | undefined;
    for (;;) {
      const page = await this.listVouchers(filter, { limit: pageSize, ...(after === undefined ? {} : { after }) });
      yield* page;
      if (page.length < pageSize) return;
      after = page.at(-1)!.id;
    }
  }

  async countVouchers(filter: VoucherFilter): Promise<number> {
    return this.prisma.mfgVoucher.count({ where: whereOf(filter) });
  }

  async findVoucher(guid: string): Promise<VoucherRecord | null> {
    const row = await this.prisma.mfgVoucher.findUnique({ where: { guid } });
    return row === null ? null : recordOf(row);
  }

  /**
   * Replaces a voucher with its extension, only if it still has `entryCount` entries (so two
   * concurrent extensions cannot both win). False when another change came first.
   */
  async replaceVoucher(
    id: number,
    entryCount: number,
    next: { voucher: Uint8Array; entryCount: number; ownerKeySha256: string },
    now: Date,
  ): Promise<boolean> {
    const { count } = await this.prisma.mfgVoucher.updateMany({
      where: { id, entryCount },
      data: {
        voucher: bytes(next.voucher),
        entryCount: next.entryCount,
        ownerKeySha256: next.ownerKeySha256,
        extendedAt: now,
      },
    });
    return count === 1;
  }
}
