/**
 * The operator's trust lists, kept in the database so every instance shares them and the admin API
 * can change them: allow-listed owner keys, manufacturer keys and device CAs, and denied GUIDs.
 * The questions every TO0.OwnerSign asks (denied? list sizes, is a key on a list, a list's keys) go
 * to the bare driver (`db.sql`): through Prisma they were most of a TO0's CPU (issue 8).
 */
import { sqlDate, type PrismaClient, type SqlDriver } from '@fdo/storage';

export const TRUST_LISTS = ['owner', 'manufacturer', 'device-ca'] as const;
export type TrustList = (typeof TRUST_LISTS)[number];

export interface TrustedKey {
  list: TrustList;
  /** SHA-256 of the DER SubjectPublicKeyInfo, lower-case hex. */
  fingerprint: string;
  publicKey: Uint8Array;
  label: string | null;
  createdAt: Date;
}

export interface DeniedGuid {
  guid: string;
  reason: string | null;
  createdAt: Date;
}

export class TrustStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly sql: SqlDriver,
  ) {}

  async keys(list: TrustList): Promise<TrustedKey[]> {
    const rows = await this.sql.query<{
      fingerprint: string;
      public_key: Uint8Array;
      label: string | null;
      created_at: unknown;
    }>(
      `SELECT "fingerprint", "public_key", "label", "created_at" FROM "rv_trusted_key" WHERE "list" = $1
       ORDER BY "created_at"`,
      [list],
    );
    return rows.map((r) => ({
      list,
      fingerprint: r.fingerprint,
      publicKey: r.public_key,
      label: r.label,
      createdAt: sqlDate(r.created_at),
    }));
  }

  /** How many entries each list has (a list with entries is enforced). */
  async sizes(): Promise<Record<TrustList, number>> {
    const groups = await this.sql.query<{ list: string; n: number | bigint | string }>(
      `SELECT "list", COUNT(*) AS "n" FROM "rv_trusted_key" GROUP BY "list"`,
    );
    const sizes: Record<TrustList, number> = { owner: 0, manufacturer: 0, 'device-ca': 0 };
    for (const g of groups) if (g.list in sizes) sizes[g.list as TrustList] = Number(g.n);
    return sizes;
  }

  async has(list: TrustList, fingerprint: string): Promise<boolean> {
    const rows = await this.sql.query(
      `SELECT 1 AS "found" FROM "rv_trusted_key" WHERE "list" = $1 AND "fingerprint" = $2`,
      [list, fingerprint],
    );
    return rows.length > 0;
  }

  /** Adds a key (or updates its label); returns the entry. */
  async add(list: TrustList, fingerprint: string, publicKey: Uint8Array, label: string | null): Promise<TrustedKey> {
    const row = await this.prisma.rvTrustedKey.upsert({
      where: { list_fingerprint: { list, fingerprint } },
      create: { list, fingerprint, publicKey: new Uint8Array(publicKey), label },
      update: { label },
    });
    return { ...row, list, publicKey: new Uint8Array(row.publicKey) };
  }

  async remove(list: TrustList, fingerprint: string): Promise<boolean> {
    const { count } = await this.prisma.rvTrustedKey.deleteMany({ where: { list, fingerprint } });
    return count > 0;
  }

  async denied(): Promise<DeniedGuid[]> {
    return this.prisma.rvDeniedGuid.findMany({ orderBy: { createdAt: 'asc' } });
  }

  async isDenied(guid: string): Promise<boolean> {
    const rows = await this.sql.query(`SELECT 1 AS "found" FROM "rv_denied_guid" WHERE "guid" = $1`, [guid]);
    return rows.length > 0;
  }

  /**
   * Denies `guid` and removes its registration, in one transaction. Returns whether a registration was removed.
   * @NOTE a TO0 that passed its deny check just before may still store its registration; deny again to remove it.
   */
  async deny(guid: string, reason: string | null): Promise<{ entry: DeniedGuid; removedRegistration: boolean }> {
    const [entry, removed] = await this.prisma.$transaction([
      this.prisma.rvDeniedGuid.upsert({ where: { guid }, create: { guid, reason }, update: { reason } }),
      this.prisma.rvRegistration.deleteMany({ where: { guid } }),
    ]);
    return { entry, removedRegistration: removed.count > 0 };
  }

  async allow(guid: string): Promise<boolean> {
    const { count } = await this.prisma.rvDeniedGuid.deleteMany({ where: { guid } });
    return count > 0;
  }
}
