/**
 * The kinds of value a service setting can hold, each with its parser (from an environment string or a
 * JSON value), what it expects (for error messages and the README) and how it is shown (secrets never).
 */
import { isAbsolute, resolve } from 'node:path';
import { providerOf, redactUrl } from '@fdo/storage';

/** Where a raw value came from: relative paths in the file resolve against the file's folder. */
export interface RawValue {
  value: unknown;
  from: 'env' | 'file';
  /** Folder that relative paths resolve against (the working directory, or the file's folder). */
  base: string;
}

/**
 * A value that does not fit: reported as `SETTING: "value" <reason>`. Any other error a parser throws
 * is reported as `SETTING: <message>` (for parsers whose messages point inside the value).
 */
export class InvalidValue extends Error {
  override name = 'InvalidValue';
}

export interface Kind<T> {
  /** What a valid value looks like, e.g. "a port number (0–65535)". */
  expect: string;
  parse(raw: RawValue): T;
  /** The value as shown by `config` and the README (never called for secrets). */
  show(value: T): string;
}

const text = (raw: RawValue): string => {
  if (typeof raw.value === 'string') return raw.value.trim();
  if (typeof raw.value === 'number' || typeof raw.value === 'boolean') return String(raw.value);
  throw new InvalidValue('is not a string');
};

function integerIn(raw: RawValue, min: number, max: number, expect: string): number {
  const v = typeof raw.value === 'number' ? raw.value : /^-?\d+$/.test(text(raw)) ? Number(text(raw)) : NaN;
  if (!Number.isInteger(v) || v < min || v > max) throw new InvalidValue(`is not ${expect}`);
  return v;
}

function string(options: { pattern?: RegExp; maxLength?: number; expect?: string } = {}): Kind<string> {
  const expect = options.expect ?? 'a non-empty string';
  return {
    expect,
    parse(raw) {
      const v = text(raw);
      const bad =
        v === '' ||
        (options.maxLength !== undefined && v.length > options.maxLength) ||
        (options.pattern !== undefined && !options.pattern.test(v));
      if (bad) throw new InvalidValue(`is not ${expect}`);
      return v;
    },
    show: (v) => v,
  };
}

function int(min: number, max: number, what = 'an integer'): Kind<number> {
  const expect = `${what} (${min}–${max})`;
  return { expect, parse: (raw) => integerIn(raw, min, max, expect), show: String };
}

const port = (): Kind<number> => int(0, 65535, 'a port number');

function number(min: number, max: number): Kind<number> {
  const expect = `a number from ${min} to ${max}`;
  return {
    expect,
    parse(raw) {
      const v = typeof raw.value === 'number' ? raw.value : text(raw) === '' ? NaN : Number(text(raw));
      if (!Number.isFinite(v) || v < min || v > max) throw new InvalidValue(`is not ${expect}`);
      return v;
    },
    show: String,
  };
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** A duration in seconds: an integer (seconds) or a number with a unit, `90s`, `5m`, `2h`, `7d`. */
function duration(min: number, max: number): Kind<number> {
  const expect = `a number of seconds (${min}–${max}) or a duration such as 5m, 2h, 7d`;
  return {
    expect,
    parse(raw) {
      const m = /^(\d+)\s*([smhd]?)$/.exec(text(raw));
      const seconds = m === null ? NaN : Number(m[1]) * UNITS[m[2] || 's']!;
      if (!Number.isInteger(seconds) || seconds < min || seconds > max) throw new InvalidValue(`is not ${expect}`);
      return seconds;
    },
    show: String,
  };
}

function bool(): Kind<boolean> {
  return {
    expect: 'true or false',
    parse(raw) {
      if (typeof raw.value === 'boolean') return raw.value;
      const v = text(raw).toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(v)) return true;
      if (['false', '0', 'no', 'off'].includes(v)) return false;
      throw new InvalidValue('is not true or false');
    },
    show: String,
  };
}

function oneOf<T extends string>(values: readonly T[]): Kind<T> {
  const expect = `one of ${values.join(', ')}`;
  return {
    expect,
    parse(raw) {
      const v = text(raw);
      if (!(values as readonly string[]).includes(v)) throw new InvalidValue(`is not ${expect}`);
      return v as T;
    },
    show: (v) => v,
  };
}

/** Items of a list: comma-separated in the environment, an array of strings in the file. */
function items(raw: RawValue): string[] {
  const list = typeof raw.value === 'string' ? raw.value.split(',') : raw.value;
  if (!Array.isArray(list) || !list.every((i) => typeof i === 'string')) {
    throw new InvalidValue(`is not ${raw.from === 'env' ? 'a comma-separated list' : 'an array of strings'}`);
  }
  return list.map((s) => s.trim()).filter((s) => s !== '');
}

/** A list of strings; with `values`, each item must be one of them (duplicates are dropped). */
function list<T extends string = string>(options: { values?: readonly T[]; min?: number } = {}): Kind<T[]> {
  const { values, min = 0 } = options;
  const expect = values === undefined ? 'a comma-separated list' : `a list of one or more of ${values.join(', ')}`;
  return {
    expect,
    parse(raw) {
      const out = [...new Set(items(raw))];
      const bad = values === undefined ? [] : out.filter((i) => !(values as readonly string[]).includes(i));
      if (bad.length > 0)
        throw new InvalidValue(`must list one or more of ${values!.join(', ')} (not ${bad.join(', ')})`);
      if (out.length < min) throw new InvalidValue(`must list at least ${min}`);
      return out as T[];
    },
    show: (v) => v.join(','),
  };
}

/** URLs, each with one of `protocols` (e.g. ['http:', 'https:']). */
function urls(protocols: readonly string[], options: { min?: number; example?: string } = {}): Kind<string[]> {
  const names = protocols.map((p) => `${p}//`).join(' or ');
  const eg = options.example === undefined ? '' : ` (e.g. ${options.example})`;
  const expect = `a list of URLs starting with ${names}${eg}`;
  return {
    expect,
    parse(raw) {
      const out = items(raw);
      for (const u of out) {
        let url: URL | undefined;
        try {
          url = new URL(u);
        } catch {
          url = undefined;
        }
        if (url === undefined || !protocols.includes(url.protocol)) {
          throw new Error(`"${u}" is not a URL starting with ${names}${eg}`);
        }
      }
      if (out.length < (options.min ?? 0)) throw new InvalidValue(`must list at least ${options.min} URL`);
      return out;
    },
    show: (v) => v.map(redactUrl).join(','),
  };
}

/** A database URL: SQLite `file:` or `postgresql://` (shown without its password). */
function databaseUrl(example = 'file:/path/to/service.db'): Kind<string> {
  const expect = `${example} or postgresql://user@host:5432/db`;
  return {
    expect,
    parse(raw) {
      const v = text(raw);
      try {
        providerOf(v);
      } catch {
        throw new InvalidValue(`is not ${expect}`);
      }
      return v;
    },
    show: redactUrl,
  };
}

const absolute = (p: string, base: string) => (isAbsolute(p) ? p : resolve(base, p));

/** A file or folder path, made absolute (relative to the file's folder for values from the file). */
function path(): Kind<string> {
  return {
    expect: 'a file path',
    parse(raw) {
      const v = text(raw);
      if (v === '') throw new InvalidValue('is not a file path');
      return absolute(v, raw.base);
    },
    show: (v) => v,
  };
}

/** Several paths: comma-separated in the environment, an array in the file. */
function paths(): Kind<string[]> {
  return {
    expect: 'a comma-separated list of file paths',
    parse: (raw) => items(raw).map((p) => absolute(p, raw.base)),
    show: (v) => v.join(','),
  };
}

/** Sealing secrets (sealed-token.ts): hex or base64, at least 32 bytes each; comma-separated (env) or an array (file). */
function secrets(): Kind<Uint8Array[]> {
  return {
    expect: 'hex or base64, at least 32 bytes each, comma-separated (e.g. `openssl rand -hex 32`)',
    parse({ value }) {
      const parts = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : [value];
      return parts.map((part: unknown, i) => {
        const s = typeof part === 'string' ? part.trim() : '';
        const bytes = /^[0-9a-fA-F]+$/.test(s) ? Buffer.from(s, 'hex') : Buffer.from(s, 'base64');
        if (bytes.length < 32) {
          throw new InvalidValue(`has a secret (number ${i + 1}) of ${bytes.length} bytes; each needs 32 or more`);
        }
        return new Uint8Array(bytes);
      });
    },
    show: (v) => `${v.length} secret(s)`,
  };
}

/**
 * The secrets a `SealedTokens` gets from a pair of {@link secrets} settings, the sealing secret and the
 * earlier ones kept during a rotation: sealing secret first, null when neither is set (the service then
 * keeps one in its database). Earlier secrets without a sealing one are a problem, added to `problems`.
 */
export function rotatedSecrets(
  current: Uint8Array[] | null,
  previous: Uint8Array[] | null,
  names: { current: string; previous: string },
  problems: string[],
): Uint8Array[] | null {
  if (previous !== null && current === null) {
    problems.push(`${names.previous} needs ${names.current} (the secret that seals new tokens)`);
  }
  const all = [...(current ?? []), ...(previous ?? [])];
  return all.length === 0 ? null : all;
}

/** A kind of the service's own (e.g. rendezvous entries): `parse` throws an Error saying what is wrong. */
function custom<T>(expect: string, parse: (raw: RawValue) => T, show: (v: T) => string): Kind<T> {
  return { expect, parse, show };
}

export const kinds = {
  string,
  int,
  port,
  number,
  duration,
  bool,
  oneOf,
  list,
  urls,
  databaseUrl,
  path,
  paths,
  secrets,
  custom,
};
