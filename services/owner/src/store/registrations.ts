/**
 * TO0 work rows: one per voucher and rendezvous server. A scheduler claims due rows with a lease: one
 * conditional UPDATE (`lease_until < now`) marks them with a claim id unique to this round, then the
 * rows carrying that claim id are read back. On PostgreSQL a concurrent UPDATE of the same row waits and
 * re-checks the condition after the first commits; SQLite serialises writers. Either way a row is
 * claimed by one instance only, so no voucher is registered twice in a round.
 */
import type { PrismaClient } from '@fdo/storage';

export interface ClaimedRegistration {
  id: number;
  rvUrl: string;
  failures: number;
  guid: string;
  voucher: Uint8Array;
  ownerKeySha256: string;
  /** It was registered at this server before: this run renews (or replaces) that registration. */
  renewal: boolean;
}

export interface RendezvousCounts {
  url: string;
  registered: number;
  failing: number;
  pending: number;
  stopped: number;
}

export class RegistrationStore {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Claims up to `limit` due rows (next attempt reached, lease expired, voucher not onboarded unless
   * it reuses its credential) for `claimId` until `leaseUntil`. `due` says how many were found: fewer
   * claimed than due means another instance took some first.
   */
  async claim(
    claimId: string,
    now: Date,
    leaseUntil: Date,
    limit: number,
  ): Promise<{ due: number; claimed: ClaimedRegistration[] }> {
    const due = await this.prisma.ownerRvRegistration.findMany({
      where: {
        nextAttemptAt: { lte: now },
        leaseUntil: { lt: now },
        state: { not: 'stopped' },
        // Onboarding stops a device's rows (unless credential reuse); a transferred voucher is not ours.
        voucher: { transferredAt: null },
      },
      orderBy: { nextAttemptAt: 'asc' },
      take: limit,
      select: { id: true },
    });
    if (due.length === 0) return { due: 0, claimed: [] };
    await this.prisma.ownerRvRegistration.updateMany({
      where: { id: { in: due.map((d) => d.id) }, leaseUntil: { lt: now } },
      data: { leaseOwner: claimId, leaseUntil },
    });
    const rows = await this.prisma.ownerRvRegistration.findMany({
      where: { leaseOwner: claimId },
      include: { voucher: { select: { guid: true, voucher: true, ownerKeySha256: true } } },
    });
    const claimed = rows.map((r) => ({
      id: r.id,
      rvUrl: r.rvUrl,
      failures: r.failures,
      guid: r.voucher.guid,
      voucher: new Uint8Array(r.voucher.voucher),
      ownerKeySha256: r.voucher.ownerKeySha256,
      renewal: r.registeredAt !== null,
    }));
    return { due: due.length, claimed };
  }

  /** Records a registration granted for `waitSeconds`, due again at `renewAt`; releases the lease. */
  async registered(row: ClaimedRegistration, now: Date, waitSeconds: number, renewAt: Date): Promise<void> {
    const until = new Date(now.getTime() + waitSeconds * 1000);
    await this.prisma.$transaction(async (tx) => {
      await tx.ownerRvRegistration.update({
        where: { id: row.id },
        data: {
          state: 'registered',
          registeredAt: now,
          registeredUntil: until,
          waitSeconds,
          failures: 0,
          lastAttemptAt: now,
          lastError: null,
          nextAttemptAt: renewAt,
          leaseOwner: null,
          leaseUntil: new Date(0),
        },
      });
      // The device's state moves to registered only from imported or registered (TO2 states win).
      await tx.ownerVoucher.updateMany({
        where: { guid: row.guid, state: { in: ['imported', 'registered'] } },
        data: { state: 'registered', stateAt: now },
      });
      await tx.ownerVoucher.updateMany({
        where: { guid: row.guid, OR: [{ registeredUntil: null }, { registeredUntil: { lt: until } }] },
        data: { registeredUntil: until },
      });
      await tx.ownerDeviceEvent.create({
        data: {
          guid: row.guid,
          at: now,
          step: 'to0',
          outcome: 'ok',
          message: `registered at ${row.rvUrl} for ${waitSeconds} s (until ${until.toISOString()})`,
        },
      });
    });
  }

  /** Records a failed attempt and when to retry; releases the lease. */
  async failed(row: ClaimedRegistration, now: Date, error: string, retryAt: Date): Promise<void> {
    await this.prisma.$transaction([
      this.prisma.ownerRvRegistration.update({
        where: { id: row.id },
        data: {
          state: 'failing',
          failures: { increment: 1 },
          lastAttemptAt: now,
          lastError: error,
          nextAttemptAt: retryAt,
          leaseOwner: null,
          leaseUntil: new Date(0),
        },
      }),
      this.prisma.ownerDeviceEvent.create({
        data: {
          guid: row.guid,
          at: now,
          step: 'to0',
          outcome: 'error',
          message: `${row.rvUrl}: ${error}; retrying at ${retryAt.toISOString()}`,
        },
      }),
    ]);
  }

  /** Makes the device's rows due now (stopped ones too); false when the GUID is unknown. */
  async dueNow(guid: string, now: Date): Promise<number | null> {
    const voucher = await this.prisma.ownerVoucher.findUnique({ where: { guid }, select: { id: true } });
    if (voucher === null) return null;
    const { count } = await this.prisma.ownerRvRegistration.updateMany({
      where: { voucherId: voucher.id },
      data: { nextAttemptAt: now, failures: 0, state: 'pending' },
    });
    return count;
  }

  /** Per rendezvous server, how many devices are registered, failing, pending and stopped. */
  async countsByServer(): Promise<RendezvousCounts[]> {
    const groups = await this.prisma.ownerRvRegistration.groupBy({
      by: ['rvUrl', 'state'],
      _count: { _all: true },
      orderBy: { rvUrl: 'asc' },
    });
    const byUrl = new Map<string, RendezvousCounts>();
    for (const g of groups) {
      const c = byUrl.get(g.rvUrl) ?? { url: g.rvUrl, registered: 0, failing: 0, pending: 0, stopped: 0 };
      if (g.state in c) c[g.state as 'registered' | 'failing' | 'pending' | 'stopped'] = g._count._all;
      byUrl.set(g.rvUrl, c);
    }
    return [...byUrl.values()];
  }
}
