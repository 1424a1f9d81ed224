/**
 * The manufacturer's storage over Prisma: DI sessions (between DI.AppStart and DI.SetHMAC) and the
 * vouchers DI makes. Prisma is imported nowhere else in the service.
 *
 * Query budget per DI: one insert at DI.AppStart; at DI.SetHMAC one read, then one write that deletes
 * the session and inserts the voucher (one statement on PostgreSQL, a transaction on SQLite). These run
 * on the bare driver (`db.sql`): through Prisma they cost about a third of the manufacturer's CPU per DI
 * (issue 8). The rest stays on Prisma.
 */
import { sqlDate, sqlExecute, type Prisma, type PrismaClient, type SqlDriver } from '@fdo/storage';

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

const VOUCHER_COLUMNS = `"guid", "serial_number", "device_info", "tag", "device_key_type", "device_cert_sha256",
  "voucher", "entry_count", "owner_key_sha256", "created_at", "extended_at"`;

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
  constructor(
    private readonly prisma: PrismaClient,
    private readonly sql: SqlDriver,
  ) {}

  async createSession(id: string, session: SessionRecord, expiresAt: Date): Promise<void> {
    await this.sql.execute(
      `INSERT INTO "mfg_di_session"
         ("id", "header", "cert_chain", "serial_number", "device_key_type", "tag", "created_at", "expires_at")
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        id,
        session.header,
        session.certChain,
        session.serialNumber,
        session.deviceKeyType,
        session.tag,
        new Date(),
        expiresAt,
      ],
    );
  }

  /** The live session with this id; null when unknown or expired. */
  async findSession(id: string, now: Date): Promise<SessionRecord | null> {
    const [row] = await this.sql.query<{
      header: Uint8Array;
      cert_chain: Uint8Array | null;
      serial_number: string;
      device_key_type: number;
      tag: string | null;
      expires_at: unknown;
    }>(
      `SELECT "header", "cert_chain", "serial_number", "device_key_type", "tag", "expires_at"
       FROM "mfg_di_session" WHERE "id" = $1`,
      [id],
    );
    if (row === undefined || sqlDate(row.expires_at) <= now) return null;
    return {
      header: row.header,
      certChain: row.cert_chain,
      serialNumber: row.serial_number,
      deviceKeyType: Number(row.device_key_type),
      tag: row.tag,
    };
  }

  /**
   * Ends the session and stores the voucher atomically; false (nothing written) when the session is gone
   * or expired. PostgreSQL: one statement, the insert fed by the delete (a data-modifying WITH), so one
   * round trip instead of BEGIN, two statements and COMMIT on a checked-out client (issue 8); it commits
   * or fails as a whole, as the transaction did. SQLite: a transaction (it has no DELETE in WITH), run
   * synchronously in-process.
   */
  async completeSession(id: string, now: Date, voucher: NewVoucher): Promise<boolean> {
    const values = [
      voucher.guid,
      voucher.serialNumber,
      voucher.deviceInfo,
      voucher.tag,
      voucher.deviceKeyType,
      voucher.deviceCertSha256,
      voucher.voucher,
      voucher.entryCount,
      voucher.ownerKeySha256,
      now,
      voucher.entryCount > 0 ? now : null,
    ];
    if (this.sql.provider === 'postgresql') {
      const stored = await this.sql.execute(
        `WITH "spent" AS (DELETE FROM "mfg_di_session" WHERE "id" = $1 AND "expires_at" > $2 RETURNING "id")
         INSERT INTO "mfg_voucher" (${VOUCHER_COLUMNS})
         SELECT $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 FROM "spent"`,
        [id, now, ...values],
      );
      return stored === 1;
    }
    return this.sql.transaction(function* () {
      const count = yield* sqlExecute(`DELETE FROM "mfg_di_session" WHERE "id" = $1 AND "expires_at" > $2`, [id, now]);
      if (count !== 1) return false;
      yield* sqlExecute(
        `INSERT INTO "mfg_voucher" (${VOUCHER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        values,
      );
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
