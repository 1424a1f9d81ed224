/**
 * The owner service's configuration: environment variables (`FDO_OWNER_*`) and an optional JSON file
 * (`FDO_OWNER_CONFIG`), checked at start into one typed object. Every problem names its setting and what
 * is expected; all are reported at once. The environment wins over the file, and `overrides` (tests,
 * scripts) over both.
 *
 * | variable | file key | default | meaning |
 * | --- | --- | --- | --- |
 * | `FDO_OWNER_HOST`, `FDO_OWNER_PORT` | `host`, `port` | 127.0.0.1, 8042 | where the service listens |
 * | `FDO_OWNER_DATA_DIR` | `dataDir` | ./.data/owner | keys, SQLite database, bootstrap API token |
 * | `FDO_OWNER_DATABASE_URL` | `databaseUrl` | file:DATA_DIR/owner.db | SQLite `file:` or `postgresql://` |
 * | `FDO_OWNER_KEYS_DIR` | `keysDir` | DATA_DIR/keys | generated owner keys and their certificates |
 * | `FDO_OWNER_KEY_TYPES` | `keyTypes` | ec256,ec384,rsa2048,rsa3072 | one generated key per type |
 * | `FDO_OWNER_KEY_FILES` | `keyFiles` | (none) | more owner private keys (PEM), comma-separated |
 * | `FDO_OWNER_DEVICE_CA_FILES` | `deviceCaFiles` | (none) | device CA certificates; set: import checks chains |
 * | `FDO_OWNER_TO2_ADDRESSES` | `to2Addresses` | http://127.0.0.1:8042 | where devices reach TO2 (sent in TO0) |
 * | `FDO_OWNER_IMPORT_MAX_BYTES` | `importMaxBytes` | 1 GiB | largest voucher import body |
 * | `FDO_OWNER_TO0_ENABLED` | `to0.enabled` | true | run the TO0 scheduler |
 * | `FDO_OWNER_TO0_INTERVAL_SECONDS` | `to0.intervalSeconds` | 10 | how often the scheduler looks for due work |
 * | `FDO_OWNER_TO0_WAIT_SECONDS` | `to0.waitSeconds` | 86400 | registration lifetime asked for |
 * | `FDO_OWNER_TO0_RENEW_FRACTION` | `to0.renewFraction` | 0.8 | renew once this share of the grant passed |
 * | `FDO_OWNER_TO0_BACKOFF_SECONDS` | `to0.backoffSeconds` | 30 | first retry delay; doubles per failure |
 * | `FDO_OWNER_TO0_BACKOFF_MAX_SECONDS` | `to0.backoffMaxSeconds` | 3600 | longest retry delay |
 * | `FDO_OWNER_TO0_CONCURRENCY` | `to0.concurrency` | 8 | TO0 runs in flight per instance |
 * | `FDO_LOG_LEVEL` | | info | `silent` turns the log off |
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { KeyKind } from '@fdo/protocol';

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
  logger: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`the owner configuration is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

type Env = Record<string, string | undefined>;
type FileValues = Record<string, unknown>;

const FILE_KEYS = [
  'host',
  'port',
  'dataDir',
  'databaseUrl',
  'keysDir',
  'keyTypes',
  'keyFiles',
  'deviceCaFiles',
  'to2Addresses',
  'importMaxBytes',
  'to0',
];
const TO0_KEYS = [
  'enabled',
  'intervalSeconds',
  'waitSeconds',
  'renewFraction',
  'backoffSeconds',
  'backoffMaxSeconds',
  'concurrency',
];

/** Reads one setting from the environment or the file, recording problems under the setting's name. */
class Reader {
  readonly problems: string[] = [];
  constructor(
    private readonly env: Env,
    private readonly file: FileValues,
    private readonly fileBase: string,
  ) {}

  private raw(variable: string, fileKey: string): { value: unknown; name: string } | undefined {
    const v = this.env[variable]?.trim();
    if (v !== undefined && v !== '') return { value: v, name: variable };
    const path = fileKey.split('.');
    let value: unknown = this.file;
    for (const p of path) value = (value as Record<string, unknown> | undefined)?.[p];
    return value === undefined ? undefined : { value, name: `${fileKey} (FDO_OWNER_CONFIG)` };
  }

  text(variable: string, fileKey: string, fallback: string): string {
    const r = this.raw(variable, fileKey);
    if (r === undefined) return fallback;
    if (typeof r.value !== 'string' || r.value.trim() === '') {
      this.problems.push(`${r.name}: expected a non-empty string`);
      return fallback;
    }
    return r.value.trim();
  }

  number(variable: string, fileKey: string, fallback: number, min: number, max: number, integer = true): number {
    const r = this.raw(variable, fileKey);
    if (r === undefined) return fallback;
    const n = typeof r.value === 'number' ? r.value : typeof r.value === 'string' ? Number(r.value) : NaN;
    if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
      this.problems.push(
        `${r.name}: "${String(r.value)}" must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`,
      );
      return fallback;
    }
    return n;
  }

  bool(variable: string, fileKey: string, fallback: boolean): boolean {
    const r = this.raw(variable, fileKey);
    if (r === undefined) return fallback;
    if (typeof r.value === 'boolean') return r.value;
    if (r.value === 'true' || r.value === '1') return true;
    if (r.value === 'false' || r.value === '0') return false;
    this.problems.push(`${r.name}: "${String(r.value)}" must be true or false`);
    return fallback;
  }

  /** A comma-separated list (environment) or an array of strings (file); paths are resolved. */
  list(variable: string, fileKey: string, fallback: string[], paths = false): string[] {
    const r = this.raw(variable, fileKey);
    if (r === undefined) return fallback;
    const fromEnv = r.name === variable;
    let items: unknown[];
    if (typeof r.value === 'string') items = r.value.split(',');
    else if (Array.isArray(r.value)) items = r.value;
    else {
      this.problems.push(`${r.name}: expected ${fromEnv ? 'a comma-separated list' : 'an array of strings'}`);
      return fallback;
    }
    if (!items.every((i) => typeof i === 'string')) {
      this.problems.push(`${r.name}: expected an array of strings`);
      return fallback;
    }
    const out = (items as string[]).map((s) => s.trim()).filter((s) => s !== '');
    if (!paths) return out;
    return out.map((p) => (isAbsolute(p) ? p : resolve(fromEnv ? process.cwd() : this.fileBase, p)));
  }
}

function readConfigFile(path: string): FileValues {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([
      `FDO_OWNER_CONFIG: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    ]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError([`FDO_OWNER_CONFIG: ${path} is not valid JSON: ${(err as Error).message}`]);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError([`FDO_OWNER_CONFIG: ${path} must hold a JSON object`]);
  }
  const problems = Object.keys(value)
    .filter((k) => !FILE_KEYS.includes(k))
    .map((k) => `FDO_OWNER_CONFIG: unknown setting "${k}" in ${path} (known: ${FILE_KEYS.join(', ')})`);
  const to0 = (value as FileValues).to0;
  if (to0 !== undefined && (typeof to0 !== 'object' || to0 === null || Array.isArray(to0))) {
    problems.push(`FDO_OWNER_CONFIG: "to0" in ${path} must be an object`);
  } else if (to0 !== undefined) {
    for (const k of Object.keys(to0).filter((k) => !TO0_KEYS.includes(k))) {
      problems.push(`FDO_OWNER_CONFIG: unknown setting "to0.${k}" in ${path} (known: ${TO0_KEYS.join(', ')})`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return value as FileValues;
}

function keyKinds(r: Reader): KeyKind[] {
  const kinds = r.list('FDO_OWNER_KEY_TYPES', 'keyTypes', [...KEY_KINDS]);
  const bad = kinds.filter((k) => !(KEY_KINDS as readonly string[]).includes(k));
  if (bad.length > 0) {
    r.problems.push(`FDO_OWNER_KEY_TYPES: "${bad.join(', ')}" is not a key type (use ${KEY_KINDS.join(', ')})`);
    return [...KEY_KINDS];
  }
  return [...new Set(kinds)] as KeyKind[];
}

function to2Addresses(r: Reader): string[] {
  const urls = r.list('FDO_OWNER_TO2_ADDRESSES', 'to2Addresses', [`http://127.0.0.1:${DEFAULT_PORT}`]);
  for (const u of urls) {
    let url: URL | undefined;
    try {
      url = new URL(u);
    } catch {
      url = undefined;
    }
    if (url === undefined || !['http:', 'https:'].includes(url.protocol)) {
      r.problems.push(
        `FDO_OWNER_TO2_ADDRESSES: "${u}" is not an http:// or https:// URL (e.g. https://owner.example.com:8042)`,
      );
    }
  }
  if (urls.length === 0) r.problems.push('FDO_OWNER_TO2_ADDRESSES: give at least one URL');
  return urls;
}

function to0Config(r: Reader): To0Config {
  const backoffSeconds = r.number('FDO_OWNER_TO0_BACKOFF_SECONDS', 'to0.backoffSeconds', 30, 1, 86_400);
  const backoffMaxSeconds = r.number('FDO_OWNER_TO0_BACKOFF_MAX_SECONDS', 'to0.backoffMaxSeconds', 3600, 1, 7 * 86_400);
  if (backoffMaxSeconds < backoffSeconds) {
    r.problems.push('FDO_OWNER_TO0_BACKOFF_MAX_SECONDS must be at least FDO_OWNER_TO0_BACKOFF_SECONDS');
  }
  return {
    enabled: r.bool('FDO_OWNER_TO0_ENABLED', 'to0.enabled', true),
    intervalSeconds: r.number('FDO_OWNER_TO0_INTERVAL_SECONDS', 'to0.intervalSeconds', 10, 1, 86_400),
    waitSeconds: r.number('FDO_OWNER_TO0_WAIT_SECONDS', 'to0.waitSeconds', 86_400, 60, 0xffffffff),
    renewFraction: r.number('FDO_OWNER_TO0_RENEW_FRACTION', 'to0.renewFraction', 0.8, 0.1, 0.95, false),
    backoffSeconds,
    backoffMaxSeconds,
    concurrency: r.number('FDO_OWNER_TO0_CONCURRENCY', 'to0.concurrency', 8, 1, 256),
    leaseSeconds: 120,
    batchSize: 200,
  };
}

export type ConfigOverrides = Partial<Omit<OwnerConfig, 'to0'>> & { to0?: Partial<To0Config> };

function locations(r: Reader, o: ConfigOverrides): Pick<OwnerConfig, 'dataDir' | 'databaseUrl' | 'keysDir'> {
  const dataDir = resolve(o.dataDir ?? r.text('FDO_OWNER_DATA_DIR', 'dataDir', './.data/owner'));
  const databaseUrl =
    o.databaseUrl ?? r.text('FDO_OWNER_DATABASE_URL', 'databaseUrl', `file:${join(dataDir, 'owner.db')}`);
  if (!/^(file:|postgres(ql)?:\/\/)/.test(databaseUrl)) {
    r.problems.push('FDO_OWNER_DATABASE_URL must be file:/path/to/owner.db or postgresql://user@host:5432/db');
  }
  const keysDir = o.keysDir ?? resolve(r.text('FDO_OWNER_KEYS_DIR', 'keysDir', join(dataDir, 'keys')));
  return { dataDir, databaseUrl, keysDir };
}

/** The configuration from `env` (and `FDO_OWNER_CONFIG`), with `overrides` winning. Throws {@link ConfigError}. */
export function loadConfig(env: Env = process.env, o: ConfigOverrides = {}): OwnerConfig {
  const configPath = env.FDO_OWNER_CONFIG?.trim() || undefined;
  const file = configPath === undefined ? {} : readConfigFile(resolve(configPath));
  const fileBase = configPath === undefined ? process.cwd() : dirname(resolve(configPath));
  const r = new Reader(env, file, fileBase);
  const config: OwnerConfig = {
    host: o.host ?? r.text('FDO_OWNER_HOST', 'host', '127.0.0.1'),
    port: o.port ?? r.number('FDO_OWNER_PORT', 'port', DEFAULT_PORT, 0, 65535),
    ...locations(r, o),
    keyKinds: o.keyKinds ?? keyKinds(r),
    keyFiles: o.keyFiles ?? r.list('FDO_OWNER_KEY_FILES', 'keyFiles', [], true),
    deviceCaFiles: o.deviceCaFiles ?? r.list('FDO_OWNER_DEVICE_CA_FILES', 'deviceCaFiles', [], true),
    to2Addresses: o.to2Addresses ?? to2Addresses(r),
    importMaxBytes:
      o.importMaxBytes ??
      r.number('FDO_OWNER_IMPORT_MAX_BYTES', 'importMaxBytes', DEFAULT_IMPORT_MAX_BYTES, 1024, 2 ** 40),
    to0: { ...to0Config(r), ...o.to0 },
    logger: o.logger ?? (env.FDO_LOG_LEVEL ?? 'info').trim() !== 'silent',
  };
  if (config.keyKinds.length === 0 && config.keyFiles.length === 0) {
    r.problems.push('FDO_OWNER_KEY_TYPES / FDO_OWNER_KEY_FILES: the owner needs at least one key');
  }
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}
