/**
 * Management API tokens. A token is `fdo_` + 32 random bytes (base64url); only its SHA-256 is stored,
 * so a database leak does not leak usable tokens. Scopes: read ⊂ write ⊂ admin.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PrismaClient } from './database.js';

export const API_SCOPES = ['read', 'write', 'admin'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export interface ApiPrincipal {
  tokenId: string;
  name: string;
  scopes: ApiScope[];
}

export interface ApiTokenInfo extends ApiPrincipal {
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

const TOKEN_PREFIX = 'fdo_';
/** lastUsedAt is refreshed at most this often, so verifying a token is a read, not a write. */
const LAST_USED_RESOLUTION_MS = 60_000;

function hashToken(token: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHash('sha256').update(token, 'utf8').digest());
}

export function parseScopes(text: string): ApiScope[] {
  const scopes = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const s of scopes) {
    if (!(API_SCOPES as readonly string[]).includes(s)) {
      throw new Error(`unknown scope "${s}": expected one or more of ${API_SCOPES.join(', ')}`);
    }
  }
  if (scopes.length === 0) throw new Error(`a token needs at least one scope (${API_SCOPES.join(', ')})`);
  return scopes as ApiScope[];
}

/** True when a principal holding `scopes` may act with `needed` (admin ⊇ write ⊇ read). */
export function scopeAllows(scopes: readonly ApiScope[], needed: ApiScope): boolean {
  const rank = (s: ApiScope) => API_SCOPES.indexOf(s);
  return scopes.some((s) => rank(s) >= rank(needed));
}

export class ApiTokenStore {
  constructor(
    private readonly prisma: PrismaClient,
    readonly service: string,
  ) {}

  /** Creates a token; the returned `token` is the only time it exists in clear. */
  async create(input: { name: string; scopes: readonly ApiScope[] }): Promise<{ id: string; token: string }> {
    if (input.name.trim() === '') throw new Error('a token needs a name');
    const scopes = parseScopes(input.scopes.join(','));
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const id = randomUUID();
    await this.prisma.apiToken.create({
      data: { id, service: this.service, name: input.name, hash: hashToken(token), scopes: scopes.join(',') },
    });
    return { id, token };
  }

  /** The principal a token stands for, or null when it is unknown, revoked or another service's. */
  async verify(token: string): Promise<ApiPrincipal | null> {
    if (!token.startsWith(TOKEN_PREFIX) || token.length > 128) return null;
    const row = await this.prisma.apiToken.findUnique({ where: { hash: hashToken(token) } });
    if (row === null || row.service !== this.service || row.revokedAt !== null) return null;
    const now = Date.now();
    if (row.lastUsedAt === null || now - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      // Best effort: a failed bookkeeping write must not fail the request.
      await this.prisma.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date(now) } }).catch(() => {});
    }
    return { tokenId: row.id, name: row.name, scopes: parseScopes(row.scopes) };
  }

  async list(): Promise<ApiTokenInfo[]> {
    const rows = await this.prisma.apiToken.findMany({
      where: { service: this.service },
      orderBy: { createdAt: 'asc' },
    });
    return rows.map((r) => ({
      tokenId: r.id,
      name: r.name,
      scopes: parseScopes(r.scopes),
      createdAt: r.createdAt,
      lastUsedAt: r.lastUsedAt,
      revokedAt: r.revokedAt,
    }));
  }

  /** Revokes a token; false when no such token of this service exists. */
  async revoke(id: string): Promise<boolean> {
    const { count } = await this.prisma.apiToken.updateMany({
      where: { id, service: this.service, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    return count === 1;
  }

  /**
   * First start: when this service has no token at all, creates an admin token and writes it to
   * `file` (mode 0600) so the operator can pick it up. Returns the file written, or null.
   */
  async ensureBootstrapToken(file: string): Promise<string | null> {
    const count = await this.prisma.apiToken.count({ where: { service: this.service } });
    if (count > 0) return null;
    const { token } = await this.create({ name: 'bootstrap-admin', scopes: ['admin'] });
    mkdirSync(dirname(file), { recursive: true });
    if (existsSync(file)) chmodSync(file, 0o600);
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
    return file;
  }
}
