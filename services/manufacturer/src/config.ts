/**
 * The manufacturer's configuration: environment variables and an optional JSON file, checked at start
 * into one typed object. Every problem names the setting and what is expected; all are reported at once.
 *
 * | variable | default | meaning |
 * | --- | --- | --- |
 * | `FDO_MFG_HOST`, `FDO_MFG_PORT` | 127.0.0.1, 8039 | where the service listens |
 * | `FDO_MFG_DATA_DIR` | ./.data/manufacturer | keys, the SQLite database, the bootstrap API token |
 * | `FDO_MFG_DATABASE_URL` | file:DATA_DIR/manufacturer.db | SQLite `file:` or `postgresql://` URL |
 * | `FDO_MFG_CONFIG` | (none) | JSON file: `rendezvous`, `tag`, `tagRules`, `ownerKeys` |
 * | `FDO_MFG_RV` | http://127.0.0.1:8040 | rendezvous URLs (overrides the file's `rendezvous`) |
 * | `FDO_MFG_TAG` | (none) | batch/order tag of new vouchers (overrides the file's `tag`) |
 * | `FDO_MFG_OWNER_KEY` | (none) | PEM file(s) of the default customer owner key (comma-separated) |
 * | `FDO_MFG_KEY_TYPES` | ec256,ec384,rsa2048,rsa3072 | device key types served (one manufacturer key each) |
 * | `FDO_MFG_KEYS_DIR` | DATA_DIR/keys | manufacturer keys and device CA, generated there on first start |
 * | `FDO_MFG_DEVICE_CA_KEY`, `FDO_MFG_DEVICE_CA_CERT` | (generated) | an existing device CA (key PEM, certificate chain PEM) |
 * | `FDO_MFG_DEVICE_CERT_DAYS` | 10950 | validity of device certificates |
 * | `FDO_MFG_SESSION_TTL` | 300 | seconds a device has between DI.AppStart and DI.SetHMAC |
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { KeyKind } from '@fdo/protocol';
import { rvEntriesFromText, rvEntryFromObject, RvConfigError, type RvEntry } from './rendezvous-config.js';

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
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`the manufacturer configuration is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

interface ConfigFile {
  rendezvous?: unknown;
  tag?: unknown;
  tagRules?: unknown;
  ownerKeys?: unknown;
}

const FILE_KEYS = ['rendezvous', 'tag', 'tagRules', 'ownerKeys'];

class Checker {
  readonly problems: string[] = [];
  constructor(private readonly env: NodeJS.ProcessEnv) {}

  text(name: string): string | undefined {
    const v = this.env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  }

  int(name: string, min: number, max: number, fallback: number, what: string): number {
    const v = this.text(name);
    if (v === undefined) return fallback;
    if (/^\d+$/.test(v) && Number(v) >= min && Number(v) <= max) return Number(v);
    this.problems.push(`${name}: "${v}" is not ${what} (${min}–${max})`);
    return fallback;
  }

  attempt<T>(fn: () => T, fallback: T): T {
    try {
      return fn();
    } catch (err) {
      this.problems.push((err as Error).message);
      return fallback;
    }
  }
}

function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(
      `FDO_MFG_CONFIG: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`FDO_MFG_CONFIG: ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`FDO_MFG_CONFIG: ${path} must hold a JSON object`);
  }
  const unknown = Object.keys(value).filter((k) => !FILE_KEYS.includes(k));
  if (unknown.length > 0) {
    throw new Error(`FDO_MFG_CONFIG: unknown setting "${unknown[0]}" in ${path} (expected ${FILE_KEYS.join(', ')})`);
  }
  return value as ConfigFile;
}

function tagOf(v: unknown, where: string): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || v.trim() === '' || v.length > 128 || /\p{Cc}/u.test(v)) {
    throw new Error(`${where}: a tag is a non-empty line of text of at most 128 characters`);
  }
  return v.trim();
}

function tagRulesOf(v: unknown): TagRule[] {
  if (v === undefined) return [];
  if (!Array.isArray(v))
    throw new Error('tagRules: expected an array of { "serialPattern": "^ACME-7", "tag": "PO-7" }');
  return v.map((r: unknown, i) => {
    const rule = r as Record<string, unknown> | null;
    const where = `tagRules[${i}]`;
    if (typeof rule?.serialPattern !== 'string')
      throw new Error(`${where}: "serialPattern" must be a regular expression`);
    try {
      new RegExp(rule.serialPattern, 'u');
    } catch (err) {
      throw new Error(`${where}: "serialPattern" is not a valid regular expression: ${(err as Error).message}`);
    }
    return { serialPattern: rule.serialPattern, tag: tagOf(rule.tag, `${where}.tag`) ?? '' };
  });
}

function ownerKeyFilesOf(v: unknown, base: string): Record<string, string[]> {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new Error(
      'ownerKeys: expected an object of tag → PEM file or files, e.g. { "PO-7": "acme.pub.pem", "*": [...] }',
    );
  }
  const out: Record<string, string[]> = {};
  for (const [tag, files] of Object.entries(v)) {
    const list = typeof files === 'string' ? [files] : files;
    if (!Array.isArray(list) || list.length === 0 || !list.every((f) => typeof f === 'string' && f !== '')) {
      throw new Error(`ownerKeys["${tag}"]: expected a PEM file path or a non-empty list of them`);
    }
    out[tag] = (list as string[]).map((f) => (isAbsolute(f) ? f : resolve(base, f)));
  }
  return out;
}

function keyKindsOf(text: string | undefined): KeyKind[] {
  if (text === undefined) return [...KEY_KINDS];
  const kinds = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const bad = kinds.find((k) => !(KEY_KINDS as readonly string[]).includes(k));
  if (bad !== undefined || kinds.length === 0) {
    throw new Error(`FDO_MFG_KEY_TYPES: "${text}" must list one or more of ${KEY_KINDS.join(', ')}`);
  }
  return [...new Set(kinds)] as KeyKind[];
}

type Overrides = Partial<ManufacturerConfig>;

function rendezvousSetting(c: Checker, file: ConfigFile, o: Overrides): RvEntry[] {
  if (o.rendezvous !== undefined) return o.rendezvous;
  const text = c.text('FDO_MFG_RV');
  return c.attempt(() => {
    if (text !== undefined) return rvEntriesFromText(text);
    if (file.rendezvous === undefined) return rvEntriesFromText('http://127.0.0.1:8040');
    if (!Array.isArray(file.rendezvous) || file.rendezvous.length === 0) {
      throw new RvConfigError('rendezvous: expected a non-empty array of entries');
    }
    return file.rendezvous.map((e: unknown, i) => rvEntryFromObject(i + 1, e));
  }, []);
}

function ownerKeySetting(c: Checker, file: ConfigFile, base: string, o: Overrides): Record<string, string[]> {
  if (o.ownerKeyFiles !== undefined) return o.ownerKeyFiles;
  const text = c.text('FDO_MFG_OWNER_KEY');
  return c.attempt(() => {
    const files = ownerKeyFilesOf(file.ownerKeys, base);
    if (text !== undefined) files[DEFAULT_TAG_KEY] = text.split(',').map((f) => resolve(f.trim()));
    return files;
  }, {});
}

function deviceCaSetting(c: Checker, o: Overrides): ManufacturerConfig['deviceCa'] {
  if (o.deviceCa !== undefined) return o.deviceCa;
  const keyFile = c.text('FDO_MFG_DEVICE_CA_KEY');
  const certFile = c.text('FDO_MFG_DEVICE_CA_CERT');
  if (keyFile !== undefined && certFile !== undefined)
    return { keyFile: resolve(keyFile), certFile: resolve(certFile) };
  if (keyFile !== undefined || certFile !== undefined) {
    c.problems.push(
      'FDO_MFG_DEVICE_CA_KEY and FDO_MFG_DEVICE_CA_CERT: set both (an existing device CA) or neither (generated)',
    );
  }
  return null;
}

function defaultTagSetting(c: Checker, file: ConfigFile, o: Overrides): string | null {
  if (o.defaultTag !== undefined) return o.defaultTag;
  const text = c.text('FDO_MFG_TAG');
  return c.attempt(() => tagOf(text ?? file.tag, text === undefined ? 'tag' : 'FDO_MFG_TAG'), null);
}

/**
 * The configuration from `env`, with `overrides` (tests, scripts/start.mjs) taking precedence.
 * Derived defaults (database URL, keys folder) follow the final data folder. Throws {@link ConfigError}.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, o: Overrides = {}): ManufacturerConfig {
  const c = new Checker(env);
  const configPath = c.text('FDO_MFG_CONFIG');
  const file = configPath === undefined ? {} : c.attempt(() => readConfigFile(configPath), {} as ConfigFile);
  const fileBase = configPath === undefined ? process.cwd() : dirname(resolve(configPath));
  const dataDir = resolve(o.dataDir ?? c.text('FDO_MFG_DATA_DIR') ?? './.data/manufacturer');
  const config: ManufacturerConfig = {
    host: o.host ?? c.text('FDO_MFG_HOST') ?? '127.0.0.1',
    port: o.port ?? c.int('FDO_MFG_PORT', 0, 65535, DEFAULT_PORT, 'a port number'),
    dataDir,
    databaseUrl: o.databaseUrl ?? c.text('FDO_MFG_DATABASE_URL') ?? `file:${join(dataDir, 'manufacturer.db')}`,
    keysDir: o.keysDir ?? resolve(c.text('FDO_MFG_KEYS_DIR') ?? join(dataDir, 'keys')),
    keyKinds: o.keyKinds ?? c.attempt(() => keyKindsOf(c.text('FDO_MFG_KEY_TYPES')), [...KEY_KINDS]),
    deviceCa: deviceCaSetting(c, o),
    deviceCertValidityDays:
      o.deviceCertValidityDays ?? c.int('FDO_MFG_DEVICE_CERT_DAYS', 1, 36500, 10950, 'a number of days'),
    rendezvous: rendezvousSetting(c, file, o),
    defaultTag: defaultTagSetting(c, file, o),
    tagRules: o.tagRules ?? c.attempt(() => tagRulesOf(file.tagRules), []),
    ownerKeyFiles: ownerKeySetting(c, file, fileBase, o),
    sessionTtlSeconds: o.sessionTtlSeconds ?? c.int('FDO_MFG_SESSION_TTL', 10, 86400, 300, 'a number of seconds'),
    logger: o.logger ?? true,
  };
  if (c.problems.length > 0) throw new ConfigError(c.problems);
  return config;
}
