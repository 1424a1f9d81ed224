/**
 * Device status, the owner's main view: per GUID its state (imported → registered → to2-started →
 * onboarded, or failed) with timestamps in indexed columns, and a timeline of events. TO2 reports
 * through {@link DeviceStatusStore.to2Started}, {@link DeviceStatusStore.onboarded} and
 * {@link DeviceStatusStore.failed}; the TO0 scheduler through registrations.ts.
 *
 * The three TO2 reports run on the bare driver (`db.sql`), each one transaction: through Prisma they
 * were about ten interactive-transaction queries per onboarding and most of the owner's CPU in TO2
 * (issue 8). Listing, counting and the timeline stay on Prisma.
 */
import {
  LAZY_WRITE,
  sqlExecute,
  sqlQuery,
  sqlDate,
  type Prisma,
  type PrismaClient,
  type SqlDriver,
  type SqlValue,
} from '@fdo/storage';
import { voucherWhere, type DeviceState, type VoucherFilter } from './vouchers.js';

/** devmod facts (devmod:os, devmod:arch, devmod:version, devmod:sn) reported by the device in TO2. */
export interface DeviceFacts {
  os?: string;
  arch?: string;
  version?: string;
  serial?: string;
}

export interface DeviceEvent {
  at: Date;
  step: string;
  outcome: 'ok' | 'error' | 'info';
  message: string | null;
}

export interface RendezvousStatus {
  url: string;
  state: string;
  registeredUntil: Date | null;
  failures: number;
  lastError: string | null;
  nextAttemptAt: Date;
}

export interface DeviceStatus {
  id: number;
  guid: string;
  deviceInfo: string;
  state: DeviceState;
  stateAt: Date;
  importedAt: Date;
  registeredUntil: Date | null;
  to2StartedAt: Date | null;
  onboardedAt: Date | null;
  failedAt: Date | null;
  failedStep: string | null;
  failedReason: string | null;
  facts: DeviceFacts;
  credentialReuse: boolean;
  tags: string[];
  /** The GUID before the last TO2, while the device may still come back with it. */
  previousGuid: string | null;
  /** Resale: when and to which key (SPKI SHA-256) the voucher was extended. */
  transferredAt: Date | null;
  transferredTo: string | null;
  /** The credential profile assigned through the API, and the one its last TO2 delivered. */
  profile: string | null;
  onboardedProfile: string | null;
  /** The ServiceInfo modules of its last TO2 and their outcome. */
  serviceInfo: ModuleOutcome[];
}

/** One ServiceInfo module of an onboarding: how it ended and what it did. */
export interface ModuleOutcome {
  module: string;
  /** ok | error | not-supported (the device lacks it) | incomplete */
  result: string;
  detail?: string;
}

/** What the last TO2 did, kept with the device. */
export interface OnboardingRecord {
  serviceInfo: ModuleOutcome[];
  profile: string | null;
  /** When this onboarding's TO2 session started; null skips the overlapping-session check. */
  sessionStartedAt?: Date | null;
}

/** What {@link DeviceStatusStore.onboarded} did. */
export type OnboardedOutcome =
  | { onboarded: true; guid: string; to2StartedAt: Date | null }
  /** Nothing stored: the device (now `guid`) onboarded at `supersededAt`, after this session started, in another. */
  | { onboarded: false; guid: string; supersededAt: Date };

/** A TO2 session's fence (store/to2-sessions.ts), opened in the same write as {@link DeviceStatusStore.to2Started}. */
export interface OpenedSession {
  id: string;
  expiresAt: Date;
  /** The session state when its token cannot carry it. */
  state: Uint8Array | null;
}

/** The credential the device received in TO2 (absent with credential reuse). */
export interface Replacement {
  guid: string;
  /** The voucher for its next onboarding, as stored (extended to our own key). */
  voucher: Uint8Array;
  entryCount: number;
  ownerKeySha256: string;
}

export interface DeviceFilter extends VoucherFilter {
  /** GUID prefix, device serial number (exact) or text in the device info. */
  q?: string;
}

const include = { tags: { select: { tag: true }, orderBy: { tag: 'asc' } } } as const;
type Row = Prisma.OwnerVoucherGetPayload<{ include: typeof include }>;

function statusOf(r: Row): DeviceStatus {
  const facts: DeviceFacts = {};
  if (r.deviceOs !== null) facts.os = r.deviceOs;
  if (r.deviceArch !== null) facts.arch = r.deviceArch;
  if (r.deviceVersion !== null) facts.version = r.deviceVersion;
  if (r.deviceSerial !== null) facts.serial = r.deviceSerial;
  return {
    id: r.id,
    guid: r.guid,
    deviceInfo: r.deviceInfo,
    state: r.state as DeviceState,
    stateAt: r.stateAt,
    importedAt: r.importedAt,
    registeredUntil: r.registeredUntil,
    to2StartedAt: r.to2StartedAt,
    onboardedAt: r.onboardedAt,
    failedAt: r.failedAt,
    failedStep: r.failedStep,
    failedReason: r.failedReason,
    facts,
    credentialReuse: r.credentialReuse,
    tags: r.tags.map((t) => t.tag),
    previousGuid: r.previousGuid,
    transferredAt: r.transferredAt,
    transferredTo: r.transferredTo,
    profile: r.profile,
    onboardedProfile: r.onboardedProfile,
    serviceInfo: r.serviceInfo === null ? [] : (JSON.parse(r.serviceInfo) as ModuleOutcome[]),
  };
}

/** The device's row by its GUID or by the GUID it held before its last TO2. */
const byAnyGuid = (guid: string): Prisma.OwnerVoucherWhereInput => ({ OR: [{ guid }, { previousGuid: guid }] });

function deviceWhere(filter: DeviceFilter): Prisma.OwnerVoucherWhereInput {
  const where = voucherWhere(filter);
  if (filter.q === undefined) return where;
  const q = filter.q.trim().toLowerCase();
  return {
    AND: [
      where,
      {
        OR: [
          { guid: { startsWith: q } },
          { deviceSerial: filter.q.trim() },
          { deviceInfo: { contains: filter.q.trim() } },
        ],
      },
    ],
  };
}

/**
 * The id of the row of a device presenting a GUID (its current one or the one before its last TO2),
 * with the GUID bound twice from placeholder `$first` on.
 */
const idByAnyGuid = (first: number) =>
  `SELECT "id" FROM "owner_voucher" WHERE "guid" = $${first} OR "previous_guid" = $${first + 1} LIMIT 1`;

// "TO2 started" and "TO2 failed" need not wait for the disk (LAZY_WRITE): a power failure may undo
// the last of them, which the device's retry writes again. "Onboarded" is durable: the device is about
// to be told its replacement credential was stored, and that commit makes the earlier reports durable too.

const EVENT_INSERT = `INSERT INTO "owner_device_event" ("guid", "at", "step", "outcome", "message") VALUES ($1, $2, $3, $4, $5)`;

/**
 * PostgreSQL: a report's UPDATE and its timeline event in one statement (a data-modifying WITH feeding
 * {@link eventFrom} the device's current GUID): one round trip instead of BEGIN, two
 * statements and COMMIT, and atomic as the transaction was. SQLite keeps the transaction (no UPDATE in
 * WITH there; it runs synchronously in-process).
 */
const eventFrom = (guid: string, at: string) =>
  `INSERT INTO "owner_device_event" ("guid", "at", "step", "outcome", "message") SELECT ${guid}, ${at}`;

/** What an onboarding writes to the device's row (both databases), its replacement credential included. */
function onboardedColumns(
  at: Date,
  facts: DeviceFacts,
  replacement: Replacement | null,
  record: OnboardingRecord,
): [column: string, value: SqlValue][] {
  return [
    ['state', 'onboarded'],
    ['state_at', at],
    ['onboarded_at', at],
    ['failed_at', null],
    ['failed_step', null],
    ['failed_reason', null],
    ['device_os', facts.os ?? null],
    ['device_arch', facts.arch ?? null],
    ['device_version', facts.version ?? null],
    ['device_serial', facts.serial ?? null],
    ['service_info', JSON.stringify(record.serviceInfo)],
    ['onboarded_profile', record.profile],
    ...(replacement === null
      ? []
      : ([
          ['guid', replacement.guid],
          ['voucher', replacement.voucher],
          ['entry_count', replacement.entryCount],
          ['owner_key_sha256', replacement.ownerKeySha256],
        ] as [string, SqlValue][])),
  ];
}

export class DeviceStatusStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly sql: SqlDriver,
    private readonly now: () => number = Date.now,
  ) {}

  async list(filter: DeviceFilter, page: { limit: number; after?: number }): Promise<DeviceStatus[]> {
    const rows = await this.prisma.ownerVoucher.findMany({
      where: { ...deviceWhere(filter), ...(page.after === undefined ? {} : { id: { gt: page.after } }) },
      orderBy: { id: 'asc' },
      take: page.limit,
      include,
    });
    return rows.map(statusOf);
  }

  /** Devices per state (every state present, zero included). */
  async counts(filter: { tag?: string } = {}): Promise<Record<DeviceState, number> & { total: number }> {
    const groups = await this.prisma.ownerVoucher.groupBy({
      by: ['state'],
      where: voucherWhere(filter),
      _count: { _all: true },
    });
    const out = { imported: 0, registered: 0, 'to2-started': 0, onboarded: 0, failed: 0, transferred: 0, total: 0 };
    for (const g of groups) {
      out[g.state as DeviceState] = g._count._all;
      out.total += g._count._all;
    }
    return out;
  }

  /** The device by its GUID, or by the GUID it held before its last TO2. */
  async get(guid: string): Promise<DeviceStatus | null> {
    const row = await this.prisma.ownerVoucher.findFirst({ where: byAnyGuid(guid), include });
    return row === null ? null : statusOf(row);
  }

  /** The device's rendezvous registrations (TO0 work rows). */
  async rendezvous(guid: string): Promise<RendezvousStatus[]> {
    const rows = await this.prisma.ownerRvRegistration.findMany({
      where: { voucher: { guid } },
      orderBy: { rvUrl: 'asc' },
    });
    return rows.map((r) => ({
      url: r.rvUrl,
      state: r.state,
      registeredUntil: r.registeredUntil,
      failures: r.failures,
      lastError: r.lastError,
      nextAttemptAt: r.nextAttemptAt,
    }));
  }

  /** The device's timeline, oldest first (the last `limit` events). */
  async events(guid: string, limit = 200): Promise<DeviceEvent[]> {
    const rows = await this.prisma.ownerDeviceEvent.findMany({ where: { guid }, orderBy: { id: 'desc' }, take: limit });
    return rows.reverse().map((e) => ({
      at: e.at,
      step: e.step,
      outcome: e.outcome as DeviceEvent['outcome'],
      message: e.message,
    }));
  }

  async record(guid: string, step: string, outcome: DeviceEvent['outcome'], message: string): Promise<void> {
    await this.prisma.ownerDeviceEvent.create({ data: { guid, at: new Date(this.now()), step, outcome, message } });
  }

  /**
   * TO2 began (TO2.HelloDevice accepted) for a device presenting `guid`. A device presenting its new
   * GUID has stored its replacement credential: the previous GUID and voucher are dropped. With
   * `session`, the session's fence is opened in the same write (one commit, or one statement on
   * PostgreSQL); false, and no fence, when no voucher answers to `guid`.
   */
  async to2Started(guid: string, session?: OpenedSession): Promise<boolean> {
    const at = new Date(this.now());
    const event = (current: string) =>
      current === guid
        ? 'TO2 started'
        : `TO2 started (with its previous GUID ${guid}: it never stored the last replacement)`;
    if (this.sql.provider === 'postgresql') {
      const fence =
        session === undefined
          ? ''
          : `, "fence" AS (
           INSERT INTO "owner_to2_session" ("id", "guid", "version", "state", "created_at", "expires_at")
           SELECT $5::text, $2, 1, $6::bytea, $1, $7::timestamp(3) FROM "row")`;
      const rows = await this.sql.query(
        `WITH "row" AS (
           UPDATE "owner_voucher" SET "state" = 'to2-started', "state_at" = $1, "to2_started_at" = $1,
             "previous_guid" = CASE WHEN "guid" = $2 THEN NULL ELSE "previous_guid" END,
             "previous_voucher" = CASE WHEN "guid" = $2 THEN NULL ELSE "previous_voucher" END
           WHERE "id" = (SELECT "id" FROM "owner_voucher" WHERE "guid" = $2 OR "previous_guid" = $2 LIMIT 1)
           RETURNING "guid")${fence}
         ${eventFrom('"guid"', '$1')}, 'to2', 'info', CASE WHEN "guid" = $2 THEN $3 ELSE $4 END FROM "row"
         RETURNING "guid"`,
        [
          at,
          guid,
          event(guid),
          event(''),
          ...(session === undefined ? [] : [session.id, session.state, session.expiresAt]),
        ],
        LAZY_WRITE,
      );
      return rows.length === 1;
    }
    return this.sql.transaction(function* () {
      const [row] = yield* sqlQuery<{ guid: string }>(
        `UPDATE "owner_voucher" SET "state" = 'to2-started', "state_at" = $1, "to2_started_at" = $2,
           "previous_guid" = CASE WHEN "guid" = $3 THEN NULL ELSE "previous_guid" END,
           "previous_voucher" = CASE WHEN "guid" = $4 THEN NULL ELSE "previous_voucher" END
         WHERE "id" = (${idByAnyGuid(5)})
         RETURNING "guid"`,
        [at, at, guid, guid, guid, guid],
      );
      if (row === undefined) return false;
      yield* sqlExecute(EVENT_INSERT, [row.guid, at, 'to2', 'info', event(row.guid)]);
      if (session !== undefined) {
        yield* sqlExecute(
          `INSERT INTO "owner_to2_session" ("id", "guid", "version", "state", "created_at", "expires_at")
           VALUES ($1, $2, 1, $3, $4, $5)`,
          [session.id, guid, session.state, at, session.expiresAt],
        );
      }
      return true;
    }, LAZY_WRITE);
  }

  /**
   * TO2 finished (TO2.Done verified, before Done2 is sent) for a device that presented `guid`: its
   * facts, and the replacement credential whose voucher the next onboarding uses. With a new GUID the
   * device's row and timeline move to it; the presented GUID and its voucher are kept as "previous"
   * until the device shows up with the new one (it commits only on Done2, §5.5.10). TO0 stops unless
   * credential reuse is enabled. Returns the device's current GUID and when TO2 started, or null.
   *
   * Only the first of two overlapping sessions of one device may finish (a retry race, or a clone):
   * the update requires that the device has not onboarded since `record.sessionStartedAt`. Under
   * PostgreSQL's read committed the later UPDATE waits for the earlier one's row lock and re-reads the
   * row; SQLite runs the transaction whole. The loser stores nothing and learns when the winner finished.
   */
  async onboarded(
    guid: string,
    facts: DeviceFacts,
    replacement: Replacement | null,
    summary: string,
    record: OnboardingRecord = { serviceInfo: [], profile: null },
  ): Promise<OnboardedOutcome | null> {
    const at = new Date(this.now());
    if (this.sql.provider === 'postgresql')
      return this.#onboardedInOneStatement(guid, at, facts, replacement, summary, record);
    return this.sql.transaction(function* () {
      const [row] = yield* sqlQuery<{ id: number; guid: string; credential_reuse: unknown; to2_started_at: unknown }>(
        `SELECT "id", "guid", "credential_reuse", "to2_started_at" FROM "owner_voucher"
         WHERE "guid" = $1 OR "previous_guid" = $2 LIMIT 1`,
        [guid, guid],
      );
      if (row === undefined) return null;
      const set = onboardedColumns(at, facts, replacement, record);
      let assignments = '';
      // The device presented its current GUID: that one (and its voucher) becomes the fallback.
      // SET reads the row as it was, so these take the old GUID and voucher.
      if (replacement !== null && row.guid === guid) {
        assignments = `"previous_guid" = "guid", "previous_voucher" = "voucher", `;
      }
      assignments += set.map(([column], i) => `"${column}" = $${i + 1}`).join(', ');
      const since = record.sessionStartedAt ?? null;
      const changed = yield* sqlExecute(
        `UPDATE "owner_voucher" SET ${assignments} WHERE "id" = $${set.length + 1}` +
          (since === null ? '' : ` AND ("onboarded_at" IS NULL OR "onboarded_at" < $${set.length + 2})`),
        [...set.map(([, value]) => value), row.id, ...(since === null ? [] : [since])],
      );
      if (changed === 0) {
        const [winner] = yield* sqlQuery<{ guid: string; onboarded_at: unknown }>(
          `SELECT "guid", "onboarded_at" FROM "owner_voucher" WHERE "id" = $1`,
          [row.id],
        );
        return { onboarded: false, guid: winner!.guid, supersededAt: sqlDate(winner!.onboarded_at) } as const;
      }
      const current = replacement?.guid ?? row.guid;
      if (current !== row.guid) {
        yield* sqlExecute(`UPDATE "owner_device_event" SET "guid" = $1 WHERE "guid" = $2`, [current, row.guid]);
      }
      if (!row.credential_reuse) {
        yield* sqlExecute(`UPDATE "owner_rv_registration" SET "state" = 'stopped' WHERE "voucher_id" = $1`, [row.id]);
      }
      yield* sqlExecute(EVENT_INSERT, [current, at, 'to2', 'ok', summary]);
      return {
        onboarded: true,
        guid: current,
        to2StartedAt: row.to2_started_at == null ? null : sqlDate(row.to2_started_at),
      } as const;
    });
  }

  /**
   * PostgreSQL: {@link onboarded} as one statement (data-modifying WITHs: find the row, update it under
   * the overlap condition, move the timeline, stop TO0, add the event), one round trip instead of
   * seven. An overlapping session that lost reads the winner afterwards (rare).
   */
  async #onboardedInOneStatement(
    guid: string,
    at: Date,
    facts: DeviceFacts,
    replacement: Replacement | null,
    summary: string,
    record: OnboardingRecord,
  ): Promise<OnboardedOutcome | null> {
    const params: SqlValue[] = [guid, at, summary];
    const p = (value: SqlValue) => `$${params.push(value)}`;
    const set = onboardedColumns(at, facts, replacement, record).map(([column, value]) => `"${column}" = ${p(value)}`);
    if (replacement !== null) {
      // The device presented its current GUID: that one (and its voucher) becomes the fallback.
      // SET reads the row as it was, so these take the old GUID and voucher.
      set.push(
        `"previous_guid" = CASE WHEN v."guid" = $1 THEN v."guid" ELSE v."previous_guid" END`,
        `"previous_voucher" = CASE WHEN v."guid" = $1 THEN v."voucher" ELSE v."previous_voucher" END`,
      );
    }
    const since = record.sessionStartedAt ?? null;
    const overlap = since === null ? '' : ` AND (v."onboarded_at" IS NULL OR v."onboarded_at" < ${p(since)})`;
    const [row] = await this.sql.query<{ id: number | null; current: string | null; to2_started_at: unknown }>(
      `WITH "found" AS (
         SELECT "id", "guid", "credential_reuse" FROM "owner_voucher" WHERE "guid" = $1 OR "previous_guid" = $1 LIMIT 1),
       "done" AS (
         UPDATE "owner_voucher" v SET ${set.join(', ')}
         FROM "found" f WHERE v."id" = f."id"${overlap}
         RETURNING v."id", v."guid" AS "current", f."guid" AS "was", f."credential_reuse", v."to2_started_at"),
       "moved" AS (
         UPDATE "owner_device_event" e SET "guid" = d."current" FROM "done" d
         WHERE e."guid" = d."was" AND d."current" <> d."was"),
       "stopped" AS (
         UPDATE "owner_rv_registration" r SET "state" = 'stopped' FROM "done" d
         WHERE r."voucher_id" = d."id" AND NOT d."credential_reuse"),
       "event" AS (${eventFrom('d."current"', '$2')}, 'to2', 'ok', $3 FROM "done" d)
       SELECT f."id", d."current", d."to2_started_at" FROM "found" f LEFT JOIN "done" d ON true`,
      params,
    );
    if (row === undefined) return null;
    if (row.current === null) {
      const [winner] = await this.sql.query<{ guid: string; onboarded_at: unknown }>(
        `SELECT "guid", "onboarded_at" FROM "owner_voucher" WHERE "id" = $1`,
        [row.id],
      );
      return { onboarded: false, guid: winner!.guid, supersededAt: sqlDate(winner!.onboarded_at) };
    }
    return {
      onboarded: true,
      guid: row.current,
      to2StartedAt: row.to2_started_at == null ? null : sqlDate(row.to2_started_at),
    };
  }

  /** Assigns a credential profile (null: none, back to selectors); false when the device is unknown. */
  async assignProfile(guid: string, profile: string | null): Promise<boolean> {
    const row = await this.prisma.ownerVoucher.findFirst({ where: byAnyGuid(guid), select: { id: true, guid: true } });
    if (row === null) return false;
    await this.prisma.ownerVoucher.update({ where: { id: row.id }, data: { profile } });
    await this.record(
      row.guid,
      'api',
      'info',
      profile === null ? 'profile assignment removed' : `profile ${profile} assigned`,
    );
    return true;
  }

  /** Devices assigned to the profile or onboarded with it: how many, and the first `limit`. */
  async withProfile(
    name: string,
    limit: number,
  ): Promise<{ count: number; devices: { guid: string; state: string }[] }> {
    const where = { OR: [{ profile: name }, { onboardedProfile: name }] };
    const [count, rows] = await Promise.all([
      this.prisma.ownerVoucher.count({ where }),
      this.prisma.ownerVoucher.findMany({
        where,
        orderBy: { id: 'asc' },
        take: limit,
        select: { guid: true, state: true },
      }),
    ]);
    return { count, devices: rows };
  }

  /** TO2 failed at `step` (a message name, e.g. "TO2.ProveDevice") for `reason`. */
  async failed(guid: string, step: string, reason: string): Promise<boolean> {
    const at = new Date(this.now());
    if (this.sql.provider === 'postgresql') {
      const rows = await this.sql.query(
        `WITH "row" AS (
           UPDATE "owner_voucher" SET "state" = 'failed', "state_at" = $1, "failed_at" = $1, "failed_step" = $2,
             "failed_reason" = $3
           WHERE "id" = (SELECT "id" FROM "owner_voucher" WHERE "guid" = $4 OR "previous_guid" = $4 LIMIT 1)
           RETURNING "guid")
         ${eventFrom('"guid"', '$1')}, $2, 'error', $3 FROM "row"
         RETURNING "guid"`,
        [at, step, reason, guid],
        LAZY_WRITE,
      );
      return rows.length === 1;
    }
    return this.sql.transaction(function* () {
      const [row] = yield* sqlQuery<{ guid: string }>(
        `UPDATE "owner_voucher" SET "state" = 'failed', "state_at" = $1, "failed_at" = $2, "failed_step" = $3,
           "failed_reason" = $4
         WHERE "id" = (${idByAnyGuid(5)})
         RETURNING "guid"`,
        [at, at, step, reason, guid, guid],
      );
      if (row === undefined) return false;
      yield* sqlExecute(EVENT_INSERT, [row.guid, at, step, 'error', reason]);
      return true;
    }, LAZY_WRITE);
  }
}
