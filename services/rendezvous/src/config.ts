/**
 * The rendezvous service's configuration: one schema (server-kit `defineConfig`) read from `FDO_RV_*`
 * variables and the optional JSON file `FDO_RV_CONFIG` into a typed, validated object. Every problem is
 * reported at once, each naming its setting, the value and what is expected. The README's table is
 * generated from {@link CONFIG_SCHEMA} (`npm run docs:config`).
 */
import {
  accessSettings,
  ConfigError,
  defineConfig,
  FDO_MAX_MESSAGE_SIZE,
  kinds,
  loadSettings,
  loggingSettings,
  rotatedSecrets,
  setting,
  type MetricsAccess,
  tlsConfigOf,
  type TlsConfig,
  placementSettings,
  rateLimitConfigOf,
  rateLimitSettings,
  type RateLimitConfig,
} from '@fdo/server-kit';

export { ConfigError, type RateLimitConfig } from '@fdo/server-kit';

export const DEFAULT_PORT = 8040;
const INT32_MAX = 0x7fffffff;

export type ReplayGuardMode = 'memory' | 'database' | 'off';

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
  logLevel: string;
  logFormat: 'json' | 'pretty' | null;
  /** Who may read `/metrics`: management API tokens (read scope), or anyone. */
  metricsAuth: MetricsAccess;
  /** Serve the OpenAPI document and the docs page. */
  apiDocs: boolean;
  /** HTTPS and mutual TLS for the management API (server-kit tls.ts). */
  tls: TlsConfig;
}

type Env = Record<string, string | undefined>;

const secrets = kinds.secrets();

/** Every rendezvous setting: variable, file key, kind, default, meaning. */
export const CONFIG_SCHEMA = defineConfig('rendezvous', 'FDO_RV_CONFIG', {
  ...placementSettings('FDO_RV', {
    name: 'rendezvous',
    port: DEFAULT_PORT,
    dataDirHolds: 'the SQLite file and the first admin API token',
    hostAlsoEnv: ['HOST'],
    portAlsoEnv: ['PORT'],
  }),
  maxWaitSeconds: setting(kinds.duration(1, INT32_MAX), {
    env: 'FDO_RV_MAX_WAIT_SECONDS',
    file: 'maxWaitSeconds',
    default: 30 * 86_400,
    description: 'longest registration granted: WaitSeconds = min(asked, this) (30 days)',
  }),
  tokenTtlSeconds: setting(kinds.duration(5, 3600), {
    env: 'FDO_RV_TOKEN_TTL_SECONDS',
    file: 'tokenTtlSeconds',
    default: 120,
    description: 'lifetime of a TO0/TO1 session token',
  }),
  tokenSecret: setting(secrets, {
    env: 'FDO_RV_TOKEN_SECRET',
    file: 'tokenSecret',
    secret: true,
    defaultText: 'a secret kept in the database',
    description: 'the secret sealing session tokens, shared by every instance',
  }),
  tokenPreviousSecrets: setting(secrets, {
    env: 'FDO_RV_TOKEN_PREVIOUS_SECRETS',
    file: 'tokenPreviousSecrets',
    secret: true,
    description: 'earlier secrets that still open tokens during a rotation',
  }),
  trustFile: setting(kinds.path(), {
    env: 'FDO_RV_TRUST_FILE',
    file: 'trustFile',
    description:
      'JSON allow-lists (`ownerKeys`, `manufacturerKeys`, `deviceCAs`: PEM keys or certificates) and `deniedGuids`',
  }),
  ...rateLimitSettings('FDO_RV'),
  purgeIntervalSeconds: setting(kinds.duration(1, 86_400), {
    env: 'FDO_RV_PURGE_INTERVAL_SECONDS',
    file: 'purgeIntervalSeconds',
    default: 60,
    description: 'how often expired registrations and spent nonces are removed',
  }),
  purgeGraceSeconds: setting(kinds.duration(0, 30 * 86_400), {
    env: 'FDO_RV_PURGE_GRACE_SECONDS',
    file: 'purgeGraceSeconds',
    default: 3600,
    description: 'how long an expired registration is kept (TO1 then says when it expired)',
  }),
  maxMessageBytes: setting(kinds.int(1024, 1_048_576), {
    env: 'FDO_RV_MAX_MESSAGE_BYTES',
    file: 'maxMessageBytes',
    default: FDO_MAX_MESSAGE_SIZE,
    description: 'largest FDO request',
  }),
  to1ReplayGuard: setting(kinds.oneOf<ReplayGuardMode>(['memory', 'database', 'off']), {
    env: 'FDO_RV_TO1_REPLAY_GUARD',
    file: 'to1ReplayGuard',
    default: 'memory',
    description: '`database` makes one ProveToRV answerable once across all instances (one insert per TO1)',
  }),
  ...accessSettings('FDO_RV'),
  ...loggingSettings,
});

/**
 * Reads the configuration from `env` (and `FDO_RV_CONFIG`); `overrides` (e.g. from `scripts/start.mjs`
 * or a test) win. Throws {@link ConfigError} listing every invalid setting.
 */
export function loadConfig(env: Env = process.env, overrides: Partial<RendezvousConfig> = {}): RendezvousConfig {
  const { values: v, problems } = loadSettings(CONFIG_SCHEMA, env);
  const tokenSecrets = rotatedSecrets(
    v.tokenSecret,
    v.tokenPreviousSecrets,
    { current: 'FDO_RV_TOKEN_SECRET', previous: 'FDO_RV_TOKEN_PREVIOUS_SECRETS' },
    problems,
  );
  const config: RendezvousConfig = {
    host: v.host,
    port: v.port,
    databaseUrl: v.databaseUrl,
    dataDir: v.dataDir,
    maxWaitSeconds: v.maxWaitSeconds,
    tokenTtlSeconds: v.tokenTtlSeconds,
    tokenSecrets,
    trustFile: v.trustFile,
    rateLimit: rateLimitConfigOf(v),
    purgeIntervalSeconds: v.purgeIntervalSeconds,
    purgeGraceSeconds: v.purgeGraceSeconds,
    maxMessageBytes: v.maxMessageBytes,
    to1ReplayGuard: v.to1ReplayGuard,
    logger: v.logLevel !== 'silent',
    logLevel: v.logLevel,
    logFormat: v.logFormat,
    metricsAuth: v.metricsAuth,
    apiDocs: v.apiDocs,
    tls: tlsConfigOf(v, 'FDO_RV', problems),
  };
  if (problems.length > 0) throw new ConfigError(problems, 'rendezvous');
  return { ...config, ...overrides };
}
