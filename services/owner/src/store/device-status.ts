/**
 * Device status, the owner's main view: per GUID its state (imported → registered → to2-started →
 * onboarded, or failed) with timestamps in indexed columns, and a timeline of events. TO2 reports
 * through {@link DeviceStatusStore.to2Started}, {@link DeviceStatusStore.onboarded} and
 * {@link DeviceStatusStore.failed}; the TO0 scheduler through registrations.ts.
 */
import type { Prisma, PrismaClient } from '@fdo/storage';
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
  };
}

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

export class DeviceStatusStore {
  constructor(
    private readonly prisma: PrismaClient,
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
    const out = { imported: 0, registered: 0, 'to2-started': 0, onboarded: 0, failed: 0, total: 0 };
    for (const g of groups) {
      out[g.state as DeviceState] = g._count._all;
      out.total += g._count._all;
    }
    return out;
  }

  async get(guid: string): Promise<DeviceStatus | null> {
    const row = await this.prisma.ownerVoucher.findUnique({ where: { guid }, include });
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

  /** TO2 began (TO2.HelloDevice accepted). False when the GUID is not ours. */
  async to2Started(guid: string): Promise<boolean> {
    const at = new Date(this.now());
    return this.#update(guid, { state: 'to2-started', stateAt: at, to2StartedAt: at }, 'to2', 'info', 'TO2 started');
  }

  /**
   * TO2 finished (TO2.Done2 sent): the device's facts, and the replacement voucher that the next
   * onboarding uses. TO0 stops unless credential reuse is enabled for the device.
   */
  async onboarded(guid: string, facts: DeviceFacts, replacementVoucher: Uint8Array | null): Promise<boolean> {
    const at = new Date(this.now());
    return this.prisma.$transaction(async (tx) => {
      const row = await tx.ownerVoucher.findUnique({ where: { guid }, select: { id: true, credentialReuse: true } });
      if (row === null) return false;
      await tx.ownerVoucher.update({
        where: { id: row.id },
        data: {
          state: 'onboarded',
          stateAt: at,
          onboardedAt: at,
          failedAt: null,
          failedStep: null,
          failedReason: null,
          deviceOs: facts.os ?? null,
          deviceArch: facts.arch ?? null,
          deviceVersion: facts.version ?? null,
          deviceSerial: facts.serial ?? null,
          ...(replacementVoucher === null ? {} : { voucher: new Uint8Array(replacementVoucher) }),
        },
      });
      if (!row.credentialReuse) {
        await tx.ownerRvRegistration.updateMany({ where: { voucherId: row.id }, data: { state: 'stopped' } });
      }
      const what = [facts.os, facts.arch, facts.version].filter((f) => f !== undefined).join(' ');
      await tx.ownerDeviceEvent.create({
        data: { guid, at, step: 'to2', outcome: 'ok', message: `onboarded${what === '' ? '' : ` (${what})`}` },
      });
      return true;
    });
  }

  /** TO2 failed at `step` (a message name, e.g. "TO2.ProveDevice") for `reason`. */
  async failed(guid: string, step: string, reason: string): Promise<boolean> {
    const at = new Date(this.now());
    return this.#update(
      guid,
      { state: 'failed', stateAt: at, failedAt: at, failedStep: step, failedReason: reason },
      step,
      'error',
      reason,
    );
  }

  async #update(
    guid: string,
    data: Prisma.OwnerVoucherUpdateManyMutationInput,
    step: string,
    outcome: DeviceEvent['outcome'],
    message: string,
  ): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.ownerVoucher.updateMany({ where: { guid }, data });
      if (count === 0) return false;
      await tx.ownerDeviceEvent.create({ data: { guid, at: data.stateAt as Date, step, outcome, message } });
      return true;
    });
  }
}
