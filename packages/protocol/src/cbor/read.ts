/**
 * Typed readers over decoded CBOR. Each takes the value and a human-readable path
 * (`"OVHeader.guid"`) and returns the typed value or throws {@link MessageBodyError} naming the path,
 * so a decoder reads like the CDDL it follows and every error says where the input went wrong.
 */
import { MessageBodyError } from '../errors.js';
import { Tag } from './codec.js';

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v instanceof Uint8Array) return `bstr[${v.length}]`;
  if (Array.isArray(v)) return `array[${v.length}]`;
  if (v instanceof Map) return `map{${v.size}}`;
  if (v instanceof Tag) return `tag ${String(v.tag)}`;
  return typeof v;
}

export function bodyError(path: string, expected: string, got: unknown): MessageBodyError {
  return new MessageBodyError(`${path}: expected ${expected}, got ${describe(got)}`);
}

export function array(v: unknown, path: string, length?: number): unknown[] {
  if (!Array.isArray(v)) throw bodyError(path, length === undefined ? 'an array' : `an array of ${length}`, v);
  if (length !== undefined && v.length !== length) throw bodyError(path, `an array of ${length}`, v);
  return v;
}

/** An array of at least `min` and at most `max` elements. */
export function arrayOf(v: unknown, path: string, min: number, max = Number.MAX_SAFE_INTEGER): unknown[] {
  if (!Array.isArray(v) || v.length < min || v.length > max) {
    throw bodyError(path, max === min ? `an array of ${min}` : `an array of ${min}..${max}`, v);
  }
  return v;
}

export function bytes(v: unknown, path: string, length?: number): Uint8Array {
  if (!(v instanceof Uint8Array)) throw bodyError(path, length === undefined ? 'a bstr' : `a bstr[${length}]`, v);
  if (length !== undefined && v.length !== length) throw bodyError(path, `a bstr[${length}]`, v);
  return v;
}

export function text(v: unknown, path: string): string {
  if (typeof v !== 'string') throw bodyError(path, 'a tstr', v);
  return v;
}

export function bool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') throw bodyError(path, 'a bool', v);
  return v;
}

/** cbor-x decodes 64-bit integer heads as BigInt; within the safe range they are numbers to us. */
function safeNumber(v: unknown): unknown {
  return typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(v)
    : v;
}

export function int(v: unknown, path: string): number {
  const n = safeNumber(v);
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw bodyError(path, 'an integer', v);
  return n;
}

/** An unsigned integer no larger than `max` (for uint8/uint16/uint32 fields). */
export function uint(v: unknown, path: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = safeNumber(v);
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || n > max) {
    throw bodyError(path, `an unsigned integer up to ${max}`, v);
  }
  return n;
}

export function map(v: unknown, path: string): Map<unknown, unknown> {
  if (!(v instanceof Map)) throw bodyError(path, 'a map', v);
  return v;
}

/** `T / null`: returns null for null, otherwise applies `read`. */
export function nullable<T>(v: unknown, read: (v: unknown) => T): T | null {
  return v === null ? null : read(v);
}

/** A tagged item: checks the tag number when present, returns the content. FDO accepts untagged too (§3.3.2). */
export function untag(v: unknown, tag: number, path: string): unknown {
  if (v instanceof Tag) {
    if (v.tag !== tag) throw bodyError(path, `tag ${tag}`, v);
    return v.value;
  }
  return v;
}

/** One of a known set of integer identifiers (a registry), resolved at decode time. */
export function oneOf<T extends number>(v: unknown, path: string, allowed: readonly T[]): T {
  const n = int(v, path);
  if (!(allowed as readonly number[]).includes(n)) {
    throw new MessageBodyError(`${path}: unsupported value ${n} (expected one of ${allowed.join(', ')})`);
  }
  return n as T;
}
