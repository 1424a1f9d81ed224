/** The audit trail of management actions: who (token name), what, on which target, when. */
import type { PrismaClient } from './database.js';

export interface AuditEntry {
  actor: string;
  action: string;
  target?: string;
  detail?: string;
}

export class AuditLog {
  constructor(
    private readonly prisma: PrismaClient,
    readonly service: string,
  ) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.prisma.auditEvent.create({
      data: {
        service: this.service,
        actor: entry.actor,
        action: entry.action,
        target: entry.target ?? null,
        detail: entry.detail ?? null,
      },
    });
  }

  async recent(limit = 100): Promise<(AuditEntry & { at: Date })[]> {
    const rows = await this.prisma.auditEvent.findMany({
      where: { service: this.service },
      orderBy: { id: 'desc' },
      take: limit,
    });
    return rows.map((r) => ({
      at: r.at,
      actor: r.actor,
      action: r.action,
      ...(r.target === null ? {} : { target: r.target }),
      ...(r.detail === null ? {} : { detail: r.detail }),
    }));
  }
}
