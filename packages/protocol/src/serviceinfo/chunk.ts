/**
 * Values larger than one ServiceInfoKeyVal (FDO 1.1 §3.9): the CBOR of a value is split across
 * consecutive entries with the same key, each a slice of the bytes, as go-fdo's `serviceinfo`
 * ChunkWriter does; the receiver joins consecutive same-key entries until they form one CBOR item.
 *
 * A CBOR data item encodes its own length, so a proper prefix of one is never a whole item: joining
 * greedily (only while the bytes so far do not decode) is unambiguous, and consecutive entries that
 * each hold a whole item (several `fdo.download:data`, say) stay separate messages.
 */
import { concat } from '../cbor/bytes.js';
import { decode } from '../cbor/codec.js';
import { MessageBodyError } from '../errors.js';
import { cborHeadSize, type ServiceInfoKV } from '../types/service-info.js';

/**
 * The entries carrying `value` (CBOR bytes) under `key`, each at most `budget` bytes encoded
 * (`[tstr, bstr]`). One entry when it fits.
 */
export function splitValue(key: string, value: Uint8Array, budget: number): ServiceInfoKV[] {
  const keyLength = Buffer.byteLength(key, 'utf8');
  const fixed = 1 + cborHeadSize(keyLength) + keyLength;
  if (fixed + cborHeadSize(value.length) + value.length <= budget) return [{ key, value }];
  // The largest slice n with head(n) + n fitting what is left after the key.
  let room = budget - fixed - 1;
  while (room > 0 && cborHeadSize(room) + room > budget - fixed) room--;
  if (room <= 0) throw new RangeError(`ServiceInfo "${key}": a budget of ${budget} bytes leaves no room for data`);
  const out: ServiceInfoKV[] = [];
  for (let at = 0; at < value.length; at += room) out.push({ key, value: value.subarray(at, at + room) });
  return out;
}

/** A ServiceInfo message, its value decoded. */
export interface DecodedKV {
  readonly key: string;
  readonly value: unknown;
}

function tryDecode(bytes: Uint8Array): { ok: true; value: unknown } | { ok: false; error: Error } {
  try {
    return { ok: true, value: decode(bytes) };
  } catch (error) {
    return { ok: false, error: error as Error };
  }
}

/**
 * Reassembles values split by {@link splitValue} across calls: `push` each received entry in order;
 * it returns the messages completed so far. {@link ValueJoiner.finish} fails when a value is left
 * incomplete at a point where the sender must have finished it.
 */
export class ValueJoiner {
  #key: string | null = null;
  #parts: Uint8Array[] = [];

  push(kv: ServiceInfoKV): DecodedKV[] {
    const out: DecodedKV[] = [];
    if (this.#key !== null && this.#key !== kv.key) out.push(...this.finish());
    this.#key = kv.key;
    this.#parts.push(kv.value);
    const bytes = this.#parts.length === 1 ? kv.value : concat(...this.#parts);
    const result = tryDecode(bytes);
    if (result.ok) {
      out.push({ key: kv.key, value: result.value });
      this.#key = null;
      this.#parts = [];
    }
    return out;
  }

  /** True while a value is waiting for its next slice. */
  get pending(): boolean {
    return this.#key !== null;
  }

  /** Throws MessageBodyError when a value is incomplete (or not CBOR at all). */
  finish(): DecodedKV[] {
    if (this.#key === null) return [];
    const key = this.#key;
    const result = tryDecode(concat(...this.#parts));
    this.#key = null;
    this.#parts = [];
    if (result.ok) return [{ key, value: result.value }];
    throw new MessageBodyError(`ServiceInfo "${key}": ${result.error.message}`, { cause: result.error });
  }
}

/** Joins a complete batch of entries into messages (values split across entries reassembled). */
export function joinValues(entries: readonly ServiceInfoKV[]): DecodedKV[] {
  const joiner = new ValueJoiner();
  const out: DecodedKV[] = [];
  for (const kv of entries) out.push(...joiner.push(kv));
  out.push(...joiner.finish());
  return out;
}

/**
 * The most data bytes one message `key` = bstr may carry in an entry of at most `budget` bytes: the
 * entry is `[key, bstr .cbor bstr]`, so the data is wrapped in two byte-string heads (go-fdo
 * `download_owner.go` reserves the same). At least 1.
 */
export function dataRoom(key: string, budget: number): number {
  const keyLength = Buffer.byteLength(key, 'utf8');
  let n = budget - 1 - cborHeadSize(keyLength) - keyLength - 2;
  while (
    n > 0 &&
    1 + cborHeadSize(keyLength) + keyLength + cborHeadSize(n + cborHeadSize(n)) + cborHeadSize(n) + n > budget
  )
    n--;
  if (n <= 0) throw new RangeError(`ServiceInfo "${key}": a budget of ${budget} bytes leaves no room for data`);
  return n;
}
