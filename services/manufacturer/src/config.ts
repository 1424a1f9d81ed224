/**
 * The manufacturer's configuration: one schema (server-kit `defineConfig`) read from `FDO_MFG_*`
 * variables and the optional JSON file `FDO_MFG_CONFIG`, checked at start into one typed object. Every
 * problem names the setting, the value and what is expected; all are reported at once. The README's
 * table is generated from {@link CONFIG_SCHEMA} (`npm run docs:config`).
 */
import { isAbsolute, join, resolve } from 'node:path';
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
  type RawValue,
  type MetricsAccess,
  tlsConfigOf,
  type TlsConfig,
  placementSettings,
  rateLimitConfigOf,
  rateLimitSettings,
  type RateLimitConfig,
} from '@fdo/server-kit';
import {
  rendezvousInfoOf,
  rvEntriesFromText,
  rvEntryFromObject,
  RvConfigError,
  type RvEntry,
} from './rendezvous-config.js';

export { ConfigError } from '@fdo/server-kit';

export const DEFAULT_PORT = 8039;
export const KEY_KINDS: readonly KeyKind[] = ['ec256', 'ec384', 'rsa2048', 'rsa3072'];
/** The tag name under which `ownerKeys` holds the default owner key(s), for vouchers of any other tag. */
export const DEFAULT_TAG_KEY = '*';

export interface TagRule {
  /** A regular expression matched against the serial number. */
  serialPattern: string;
  tag: string;
}

export interface ManufacturerConfig {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string;
  keysDir: string;
  keyKinds: KeyKind[];
  /** An existing device CA; null to generate one under keysDir on first start. */
  deviceCa: { keyFile: string; certFile: string } | null;
  deviceCertValidityDays: number;
  rendezvous: RvEntry[];
  /** Tag of vouchers no rule matches; null for none. */
  defaultTag: string | null;
  /** First match wins. */
  tagRules: TagRule[];
  /** Customer owner key PEM files by tag; {@link DEFAULT_TAG_KEY} for the rest. */
  ownerKeyFiles: Record<string, string[]>;
  sessionTtlSeconds: number;
  /** false silences the request log (tests). */
  logger: boolean;
  logLevel: string;
  logFormat: 'json' | 'pretty' | null;
  /** Who may read `/metrics`: management API tokens (read scope), or anyone. */
  metricsAuth: MetricsAccess;
  /** Serve the OpenAPI document and the docs page. */
  apiDocs: boolean;
  /** HTTPS and mutual TLS for the management API (server-kit tls.ts). */
  tls: TlsConfig;
  /** Per-source request limit (server-kit rate-limit.ts). Off by default: the factory network is trusted and a line may run many stations behind one address. */
  rateLimit: RateLimitConfig;
}

function tagOf(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || v.trim() === '' || v.length > 128 || /\p{Cc}/u.test(v)) {
    throw new Error('a tag is a non-empty line of text of at most 128 characters');
  }
  return v.trim();
}

function tagRulesOf({ value }: RawValue): TagRule[] {
  if (!Array.isArray(value))
    throw new Error('tagRules: expected an array of { "serialPattern": "^ACME-7", "tag": "PO-7" }');
  return value.map((r: unknown, i) => {
    const rule = r as Record<string, unknown> | null;
    const where = `tagRules[${i}]`;
    if (typeof rule?.serialPattern !== 'string')
      throw new Error(`${where}: "serialPattern" must be a regular expression`);
    try {
      new RegExp(rule.serialPattern, 'u');
    } catch (err) {
      throw new Error(`${where}: "serialPattern" is not a valid regular expression: ${(err as Error).message}`);
    }
    let tag: string | null;
    try {
      tag = tagOf(rule.tag);
    } catch (err) {
      throw new Error(`${where}.tag: ${(err as Error).message}`);
    }
    return { serialPattern: rule.serialPattern, tag: tag ?? '' };
  });
}

function ownerKeyFilesOf({ value, base }: RawValue): Record<string, string[]> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('expected an object of tag → PEM file or files, e.g. { "PO-7": "acme.pub.pem", "*": [...] }');
  }
  const out: Record<string, string[]> = {};
  for (const [tag, files] of Object.entries(value)) {
    const list = typeof files === 'string' ? [files] : files;
    if (!Array.isArray(list) || list.length === 0 || !list.every((f) => typeof f === 'string' && f !== '')) {
      throw new Error(`ownerKeys["${tag}"]: expected a PEM file path or a non-empty list of them`);
    }
    out[tag] = (list as string[]).map((f) => (isAbsolute(f) ? f : resolve(base, f)));
  }
  return out;
}

function rendezvousOf({ value, from }: RawValue): RvEntry[] {
  if (from === 'env' && typeof value === 'string') return rvEntriesFromText(value);
  if (!Array.isArray(value) || value.length === 0) {
    throw new RvConfigError('expected a non-empty array of entries');
  }
  return value.map((e: unknown, i) => rvEntryFromObject(i + 1, e));
}

const showRendezvous = (entries: RvEntry[]) => rendezvousInfoOf(entries).describe().join(' ');

/** Every manufacturer setting: variable, file key, kind, default, meaning. */
export const CONFIG_SCHEMA = defineConfig('manufacturer', 'FDO_MFG_CONFIG', {
  ...placementSettings('FDO_MFG', {
    name: 'manufacturer',
    port: DEFAULT_PORT,
    dataDirHolds: 'keys, the SQLite database, the first admin API token',
    databaseDescription:
      'SQLite file, or PostgreSQL for several instances (tables are `mfg_*`, so services may share a database)',
  }),
  keysDir: setting(kinds.path(), {
    env: 'FDO_MFG_KEYS_DIR',
    file: 'keysDir',
    default: (v) => join(v.dataDir as string, 'keys'),
    defaultText: '`DATA_DIR/keys`',
    description: 'manufacturer keys and the device CA, generated there on first start',
  }),
  keyTypes: setting(kinds.list({ values: KEY_KINDS, min: 1 }), {
    env: 'FDO_MFG_KEY_TYPES',
    file: 'keyTypes',
    default: [...KEY_KINDS],
    description: 'device key types served (one manufacturer key each)',
  }),
  deviceCaKey: setting(kinds.path(), {
    env: 'FDO_MFG_DEVICE_CA_KEY',
    file: 'deviceCaKey',
    description: 'an existing device CA: its private key (PEM); set with the certificate, or neither (generated)',
  }),
  deviceCaCert: setting(kinds.path(), {
    env: 'FDO_MFG_DEVICE_CA_CERT',
    file: 'deviceCaCert',
    description: 'an existing device CA: its certificate chain (PEM)',
  }),
  deviceCertDays: setting(kinds.int(1, 36500, 'a number of days'), {
    env: 'FDO_MFG_DEVICE_CERT_DAYS',
    file: 'deviceCertDays',
    default: 10950,
    description: 'validity of device certificates',
  }),
  rendezvous: setting(
    kinds.custom(
      'URLs such as `https://rv.example.com?owner_port=8443&delay=30 http://10.0.0.5:8040?dev_only`; in the file, objects `{ "dns" | "ip" | "host", "port", "protocol", "delaySec", "devOnly", "ownerOnly", "bypass" }`',
      rendezvousOf,
      showRendezvous,
    ),
    {
      env: 'FDO_MFG_RV',
      file: 'rendezvous',
      default: rvEntriesFromText('http://127.0.0.1:8040'),
      description: 'rendezvous entries written into every voucher (FDO 1.1 §3.3.10)',
    },
  ),
  tag: setting(
    kinds.custom(
      'a line of text (at most 128 characters)',
      ({ value }) => tagOf(value) ?? '',
      (v) => v,
    ),
    { env: 'FDO_MFG_TAG', file: 'tag', description: 'batch/order tag of new vouchers no tag rule matches' },
  ),
  tagRules: setting(
    kinds.custom('`[{ "serialPattern": "^ACME-", "tag": "PO-7" }]`', tagRulesOf, (v) => JSON.stringify(v)),
    { file: 'tagRules', default: [], description: 'tags by serial number (first match wins)' },
  ),
  ownerKeys: setting(
    kinds.custom(
      '`{ "PO-7": ["acme-p256.pub.pem", "acme-p384.pub.pem"], "*": "default.pub.pem" }`, one key per key type',
      ownerKeyFilesOf,
      (v) => JSON.stringify(v),
    ),
    {
      file: 'ownerKeys',
      default: {},
      description: 'customer owner keys by tag: new vouchers are extended to them at DI',
    },
  ),
  ownerKey: setting(kinds.paths(), {
    env: 'FDO_MFG_OWNER_KEY',
    description: 'default customer owner key PEM file(s) (`ownerKeys["*"]`)',
  }),
  sessionTtl: setting(kinds.duration(10, 86400), {
    env: 'FDO_MFG_SESSION_TTL',
    file: 'sessionTtl',
    default: 300,
    description: 'seconds a device has between DI.AppStart and DI.SetHMAC',
  }),
  ...accessSettings('FDO_MFG'),
  ...rateLimitSettings('FDO_MFG', 0),
  ...loggingSettings,
});

type Overrides = Partial<ManufacturerConfig>;

/**
 * The configuration from `env` (and `FDO_MFG_CONFIG`), with `overrides` (tests, scripts/start.mjs)
 * taking precedence. Derived defaults (database URL, keys folder) follow the final data folder.
 * Throws {@link ConfigError}.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, o: Overrides = {}): ManufacturerConfig {
  const { values: v, problems, sources } = loadSettings(CONFIG_SCHEMA, env);
  const dataDir = o.dataDir ?? v.dataDir;
  const derived = (key: 'databaseUrl' | 'keysDir', fallback: string) =>
    sources[key] === 'default' ? fallback : v[key];
  if ((v.deviceCaKey === null) !== (v.deviceCaCert === null) && o.deviceCa === undefined) {
    problems.push(
      'FDO_MFG_DEVICE_CA_KEY and FDO_MFG_DEVICE_CA_CERT: set both (an existing device CA) or neither (generated)',
    );
  }
  const ownerKeyFiles = { ...v.ownerKeys };
  if (v.ownerKey !== null) ownerKeyFiles[DEFAULT_TAG_KEY] = v.ownerKey;
  const fromSettings: ManufacturerConfig = {
    host: v.host,
    port: v.port,
    dataDir,
    databaseUrl: derived('databaseUrl', `file:${join(dataDir, 'manufacturer.db')}`),
    keysDir: derived('keysDir', join(dataDir, 'keys')),
    keyKinds: v.keyTypes,
    deviceCa:
      v.deviceCaKey !== null && v.deviceCaCert !== null ? { keyFile: v.deviceCaKey, certFile: v.deviceCaCert } : null,
    deviceCertValidityDays: v.deviceCertDays,
    rendezvous: v.rendezvous,
    defaultTag: v.tag,
    tagRules: v.tagRules,
    ownerKeyFiles,
    sessionTtlSeconds: v.sessionTtl,
    logger: v.logLevel !== 'silent',
    logLevel: v.logLevel,
    logFormat: v.logFormat,
    metricsAuth: v.metricsAuth,
    apiDocs: v.apiDocs,
    tls: tlsConfigOf(v, 'FDO_MFG', problems),
    rateLimit: rateLimitConfigOf(v),
  };
  const config = { ...fromSettings, ...definedOverrides(o) };
  if (problems.length > 0) throw new ConfigError(problems, 'manufacturer');
  return config;
}
