/**
 * The owner service's configuration: one schema (server-kit `defineConfig`) read from `FDO_OWNER_*`
 * variables and the optional JSON file `FDO_OWNER_CONFIG`, checked at start into one typed object. Every
 * problem names its setting, the value and what is expected; all are reported at once. The environment
 * wins over the file, and `overrides` (tests, scripts) over both. The README's table is generated from
 * {@link CONFIG_SCHEMA} (`npm run docs:config`).
 */
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { KeyKind } from '@fdo/protocol';
import {
  accessSettings,
  ConfigError,
  defineConfig,
  definedOverrides,
  kinds,
  loadSettings,
  loggingSettings,
  setting,
  type MetricsAccess,
  tlsConfigOf,
  type TlsConfig,
  placementSettings,
  rateLimitConfigOf,
  rateLimitSettings,
  rotatedSecrets,
  type RateLimitConfig,
} from '@fdo/server-kit';

import { parseProfiles, type CredentialProfile } from './profiles/definitions.js';

export { ConfigError } from '@fdo/server-kit';

export const DEFAULT_PORT = 8042;
export const KEY_KINDS: readonly KeyKind[] = ['ec256', 'ec384', 'rsa2048', 'rsa3072'];
export const DEFAULT_IMPORT_MAX_BYTES = 1024 * 1024 * 1024;

export interface To0Config {
  enabled: boolean;
  intervalSeconds: number;
  waitSeconds: number;
  renewFraction: number;
  backoffSeconds: number;
  backoffMaxSeconds: number;
  concurrency: number;
  /** How long a claimed row stays ours; longer than one TO0 run. */
  leaseSeconds: number;
  /** Rows claimed per round. */
  batchSize: number;
}

/** TO2 limits (FDO 1.1 §5.5.3, §3.9). */
export interface To2Config {
  maxOwnerMessageSize: number;
  maxDeviceServiceInfoSize: number;
  sessionTtlSeconds: number;
}

export interface OwnerConfig {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string;
  keysDir: string;
  /** One key generated (or read back) per type under keysDir. */
  keyKinds: KeyKind[];
  /** More owner private keys, PEM files. */
  keyFiles: string[];
  /** Device CA certificates (PEM files); empty: imported vouchers' device chains are not checked. */
  deviceCaFiles: string[];
  /** Where devices reach this service for TO2, sent to rendezvous servers in TO0 (to1d). */
  to2Addresses: string[];
  importMaxBytes: number;
  to0: To0Config;
  to2: To2Config;
  /** Secrets sealing TO2 session tokens (first seals, all open); null: a secret kept in the database. */
  to2TokenSecrets: Uint8Array[] | null;
  logger: boolean;
  logLevel: string;
  logFormat: 'json' | 'pretty' | null;
  /** Who may read `/metrics`: management API tokens (read scope), or anyone. */
  metricsAuth: MetricsAccess;
  /** Serve the OpenAPI document and the docs page. */
  apiDocs: boolean;
  /** HTTPS and mutual TLS for the management API (server-kit tls.ts). */
  tls: TlsConfig;
  /** Per-source request limit (server-kit rate-limit.ts). */
  rateLimit: RateLimitConfig;
  /** Operational credential profiles (docs/credential-profiles.md). */
  profiles: CredentialProfile[];
  /** The issuing CA for device certificates, and what it issues. */
  issuingCa: IssuingCaSettings;
  /** Owner ServiceInfo modules to load: file paths or package names (dynamic import). */
  moduleSpecifiers: string[];
}

export interface IssuingCaSettings {
  keyFile: string | null;
  certFile: string | null;
  subject: string;
  validityDays: number;
  certSubject: string;
  certValidityDays: number;
  crlFile: string;
  crlValidityDays: number;
}

type Env = Record<string, string | undefined>;

/** Every owner setting: variable, file key, kind, default, meaning. */
export const CONFIG_SCHEMA = defineConfig('owner', 'FDO_OWNER_CONFIG', {
  ...placementSettings('FDO_OWNER', {
    name: 'owner',
    port: DEFAULT_PORT,
    dataDirHolds: 'keys, the SQLite file, the first admin API token',
  }),
  keysDir: setting(kinds.path(), {
    env: 'FDO_OWNER_KEYS_DIR',
    file: 'keysDir',
    default: (v) => join(v.dataDir as string, 'keys'),
    defaultText: '`DATA_DIR/keys`',
    description: 'generated owner keys (`owner-<type>.key.pem`, mode 0600) and their self-signed certificates',
  }),
  keyTypes: setting(kinds.list({ values: KEY_KINDS }), {
    env: 'FDO_OWNER_KEY_TYPES',
    file: 'keyTypes',
    default: [...KEY_KINDS],
    description: 'one owner key per type, generated on first start',
  }),
  keyFiles: setting(kinds.paths(), {
    env: 'FDO_OWNER_KEY_FILES',
    file: 'keyFiles',
    default: [],
    description: 'more owner private keys (PEM files)',
  }),
  deviceCaFiles: setting(kinds.paths(), {
    env: 'FDO_OWNER_DEVICE_CA_FILES',
    file: 'deviceCaFiles',
    default: [],
    description: "device CA certificates; when set, an imported voucher's device chain must lead to one",
  }),
  to2Addresses: setting(kinds.urls(['http:', 'https:'], { min: 1, example: 'https://owner.example.com:8042' }), {
    env: 'FDO_OWNER_TO2_ADDRESSES',
    file: 'to2Addresses',
    default: [`http://127.0.0.1:${DEFAULT_PORT}`],
    description: 'where devices reach TO2, registered at the rendezvous servers (TO0 to1d)',
  }),
  importMaxBytes: setting(kinds.int(1024, 2 ** 40, 'a number of bytes'), {
    env: 'FDO_OWNER_IMPORT_MAX_BYTES',
    file: 'importMaxBytes',
    default: DEFAULT_IMPORT_MAX_BYTES,
    defaultText: '1 GiB',
    description: 'largest voucher upload (that route only)',
  }),
  to0Enabled: setting(kinds.bool(), {
    env: 'FDO_OWNER_TO0_ENABLED',
    file: 'to0.enabled',
    default: true,
    description: 'run the TO0 scheduler in this instance',
  }),
  to0IntervalSeconds: setting(kinds.duration(1, 86_400), {
    env: 'FDO_OWNER_TO0_INTERVAL_SECONDS',
    file: 'to0.intervalSeconds',
    default: 10,
    description: 'how often the scheduler looks for due work',
  }),
  to0WaitSeconds: setting(kinds.duration(60, 0xffffffff), {
    env: 'FDO_OWNER_TO0_WAIT_SECONDS',
    file: 'to0.waitSeconds',
    default: 86_400,
    description: 'registration lifetime asked for',
  }),
  to0RenewFraction: setting(kinds.number(0.1, 0.95), {
    env: 'FDO_OWNER_TO0_RENEW_FRACTION',
    file: 'to0.renewFraction',
    default: 0.8,
    description: 'renew once this share of the granted time has passed',
  }),
  to0BackoffSeconds: setting(kinds.duration(1, 86_400), {
    env: 'FDO_OWNER_TO0_BACKOFF_SECONDS',
    file: 'to0.backoffSeconds',
    default: 30,
    description: 'first retry delay after a failure; doubles per failure (with jitter)',
  }),
  to0BackoffMaxSeconds: setting(kinds.duration(1, 7 * 86_400), {
    env: 'FDO_OWNER_TO0_BACKOFF_MAX_SECONDS',
    file: 'to0.backoffMaxSeconds',
    default: 3600,
    description: 'longest retry delay',
  }),
  to0Concurrency: setting(kinds.int(1, 256), {
    env: 'FDO_OWNER_TO0_CONCURRENCY',
    file: 'to0.concurrency',
    default: 8,
    description: 'TO0 runs in flight per instance',
  }),
  to2MaxMessageSize: setting(kinds.int(1300, 65_535, 'a number of bytes'), {
    env: 'FDO_OWNER_TO2_MAX_MESSAGE_SIZE',
    file: 'to2.maxOwnerMessageSize',
    default: 65_535,
    description: 'maxOwnerMessageSize sent in TO2.ProveOVHdr; a larger device message fails the session',
  }),
  to2MaxServiceInfoSize: setting(kinds.int(256, 65_535, 'a number of bytes'), {
    env: 'FDO_OWNER_TO2_MAX_SERVICE_INFO_SIZE',
    file: 'to2.maxDeviceServiceInfoSize',
    default: 1300,
    description: 'maxDeviceServiceInfoSz sent in TO2.OwnerServiceInfoReady (§3.9)',
  }),
  to2SessionTtlSeconds: setting(kinds.duration(10, 3600), {
    env: 'FDO_OWNER_TO2_SESSION_TTL_SECONDS',
    file: 'to2.sessionTtlSeconds',
    default: 300,
    description: 'idle time after which a TO2 session is refused and swept',
  }),
  to2TokenSecret: setting(kinds.secrets(), {
    env: 'FDO_OWNER_TO2_TOKEN_SECRET',
    file: 'to2.tokenSecret',
    secret: true,
    defaultText: 'a secret kept in the database',
    description: 'the secret sealing TO2 session tokens (they carry the session state), shared by every instance',
  }),
  to2TokenPreviousSecrets: setting(kinds.secrets(), {
    env: 'FDO_OWNER_TO2_TOKEN_PREVIOUS_SECRETS',
    file: 'to2.tokenPreviousSecrets',
    secret: true,
    description: 'earlier secrets that still open TO2 session tokens during a rotation',
  }),
  profiles: setting(
    kinds.custom('an object of credential profiles by name (JSON)', parseProfiles, (v) =>
      v.map((p) => `${p.name} (${p.kind})`).join(', '),
    ),
    {
      env: 'FDO_OWNER_PROFILES',
      file: 'profiles',
      default: [],
      defaultText: 'none',
      description: 'operational credential profiles (mqtt, aws-iot, azure-iot) and the devices they go to',
    },
  ),
  issuingCaKeyFile: setting(kinds.path(), {
    env: 'FDO_OWNER_ISSUING_CA_KEY_FILE',
    file: 'issuingCa.keyFile',
    default: null,
    defaultText: 'generated: `KEYS_DIR/issuing-ca.key.pem`',
    description: "the issuing CA's private key (PEM) that signs devices' operational certificates",
  }),
  issuingCaCertFile: setting(kinds.path(), {
    env: 'FDO_OWNER_ISSUING_CA_CERT_FILE',
    file: 'issuingCa.certFile',
    default: null,
    defaultText: 'generated: `KEYS_DIR/issuing-ca.crt.pem`',
    description: "the issuing CA's certificate (PEM), then the rest of its chain; set with the key file",
  }),
  issuingCaSubject: setting(kinds.string({ maxLength: 256 }), {
    env: 'FDO_OWNER_ISSUING_CA_SUBJECT',
    file: 'issuingCa.subject',
    default: 'CN=FDO Owner Issuing CA',
    description: 'subject of a generated issuing CA',
  }),
  issuingCaValidityDays: setting(kinds.int(1, 36_500, 'a number of days'), {
    env: 'FDO_OWNER_ISSUING_CA_VALIDITY_DAYS',
    file: 'issuingCa.validityDays',
    default: 3650,
    description: 'lifetime of a generated issuing CA certificate',
  }),
  certSubject: setting(kinds.string({ maxLength: 256 }), {
    env: 'FDO_OWNER_CERT_SUBJECT',
    file: 'issuingCa.certSubject',
    default: 'CN={guid}',
    description: 'subject of device certificates ({guid}, {sn}, {device}, {profile}); a profile may set its own',
  }),
  certValidityDays: setting(kinds.int(1, 36_500, 'a number of days'), {
    env: 'FDO_OWNER_CERT_VALIDITY_DAYS',
    file: 'issuingCa.certValidityDays',
    default: 365,
    description: 'lifetime of device certificates',
  }),
  crlFile: setting(kinds.path(), {
    env: 'FDO_OWNER_CRL_FILE',
    file: 'issuingCa.crlFile',
    default: (v) => join(v.dataDir as string, 'issuing-ca.crl.pem'),
    defaultText: '`DATA_DIR/issuing-ca.crl.pem`',
    description: "the issuing CA's revocation list (PEM), rewritten on every revocation: a broker's `crlfile`",
  }),
  crlValidityDays: setting(kinds.int(1, 365, 'a number of days'), {
    env: 'FDO_OWNER_CRL_VALIDITY_DAYS',
    file: 'issuingCa.crlValidityDays',
    default: 7,
    description: 'nextUpdate of the CRL; it is rewritten daily',
  }),
  modules: setting(kinds.list(), {
    env: 'FDO_OWNER_MODULES',
    file: 'modules',
    default: [],
    description:
      'owner ServiceInfo modules to load: file paths (relative to the working directory or the config file) or package names',
  }),
  ...accessSettings('FDO_OWNER'),
  ...rateLimitSettings('FDO_OWNER'),
  ...loggingSettings,
});

export type ConfigOverrides = Partial<Omit<OwnerConfig, 'to0' | 'to2' | 'issuingCa'>> & {
  to0?: Partial<To0Config>;
  to2?: Partial<To2Config>;
  issuingCa?: Partial<IssuingCaSettings>;
};

/** The configuration from `env` (and `FDO_OWNER_CONFIG`), with `overrides` winning. Throws {@link ConfigError}. */
export function loadConfig(env: Env = process.env, o: ConfigOverrides = {}): OwnerConfig {
  const { values: v, problems, sources, file } = loadSettings(CONFIG_SCHEMA, env);
  if (v.to0BackoffMaxSeconds < v.to0BackoffSeconds) {
    problems.push('FDO_OWNER_TO0_BACKOFF_MAX_SECONDS must be at least FDO_OWNER_TO0_BACKOFF_SECONDS');
  }
  const to2TokenSecrets = rotatedSecrets(
    v.to2TokenSecret,
    v.to2TokenPreviousSecrets,
    { current: 'FDO_OWNER_TO2_TOKEN_SECRET', previous: 'FDO_OWNER_TO2_TOKEN_PREVIOUS_SECRETS' },
    problems,
  );
  const dataDir = o.dataDir ?? v.dataDir;
  const derived = (key: 'databaseUrl' | 'keysDir', fallback: string) =>
    sources[key] === 'default' ? fallback : v[key];
  const { to0: to0Overrides, to2: to2Overrides, issuingCa: caOverrides, ...rest } = o;
  const fromSettings: OwnerConfig = {
    host: v.host,
    port: v.port,
    dataDir,
    databaseUrl: derived('databaseUrl', `file:${join(dataDir, 'owner.db')}`),
    keysDir: derived('keysDir', join(dataDir, 'keys')),
    keyKinds: v.keyTypes,
    keyFiles: v.keyFiles,
    deviceCaFiles: v.deviceCaFiles,
    to2Addresses: v.to2Addresses,
    importMaxBytes: v.importMaxBytes,
    to0: {
      enabled: v.to0Enabled,
      intervalSeconds: v.to0IntervalSeconds,
      waitSeconds: v.to0WaitSeconds,
      renewFraction: v.to0RenewFraction,
      backoffSeconds: v.to0BackoffSeconds,
      backoffMaxSeconds: v.to0BackoffMaxSeconds,
      concurrency: v.to0Concurrency,
      leaseSeconds: 120,
      batchSize: 200,
      ...to0Overrides,
    },
    to2: {
      maxOwnerMessageSize: v.to2MaxMessageSize,
      maxDeviceServiceInfoSize: v.to2MaxServiceInfoSize,
      sessionTtlSeconds: v.to2SessionTtlSeconds,
      ...to2Overrides,
    },
    to2TokenSecrets,
    logger: v.logLevel !== 'silent',
    logLevel: v.logLevel,
    logFormat: v.logFormat,
    metricsAuth: v.metricsAuth,
    apiDocs: v.apiDocs,
    tls: tlsConfigOf(v, 'FDO_OWNER', problems),
    rateLimit: rateLimitConfigOf(v),
    profiles: v.profiles,
    issuingCa: {
      keyFile: v.issuingCaKeyFile,
      certFile: v.issuingCaCertFile,
      subject: v.issuingCaSubject,
      validityDays: v.issuingCaValidityDays,
      certSubject: v.certSubject,
      certValidityDays: v.certValidityDays,
      crlFile: sources.crlFile === 'default' ? join(dataDir, 'issuing-ca.crl.pem') : v.crlFile,
      crlValidityDays: v.crlValidityDays,
      ...caOverrides,
    },
    moduleSpecifiers: moduleSpecifiers(v.modules, sources.modules === 'file' ? dirname(file!) : process.cwd()),
  };
  const config: OwnerConfig = { ...fromSettings, ...definedOverrides(rest) };
  if (config.keyKinds.length === 0 && config.keyFiles.length === 0) {
    problems.push('FDO_OWNER_KEY_TYPES / FDO_OWNER_KEY_FILES: the owner needs at least one key');
  }
  if (problems.length > 0) throw new ConfigError(problems, 'owner');
  return config;
}

/** Paths ("./x.js", "/opt/m.js") resolve against `base`; anything else is a package name. */
function moduleSpecifiers(list: readonly string[], base: string): string[] {
  return list.map((m) => (m.startsWith('.') || isAbsolute(m) ? resolve(base, m) : m));
}
