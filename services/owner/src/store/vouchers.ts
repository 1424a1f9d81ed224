/**
 * The owner's vouchers over Prisma: batched import (one transaction per batch), listing by cursor,
 * lookup, deletion and tags. Each voucher row also carries its device's status (see device-status.ts)
 * and owns its TO0 work rows (registrations.ts). Prisma is imported only under store/. The import
 * batches and the TO2 lookup run on the bare driver (`db.sql`): through Prisma they cost most of the
 * CPU of an import and of a TO2 message (issue 8).
 */
import {
  isSqlUniqueViolation,
  sqlExecute,
  sqlQuery,
  sqlValuesList,
  type Prisma,
  type PrismaClient,
  type SqlDriver,
  type SqlStatement,
  type SqlValue,
} from '@fdo/storage';

export const DEVICE_STATES = ['imported', 'registered', 'to2-started', 'onboarded', 'failed', 'transferred'] as const;
export type DeviceState = (typeof DEVICE_STATES)[number];

export interface NewVoucher {
  guid: string;
  voucher: Uint8Array;
  deviceInfo: string;
  ownerKeySha256: string;
  manufacturerKeySha256: string;
  entryCount: number;
  /** Rendezvous servers to register at (owner-side endpoints of the voucher's RV info). */
  rvUrls: string[];
}

/** The GUIDs a device's TO2 sessions may have begun with: its GUID, and the one before its last TO2. */
const sessionGuids = (guid: string, previousGuid: string | null): string[] =>
  previousGuid === null ? [guid] : [guid, previousGuid];

export type ImportOutcome = { result: 'imported' | 'duplicate' } | { result: 'rejected'; reason: string };

export interface VoucherRow {
  id: number;
  guid: string;
  voucher: Uint8Array;
  deviceInfo: string;
  ownerKeySha256: string;
  manufacturerKeySha256: string;
  entryCount: number;
  state: string;
  importedAt: Date;
  credentialReuse: boolean;
  tags: string[];
  /** The GUID the device held before its last TO2, until it shows up with the new one. */
  previousGuid: string | null;
  transferredAt: Date | null;
  transferredTo: string | null;
}

/** The voucher a device presenting `guid` in TO2.HelloDevice onboards with. */
export interface To2Voucher {
  guid: string;
  voucher: Uint8Array;
  tags: string[];
  credentialReuse: boolean;
  /** The device presented the GUID it held before its last TO2 (it never stored the replacement). */
  previous: boolean;
}

export interface VoucherFilter {
  guid?: string;
  tag?: string;
  state?: DeviceState;
  /** importedAt ≥ from */
  from?: Date;
  /** importedAt < to */
  to?: Date;
}

const bytes = (b: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(b);

export function voucherWhere(filter: VoucherFilter): Prisma.OwnerVoucherWhereInput {
  const where: Prisma.OwnerVoucherWhereInput = {};
  if (filter.guid !== undefined) where.guid = filter.guid;
  if (filter.state !== undefined) where.state = filter.state;
  if (filter.tag !== undefined) where.tags = { some: { tag: filter.tag } };
  if (filter.from !== undefined || filter.to !== undefined) {
    where.importedAt = {
      ...(filter.from === undefined ? {} : { gte: filter.from }),
      ...(filter.to === undefined ? {} : { lt: filter.to }),
    };
  }
  return where;
}

const withTags = { tags: { select: { tag: true }, orderBy: { tag: 'asc' } } } as const;
type RowWithTags = Prisma.OwnerVoucherGetPayload<{ include: typeof withTags }>;

function rowOf(r: RowWithTags): VoucherRow {
  return {
    id: r.id,
    guid: r.guid,
    voucher: new Uint8Array(r.voucher),
    deviceInfo: r.deviceInfo,
    ownerKeySha256: r.ownerKeySha256,
    manufacturerKeySha256: r.manufacturerKeySha256,
    entryCount: r.entryCount,
    state: r.state,
    importedAt: r.importedAt,
    credentialReuse: r.credentialReuse,
    tags: r.tags.map((t) => t.tag),
    previousGuid: r.previousGuid,
    transferredAt: r.transferredAt,
    transferredTo: r.transferredTo,
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** Rows per multi-row INSERT: within both databases' limits on values per statement. */
const INSERT_ROWS = 500;

/** `INSERT INTO table (columns) VALUES …` of many rows, in statements of at most {@link INSERT_ROWS} rows. */
function* insertRows(
  table: string,
  columns: readonly string[],
  rows: readonly SqlValue[][],
  returning = '',
): Generator<SqlStatement, Record<string, unknown>[], unknown> {
  const returned: Record<string, unknown>[] = [];
  for (let at = 0; at < rows.length; at += INSERT_ROWS) {
    const chunk = rows.slice(at, at + INSERT_ROWS);
    const sql = `INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES ${sqlValuesList(chunk.length, columns.length)}`;
    if (returning === '') yield* sqlExecute(sql, chunk.flat());
    else returned.push(...(yield* sqlQuery(`${sql} RETURNING ${returning}`, chunk.flat())));
  }
  return returned;
}

/**
 * One import batch, as one transaction: a GUID already held with the same bytes is a duplicate, with
 * other bytes a rejection; the rest are inserted with their tags, TO0 work rows and an import event.
 */
function* importBatch(items: readonly NewVoucher[], tags: readonly string[], now: Date) {
  const guids = [...new Set(items.map((i) => i.guid))];
  const existing =
    guids.length === 0
      ? []
      : yield* sqlQuery<{ guid: string; voucher: Uint8Array }>(
          `SELECT "guid", "voucher" FROM "owner_voucher" WHERE "guid" IN (${guids.map((_, i) => `$${i + 1}`).join(', ')})`,
          guids,
        );
  const held = new Map<string, Uint8Array>(existing.map((e) => [e.guid, e.voucher]));
  const outcomes: ImportOutcome[] = [];
  const fresh: NewVoucher[] = [];
  for (const item of items) {
    const prior = held.get(item.guid);
    if (prior === undefined) {
      held.set(item.guid, item.voucher);
      fresh.push(item);
      outcomes.push({ result: 'imported' });
    } else if (sameBytes(prior, item.voucher)) {
      outcomes.push({ result: 'duplicate' });
    } else {
      outcomes.push({
        result: 'rejected',
        reason: `another voucher for GUID ${item.guid} is already imported; delete it first to replace it`,
      });
    }
  }
  if (fresh.length === 0) return outcomes;
  const created = yield* insertRows(
    'owner_voucher',
    [
      'guid',
      'voucher',
      'device_info',
      'owner_key_sha256',
      'manufacturer_key_sha256',
      'entry_count',
      'state',
      'state_at',
      'imported_at',
    ],
    fresh.map((v) => [
      v.guid,
      v.voucher,
      v.deviceInfo,
      v.ownerKeySha256,
      v.manufacturerKeySha256,
      v.entryCount,
      'imported',
      now,
      now,
    ]),
    '"id", "guid"',
  );
  const ids = new Map(created.map((c) => [c.guid as string, Number(c.id)]));
  if (tags.length > 0) {
    yield* insertRows(
      'owner_voucher_tag',
      ['voucher_id', 'tag'],
      fresh.flatMap((v) => tags.map((tag) => [ids.get(v.guid)!, tag])),
    );
  }
  const rv = fresh.flatMap((v) =>
    [...new Set(v.rvUrls)].map((rvUrl) => [ids.get(v.guid)!, rvUrl, 'pending', now, new Date(0)]),
  );
  if (rv.length > 0) {
    yield* insertRows('owner_rv_registration', ['voucher_id', 'rv_url', 'state', 'next_attempt_at', 'lease_until'], rv);
  }
  yield* insertRows(
    'owner_device_event',
    ['guid', 'at', 'step', 'outcome', 'message'],
    fresh.map((v) => [
      v.guid,
      now,
      'import',
      'ok',
      `voucher imported (${v.entryCount} entries; rendezvous: ${v.rvUrls.length === 0 ? 'none usable by the owner' : v.rvUrls.join(', ')})`,
    ]),
  );
  return outcomes;
}

export class VoucherStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly sql: SqlDriver,
  ) {}

  /**
   * Imports a batch in one transaction: a GUID already held with the same bytes is a duplicate, with other
   * bytes a rejection; the rest are inserted with their tags, TO0 work rows and an import event. Outcomes
   * are in input order. A concurrent import of the same GUID makes the batch retry once.
   */
  async importBatch(items: readonly NewVoucher[], tags: readonly string[], now: Date): Promise<ImportOutcome[]> {
    try {
      return await this.sql.transaction(() => importBatch(items, tags, now));
    } catch (err) {
      if (!isSqlUniqueViolation(err)) throw err;
      return this.sql.transaction(() => importBatch(items, tags, now));
    }
  }

  /** One page in import order, after the row with id `after`. */
  async list(filter: VoucherFilter, page: { limit: number; after?: number }): Promise<VoucherRow[]> {
    const rows = await this.prisma.ownerVoucher.findMany({
      where: { ...voucherWhere(filter), ...(page.after === undefined ? {} : { id: { gt: page.after } }) },
      orderBy: { id: 'asc' },
      take: page.limit,
      include: withTags,
    });
    return rows.map(rowOf);
  }

  async find(guid: string): Promise<VoucherRow | null> {
    const row = await this.prisma.ownerVoucher.findUnique({ where: { guid }, include: withTags });
    return row === null ? null : rowOf(row);
  }

  /**
   * The voucher for TO2 with a device presenting `guid`: its current GUID, or the GUID it held before
   * its last TO2 (then the voucher it onboarded with then). Null when we hold none or it was transferred.
   */
  async findForTo2(guid: string): Promise<To2Voucher | null> {
    // One round trip: the voucher row once per tag (or once, with a null tag, when it has none).
    const rows = await this.sql.query<{
      id: number;
      guid: string;
      voucher: Uint8Array;
      previous_voucher: Uint8Array | null;
      credential_reuse: unknown;
      tag: string | null;
    }>(
      `SELECT v."id", v."guid", v."voucher", v."previous_voucher", v."credential_reuse", t."tag"
       FROM "owner_voucher" v LEFT JOIN "owner_voucher_tag" t ON t."voucher_id" = v."id"
       WHERE v."id" = (SELECT "id" FROM "owner_voucher" WHERE ("guid" = $1 OR "previous_guid" = $2)
                       AND "transferred_at" IS NULL LIMIT 1)
       ORDER BY t."tag"`,
      [guid, guid],
    );
    const row = rows[0];
    if (row === undefined) return null;
    const previous = row.guid !== guid;
    const voucher = previous ? row.previous_voucher : row.voucher;
    if (voucher === null) return null;
    return {
      guid: row.guid,
      voucher,
      tags: rows.flatMap((r) => (r.tag === null ? [] : [r.tag])),
      credentialReuse: Boolean(row.credential_reuse),
      previous,
    };
  }

  /**
   * Resale (§2.7): stores the voucher extended to the next owner (SHA-256 of its key SPKI) and stops
   * TO0 and TO2 for it here. Only from the voucher bytes read before (`expected`), so two concurrent
   * extensions cannot both succeed; false when it changed meanwhile.
   */
  async transfer(
    guid: string,
    expected: Uint8Array,
    next: { voucher: Uint8Array; entryCount: number; ownerSha256: string },
    now: Date,
  ): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const row = await tx.ownerVoucher.findUnique({
        where: { guid },
        select: { id: true, voucher: true, previousGuid: true },
      });
      if (row === null || !sameBytes(new Uint8Array(row.voucher), expected)) return false;
      const { count } = await tx.ownerVoucher.updateMany({
        where: { id: row.id, transferredAt: null },
        data: {
          voucher: bytes(next.voucher),
          entryCount: next.entryCount,
          transferredAt: now,
          transferredTo: next.ownerSha256,
          state: 'transferred',
          stateAt: now,
          previousGuid: null,
          previousVoucher: null,
        },
      });
      if (count === 0) return false;
      await tx.ownerRvRegistration.updateMany({ where: { voucherId: row.id }, data: { state: 'stopped' } });
      await tx.ownerTo2Session.deleteMany({ where: { guid: { in: sessionGuids(guid, row.previousGuid) } } });
      await tx.ownerDeviceEvent.create({
        data: {
          guid,
          at: now,
          step: 'api',
          outcome: 'info',
          message: `voucher extended to the next owner (key SHA-256 ${next.ownerSha256}); TO0 and TO2 stopped here`,
        },
      });
      return true;
    });
  }

  /** Removes the voucher, its tags, TO0 rows, timeline and TO2 sessions; false when there was none. */
  async delete(guid: string): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const row = await tx.ownerVoucher.findUnique({ where: { guid }, select: { previousGuid: true } });
      // deleteMany: a racing deletion makes this one find nothing (false), not throw.
      if (row === null || (await tx.ownerVoucher.deleteMany({ where: { guid } })).count === 0) return false;
      // A session in flight keeps the voucher it started with (to2/state.ts): ending it is what stops it.
      await tx.ownerTo2Session.deleteMany({ where: { guid: { in: sessionGuids(guid, row.previousGuid) } } });
      await tx.ownerDeviceEvent.deleteMany({ where: { guid } });
      return true;
    });
  }

  /** Replaces the voucher's tags; false when there is no such voucher. */
  async setTags(guid: string, tags: readonly string[], now: Date): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const row = await tx.ownerVoucher.findUnique({ where: { guid }, select: { id: true } });
      if (row === null) return false;
      await tx.ownerVoucherTag.deleteMany({ where: { voucherId: row.id } });
      const unique = [...new Set(tags)];
      if (unique.length > 0)
        await tx.ownerVoucherTag.createMany({ data: unique.map((tag) => ({ voucherId: row.id, tag })) });
      await tx.ownerDeviceEvent.create({
        data: { guid, at: now, step: 'api', outcome: 'info', message: `tags set to [${unique.join(', ')}]` },
      });
      return true;
    });
  }

  /** Opts a voucher in or out of credential reuse (keeps TO0 going after onboarding). */
  async setCredentialReuse(guid: string, enabled: boolean, now: Date): Promise<boolean> {
    return (await this.#setCredentialReuse({ guid }, enabled, now)) === 1;
  }

  /** Credential reuse for every voucher carrying `tag`; returns how many. */
  async setCredentialReuseByTag(tag: string, enabled: boolean, now: Date): Promise<number> {
    return this.#setCredentialReuse({ tags: { some: { tag } } }, enabled, now);
  }

  /**
   * Enabling it on onboarded devices resumes their TO0 (their rows were stopped at onboarding), so a
   * device that is reset finds its owner again with the same credential (§5.5.9).
   */
  #setCredentialReuse(where: Prisma.OwnerVoucherWhereInput, enabled: boolean, now: Date): Promise<number> {
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.ownerVoucher.updateMany({ where, data: { credentialReuse: enabled } });
      if (enabled && count > 0) {
        await tx.ownerRvRegistration.updateMany({
          where: { state: 'stopped', voucher: { ...where, transferredAt: null } },
          data: { state: 'pending', nextAttemptAt: now, failures: 0 },
        });
      }
      return count;
    });
  }
}
