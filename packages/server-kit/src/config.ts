/**
 * One configuration schema per service: each setting is declared once (environment variable, JSON file
 * key, kind of value, default, description, secret or not), and the same declaration
 * - reads it from the environment, or else from the optional JSON file named by `<PREFIX>_CONFIG`;
 * - reports every invalid value at once, each naming the setting, the value and what is expected;
 * - prints the effective configuration (`fdo-<service> config`), secrets redacted;
 * - renders the README's table, which a test keeps equal to the schema.
 *
 * ```ts
 * const schema = defineConfig('owner', 'FDO_OWNER_CONFIG', {
 *   port: setting(kinds.port(), { env: 'FDO_OWNER_PORT', file: 'port', default: 8042, description: '…' }),
 * });
 * const { values, problems } = loadSettings(schema, process.env);
 * ```
 * The environment wins over the file; services apply their programmatic overrides (tests, start
 * script) over both.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InvalidValue, kinds, type Kind, type RawValue } from './config-kinds.js';

export { InvalidValue, kinds, rotatedSecrets, type Kind, type RawValue } from './config-kinds.js';

/** A default computed from the settings declared before it (e.g. the database file inside the data folder). */
export type Derived<T> = (values: Readonly<Record<string, unknown>>) => T;

export interface SettingOptions<T> {
  /** Environment variable. */
  env?: string;
  /** Further variables read when `env` is unset (e.g. PaaS `PORT`). */
  alsoEnv?: readonly string[];
  /** Key in the JSON file; dots reach into objects (`to0.waitSeconds`). Absent: environment only. */
  file?: string;
  description: string;
  default?: T | Derived<T> | null;
  /** How the README shows a derived default, e.g. `file:DATA_DIR/owner.db`. */
  defaultText?: string;
  /** Never printed, never echoed in an error. */
  secret?: boolean;
}

export interface Setting<T> extends SettingOptions<T> {
  kind: Kind<T>;
}

/** Declares a setting; without a default its value is null when unset. */
export function setting<T>(
  kind: Kind<T>,
  options: SettingOptions<NoInfer<T>> & { default: NoInfer<T> | Derived<NoInfer<T>> },
): Setting<T>;
export function setting<T>(kind: Kind<T>, options: SettingOptions<NoInfer<T>> & { default?: null }): Setting<T | null>;
export function setting<T>(kind: Kind<T>, options: SettingOptions<T>): Setting<T> | Setting<T | null> {
  return { kind, ...options } as Setting<T>;
}

// A map of settings of any value type (the loader keeps each one's type in SettingValues).
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Setting<T> is invariant in T
export type Settings = Record<string, Setting<any>>;
export type SettingValues<S extends Settings> = { [K in keyof S]: S[K] extends Setting<infer T> ? T : never };

export interface ConfigSchema<S extends Settings = Settings> {
  /** The service's name, in messages: "the owner configuration is not valid". */
  service: string;
  /** The variable naming the optional JSON file, e.g. FDO_OWNER_CONFIG. */
  fileEnv: string;
  settings: S;
}

export function defineConfig<S extends Settings>(service: string, fileEnv: string, settings: S): ConfigSchema<S> {
  const envs = new Set<string>();
  for (const [key, s] of Object.entries(settings)) {
    if (s.env === undefined && s.file === undefined) throw new Error(`setting ${key}: needs an env or a file key`);
    if (s.env !== undefined && envs.has(s.env)) throw new Error(`setting ${key}: ${s.env} is declared twice`);
    if (s.env !== undefined) envs.add(s.env);
  }
  return { service, fileEnv, settings };
}

/** Every problem with a configuration, reported at once. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly problems: string[],
    service = 'service',
  ) {
    super(`the ${service} configuration is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export type SettingSource = 'default' | 'env' | 'file';

export interface LoadedSettings<S extends Settings> {
  values: SettingValues<S>;
  /** Where each value came from; a service's overrides are not tracked here. */
  sources: Record<keyof S, SettingSource>;
  /** The JSON file read, or null. */
  file: string | null;
  problems: string[];
}

type Env = Record<string, string | undefined>;

/** Keys of the file that no setting declares (`to0.fast`), and groups that are not objects. */
function fileKeyProblems(file: Record<string, unknown>, known: ReadonlySet<string>): string[] {
  const groups = new Set([...known].filter((k) => k.includes('.')).map((k) => k.split('.')[0]!));
  return Object.entries(file).flatMap(([key, value]) => {
    if (known.has(key)) return [];
    if (!groups.has(key)) return [`unknown setting "${key}"`];
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`"${key}" must be an object`];
    return Object.keys(value)
      .filter((sub) => !known.has(`${key}.${sub}`))
      .map((sub) => `unknown setting "${key}.${sub}"`);
  });
}

function readConfigFile(schema: ConfigSchema, path: string): { values: Record<string, unknown>; problems: string[] } {
  const name = schema.fileEnv;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why =
      e instanceof SyntaxError
        ? `${path} is not valid JSON: ${e.message}`
        : `cannot read ${path}: ${e.code ?? e.message}`;
    return { values: {}, problems: [`${name}: ${why}`] };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { values: {}, problems: [`${name}: ${path} must hold a JSON object`] };
  }
  const known = new Set(Object.values(schema.settings).flatMap((s) => (s.file === undefined ? [] : [s.file])));
  const problems = fileKeyProblems(value as Record<string, unknown>, known);
  if (problems.length > 0) {
    // A misspelt key usually means the rest of the file is not what the operator thinks: use none of it.
    const list = [...known].sort().join(', ');
    return { values: {}, problems: problems.map((p) => `${name}: ${p} in ${path} (known: ${list})`) };
  }
  return { values: value as Record<string, unknown>, problems: [] };
}

function fileValue(file: Record<string, unknown>, key: string): unknown {
  let v: unknown = file;
  for (const part of key.split('.')) v = (v as Record<string, unknown> | undefined)?.[part];
  return v;
}

/** The raw value of a setting and the name to report it under, or undefined when unset. */
function rawOf(s: Setting<unknown>, env: Env, file: Record<string, unknown>, filePath: string | null) {
  for (const name of [s.env, ...(s.alsoEnv ?? [])]) {
    const v = name === undefined ? undefined : env[name];
    if (v !== undefined && v.trim() !== '') {
      return { raw: { value: v, from: 'env', base: process.cwd() } satisfies RawValue, name: name! };
    }
  }
  if (s.file === undefined || filePath === null) return undefined;
  const v = fileValue(file, s.file);
  if (v === undefined || v === null) return undefined;
  return {
    raw: { value: v, from: 'file', base: dirname(filePath) } satisfies RawValue,
    name: `${s.file} (in ${filePath})`,
  };
}

function shownRaw(s: Setting<unknown>, value: unknown): string {
  if (s.secret === true) return '(value hidden)';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Reads every setting of `schema` from `env` and the JSON file `env[schema.fileEnv]` names. Never throws. */
export function loadSettings<S extends Settings>(schema: ConfigSchema<S>, env: Env = process.env): LoadedSettings<S> {
  const filePath = env[schema.fileEnv]?.trim() ? resolve(env[schema.fileEnv]!.trim()) : null;
  const { values: file, problems } =
    filePath === null ? { values: {}, problems: [] } : readConfigFile(schema, filePath);
  const values: Record<string, unknown> = {};
  const sources: Record<string, SettingSource> = {};
  for (const [key, s] of Object.entries(schema.settings) as [string, Setting<unknown>][]) {
    const found = rawOf(s, env, file, filePath);
    const fallback = typeof s.default === 'function' ? (s.default as Derived<unknown>)(values) : (s.default ?? null);
    values[key] = fallback;
    sources[key] = 'default';
    if (found === undefined) continue;
    try {
      values[key] = s.kind.parse(found.raw);
      sources[key] = found.raw.from;
    } catch (err) {
      const message = (err as Error).message;
      problems.push(
        err instanceof InvalidValue
          ? `${found.name}: "${shownRaw(s, found.raw.value)}" ${message}`
          : `${found.name}: ${message}`,
      );
    }
  }
  return {
    values: values as SettingValues<S>,
    sources: sources as Record<keyof S, SettingSource>,
    file: filePath,
    problems,
  };
}

/**
 * The programmatic overrides (tests, start script) that are set, to spread over the configuration read
 * from the schema: `undefined` means "not overridden"; an explicit null is an override.
 */
export function definedOverrides<T extends object>(overrides: T): Partial<T> {
  return Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** The value as `config` prints it: secrets as [redacted], unset ones as (none). */
export function showValue(s: Setting<unknown>, value: unknown): string {
  if (value === null || value === undefined) return '(none)';
  if (s.secret === true) return '[redacted]';
  return s.kind.show(value);
}

/** The logging settings every service shares (unprefixed: one process may run several services). */
export const loggingSettings = {
  logLevel: setting(kinds.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const), {
    env: 'FDO_LOG_LEVEL',
    file: 'log.level',
    default: 'info',
    description: 'log level; `silent` turns the log off',
  }),
  logFormat: setting(kinds.oneOf(['json', 'pretty'] as const), {
    env: 'FDO_LOG_FORMAT',
    file: 'log.format',
    default: null,
    defaultText: 'pretty in a terminal, else json',
    description: 'JSON lines (for collectors) or readable lines',
  }),
};
