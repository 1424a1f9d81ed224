/**
 * CBOR codec with FDO's encoding rules (FDO 1.1 §3.2: CBOR, RFC 8949, definite lengths,
 * preferred serialization). Built on cbor-x, configured so that:
 * - integer-keyed maps (COSE headers, EAT claims) decode to `Map`, never to objects;
 * - byte strings are plain bstr (no tag 64 on `Uint8Array`), maps get minimal length heads;
 * - no cbor-x extensions (records, structured clone, string references) are produced or accepted.
 *
 * Every decode first passes the structural scanner, so malformed input fails with
 * {@link MessageBodyError} before cbor-x sees it.
 */
import { Decoder, Encoder, Tag } from 'cbor-x';
import { MessageBodyError } from '../errors.js';
import { assertWellFormed, DEFAULT_LIMITS, type ScanLimits } from './scan.js';

export { Tag };

const options = {
  useRecords: false,
  mapsAsObjects: false,
  tagUint8Array: false,
  variableMapSize: true,
  pack: false,
  structuredClone: false,
  bundleStrings: false,
  int64AsType: 'number',
  useTag259ForMaps: false,
} as const;

const encoder = new Encoder(options);
const decoder = new Decoder(options);

/** A CBOR data model value as the FDO layers use it. */
export type CborValue =
  number | bigint | string | boolean | null | undefined | Uint8Array | CborValue[] | Map<CborValue, CborValue> | Tag;

/**
 * cbor-x writes a JavaScript number outside the 32-bit range as a float; CBOR (and every FDO peer)
 * needs an integer there (RFC 8949 §3.1 major types 0/1). Such integers are turned into BigInt,
 * which cbor-x writes as a 64-bit integer head. Returns the same object when nothing needs it.
 */
function widenIntegers(value: unknown): unknown {
  if (typeof value === 'number') {
    return Number.isInteger(value) && (value > 0xffffffff || value < -0x100000000) ? BigInt(value) : value;
  }
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const w = widenIntegers(value[i]);
      if (w !== value[i]) (out ??= value.slice())[i] = w;
    }
    return out ?? value;
  }
  if (value instanceof Map) {
    let changed = false;
    const entries = [...value].map(([k, v]) => {
      const wk = widenIntegers(k);
      const wv = widenIntegers(v);
      changed ||= wk !== k || wv !== v;
      return [wk, wv] as const;
    });
    return changed ? new Map(entries) : value;
  }
  if (value instanceof Tag) {
    const w = widenIntegers(value.value);
    return w === value.value ? value : new Tag(w, value.tag);
  }
  return value;
}

/** Encodes one data item. The result is a fresh `Uint8Array` view (a Node Buffer). */
export function encode(value: unknown): Uint8Array {
  return encoder.encode(widenIntegers(value));
}

/**
 * Decodes exactly one well-formed data item. Throws {@link MessageBodyError} for malformed
 * input, trailing bytes, nesting deeper than the limit, or tags FDO does not use.
 */
export function decode(bytes: Uint8Array, limits: ScanLimits = DEFAULT_LIMITS): unknown {
  assertWellFormed(bytes, limits);
  try {
    return decoder.decode(bytes);
  } catch (err) {
    throw new MessageBodyError(`malformed CBOR: ${(err as Error).message}`, { cause: err });
  }
}

/** Wraps a value in a bstr the way FDO writes `bstr .cbor T`. */
export function wrap(value: unknown): Uint8Array {
  return encode(value);
}
