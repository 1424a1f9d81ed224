/**
 * The operational certificates the issuing CA signed, and their revocation: each issued certificate
 * is recorded against the device's voucher row; a newer one for the same device supersedes (revokes)
 * the older ones, and so does moving the device to another profile or the API. Every change rewrites
 * the CRL file (PEM) that a broker reads (Mosquitto `crlfile`); it is also rewritten at start and
 * daily, before its nextUpdate passes.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createCrl, crlToPem, describeCertificate } from '@fdo/protocol/x509';
import type { Prisma, PrismaClient } from '@fdo/storage';
import type { IssuingCa } from './issuing-ca.js';

export type RevokeReason = 'superseded' | 'profile-changed' | 'api';

export interface IssuedCertificate {
  serial: string;
  guid: string;
  profile: string | null;
  subject: string;
  issuedAt: Date;
  notAfter: Date;
  revokedAt: Date | null;
  revokedReason: string | null;
}

const DAY_MS = 86_400_000;

export class CertificateStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly ca: IssuingCa,
    private readonly crl: { file: string; validityDays: number },
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a certificate issued in the TO2 of `guid` and revokes the device's earlier ones. */
  async issued(guid: string, profile: string | null, der: Uint8Array): Promise<void> {
    const row = await this.prisma.ownerVoucher.findFirst({
      where: { OR: [{ guid }, { previousGuid: guid }] },
      select: { id: true },
    });
    if (row === null) throw new Error(`certificate issued for ${guid}, which has no voucher row`);
    const c = describeCertificate(der);
    const at = new Date(this.now());
    await this.prisma.$transaction([
      this.prisma.ownerCertificate.updateMany({
        where: { voucherId: row.id, revokedAt: null },
        data: { revokedAt: at, revokedReason: 'superseded' },
      }),
      this.prisma.ownerCertificate.create({
        data: {
          serial: c.serialNumber.toLowerCase(),
          voucherId: row.id,
          guid,
          profile,
          subject: c.subject,
          issuedAt: at,
          notAfter: c.notAfter,
        },
      }),
    ]);
    await this.writeCrl();
  }

  /** Revokes the device's certificates (all, or those not of `keepProfile`); returns their serials. */
  async revoke(voucherId: number, reason: RevokeReason, keepProfile: string | null = null): Promise<string[]> {
    const where: Prisma.OwnerCertificateWhereInput = {
      voucherId,
      revokedAt: null,
      ...(keepProfile === null ? {} : { NOT: { profile: keepProfile } }),
    };
    const found = await this.prisma.ownerCertificate.findMany({ where, select: { serial: true } });
    if (found.length === 0) return [];
    await this.prisma.ownerCertificate.updateMany({
      where: { serial: { in: found.map((f) => f.serial) } },
      data: { revokedAt: new Date(this.now()), revokedReason: reason },
    });
    await this.writeCrl();
    return found.map((f) => f.serial);
  }

  async forDevice(voucherId: number): Promise<IssuedCertificate[]> {
    return this.prisma.ownerCertificate.findMany({
      where: { voucherId },
      orderBy: { issuedAt: 'asc' },
      select: {
        serial: true,
        guid: true,
        profile: true,
        subject: true,
        issuedAt: true,
        notAfter: true,
        revokedAt: true,
        revokedReason: true,
      },
    });
  }

  /** The CRL (PEM) of every revoked certificate not yet expired. */
  async crlPem(): Promise<string> {
    const now = new Date(this.now());
    const revoked = await this.prisma.ownerCertificate.findMany({
      where: { revokedAt: { not: null }, notAfter: { gt: now } },
      select: { serial: true, revokedAt: true },
      orderBy: { serial: 'asc' },
    });
    const der = await createCrl({
      issuer: this.ca,
      revoked: revoked.map((r) => ({ serialNumber: r.serial, revokedAt: r.revokedAt! })),
      thisUpdate: new Date(now.getTime() - 5 * 60_000),
      nextUpdate: new Date(now.getTime() + this.crl.validityDays * DAY_MS),
    });
    return crlToPem(der);
  }

  /** Rewrites the CRL file atomically (temporary file, rename). */
  async writeCrl(): Promise<void> {
    const pem = await this.crlPem();
    mkdirSync(dirname(this.crl.file), { recursive: true });
    const tmp = `${this.crl.file}.${randomBytes(6).toString('hex')}.tmp`;
    writeFileSync(tmp, pem, { mode: 0o644 });
    renameSync(tmp, this.crl.file);
  }
}
