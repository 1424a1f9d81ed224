/**
 * The rendezvous service's configuration: environment variables (`FDO_RV_*`) read into a typed,
 * validated object. Every problem is reported at once, each naming its setting.
 */
import { resolve } from 'node:path';
import { FDO_MAX_MESSAGE_SIZE } from '@fdo/server-kit';

export const DEFAULT_PORT = 8040;
const INT32_MAX = 0x7fffffff;

export type ReplayGuardMode = 'memory' | 'database' | 'off';

export interface RateLimitConfig {
  /** Sustained requests per second allowed from one source address; 0 turns the limit off. */
  perSecond: number;
  /** Requests one source may send in a burst above the sustained rate. */
  burst: number;
  /** Proxies in front of the service whose `X-Forwarded-For` entries are trusted (0: use the peer address). */
  trustProxyHops: number;
}

export interface RendezvousConfig {
  host: string;
  port: number;
  /** `file:…` (SQLite, the default under dataDir) or `postgresql://…`. */
  databaseUrl: string;
  dataDir: string;
  /** The longest registration granted (TO0.AcceptOwner WaitSeconds = min(asked, this)). */
  maxWaitSeconds: number;
  /** Lifetime of a TO0/TO1 session token. */
  tokenTtlSeconds: number;
  /** Secrets sealing session tokens (first seals, all open); null: a secret kept in the database. */
  tokenSecrets: Uint8Array[] | null;
  /** A JSON file with allow-lists and a deny-list (see trust-file.ts), or null. */
  trustFile: string | null;
  rateLimit: RateLimitConfig;
  /** How often expired registrations and spent nonces are removed. */
  purgeIntervalSeconds: number;
  /** How long an expired registration is kept, so TO1 can say when it expired, before it is removed. */
  purgeGraceSeconds: number;
  /** Largest FDO request body accepted. */
  maxMessageBytes: number;
  /** How a TO1.ProveToRV is kept from being answered twice (see README). */
  to1ReplayGuard: ReplayGuardMode;
  logger: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid rendezvous configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

type Env = Record<string, string | undefined>;

class Reader {
  readonly problems: string[] = [];
  constructor(readonly env: Env) {}

  text(name: string, fallback: string): string {
    const v = this.env[name];
    return v === undefined || v.trim() === '' ? fallback : v.trim();
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    const n = Number(raw.trim());
    if (!Number.isInteger(n) || n < min || n > max) {
      this.problems.push(`${name}="${raw}" must be an integer from ${min} to ${max}`);
      return fallback;
    }
    return n;
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const v = this.text(name, fallback);
    if (!(allowed as readonly string[]).includes(v)) {
      this.problems.push(`${name}="${v}" must be one of ${allowed.join(', ')}`);
      return fallback;
    }
    return v as T;
  }

  secrets(name: string): Uint8Array[] {
    const raw = this.env[name];
    if (raw === undefined || raw.trim() === '') return [];
    return raw.split(',').flatMap((part, i) => {
      const s = part.trim();
      const bytes = /^[0-9a-fA-F]+$/.test(s) ? Buffer.from(s, 'hex') : Buffer.from(s, 'base64');
      if (bytes.length < 32) {
        this.problems.push(
          `${name}: secret ${i + 1} must be at least 32 bytes, hex or base64 (e.g. openssl rand -hex 32)`,
        );
        return [];
      }
      return [new Uint8Array(bytes)];
    });
  }
}

/**
 * Reads the configuration from `env`; `overrides` (e.g. from `scripts/start.mjs` or a test) win.
 * Throws {@link ConfigError} listing every invalid setting.
 */
export function loadConfig(env: Env = process.env, overrides: Partial<RendezvousConfig> = {}): RendezvousConfig {
  const r = new Reader(env);
  const dataDir = resolve(r.text('FDO_RV_DATA_DIR', './.data/rendezvous'));
  const databaseUrl = r.text('FDO_RV_DATABASE_URL', `file:${resolve(dataDir, 'rendezvous.db')}`);
  if (!/^(file:|postgres(ql)?:\/\/)/.test(databaseUrl)) {
    r.problems.push('FDO_RV_DATABASE_URL must be file:/path/to/rendezvous.db or postgresql://user@host:5432/db');
  }
  const current = r.secrets('FDO_RV_TOKEN_SECRET');
  const secrets = [...current, ...r.secrets('FDO_RV_TOKEN_PREVIOUS_SECRETS')];
  if (secrets.length > 0 && current.length === 0) {
    r.problems.push('FDO_RV_TOKEN_PREVIOUS_SECRETS needs FDO_RV_TOKEN_SECRET (the secret that seals new tokens)');
  }
  const config: RendezvousConfig = {
    host: r.text('FDO_RV_HOST', r.text('HOST', '127.0.0.1')),
    port: r.int('FDO_RV_PORT', r.int('PORT', DEFAULT_PORT, 0, 65535), 0, 65535),
    databaseUrl,
    dataDir,
    maxWaitSeconds: r.int('FDO_RV_MAX_WAIT_SECONDS', 30 * 86_400, 1, INT32_MAX),
    tokenTtlSeconds: r.int('FDO_RV_TOKEN_TTL_SECONDS', 120, 5, 3600),
    tokenSecrets: secrets.length === 0 ? null : secrets,
    trustFile: env.FDO_RV_TRUST_FILE?.trim() ? resolve(env.FDO_RV_TRUST_FILE.trim()) : null,
    rateLimit: {
      perSecond: r.int('FDO_RV_RATE_LIMIT_PER_SECOND', 200, 0, 1_000_000),
      burst: r.int('FDO_RV_RATE_LIMIT_BURST', 2000, 1, 10_000_000),
      trustProxyHops: r.int('FDO_RV_TRUST_PROXY_HOPS', 0, 0, 10),
    },
    purgeIntervalSeconds: r.int('FDO_RV_PURGE_INTERVAL_SECONDS', 60, 1, 86_400),
    purgeGraceSeconds: r.int('FDO_RV_PURGE_GRACE_SECONDS', 3600, 0, 30 * 86_400),
    maxMessageBytes: r.int('FDO_RV_MAX_MESSAGE_BYTES', FDO_MAX_MESSAGE_SIZE, 1024, 1_048_576),
    to1ReplayGuard: r.oneOf<ReplayGuardMode>('FDO_RV_TO1_REPLAY_GUARD', 'memory', ['memory', 'database', 'off']),
    logger: r.text('FDO_LOG_LEVEL', 'info') !== 'silent',
  };
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return { ...config, ...overrides };
}
