/**
 * COSE_Mac0 (RFC 8152 §6.2, §6.3), as FDO uses it for the outer block of the encrypt-then-MAC
 * session suites (FDO 1.1 §4.4, `ETMOuterBlock`).
 *
 * ```cddl
 * COSE_Mac0 = [ protected: bstr .cbor header_map / bstr .size 0, unprotected: header_map,
 *               payload: bstr / nil, tag: bstr ]
 * MAC_structure = [ context: "MAC0", protected: bstr, external_aad: bstr, payload: bstr ]
 * ```
 * The protected header and payload bytes are kept exactly as received: the tag is always checked
 * over them, never over a re-encoding.
 */
import { timingSafeEqual } from '../cbor/bytes.js';
import { decode, encode, Tag } from '../cbor/codec.js';
import * as read from '../cbor/read.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { MessageBodyError } from '../errors.js';
import { decodeProtected, encodeProtected, HeaderLabel, headerMap, type HeaderMap } from './headers.js';
import { macAlgorithm, type MacAlgorithm } from './mac-algorithms.js';

export const COSE_MAC0_TAG = 17;
const EMPTY = new Uint8Array(0);

export interface Mac0Input {
  alg: MacAlgorithm;
  key: Uint8Array;
  payload: Uint8Array;
  /** Extra protected headers besides alg. */
  protected?: HeaderMap;
  unprotected?: HeaderMap;
  externalAad?: Uint8Array;
  /** Where alg goes; FDO puts it in the protected bucket (the default). */
  algHeader?: 'protected' | 'unprotected';
}

export class CoseMac0 {
  constructor(
    /** The protected header bucket, exactly as encoded (possibly zero-length). */
    readonly protectedBytes: Uint8Array,
    readonly protectedHeaders: HeaderMap,
    readonly unprotected: HeaderMap,
    readonly payload: Uint8Array | null,
    readonly tag: Uint8Array,
  ) {}

  /**
   * The MAC algorithm, from the protected bucket or else the unprotected one (RFC 8152 §3.1
   * allows either; a label in both buckets is malformed). Throws {@link MessageBodyError}.
   */
  get alg(): MacAlgorithm {
    return macAlgorithm(algHeader(this.protectedHeaders, this.unprotected, 'COSE_Mac0'));
  }

  /** Computes the tag over the MAC_structure (RFC 8152 §6.3). */
  static create(provider: CryptoProvider, input: Mac0Input): CoseMac0 {
    const protectedHeaders: HeaderMap = new Map();
    const unprotected: HeaderMap = new Map(input.unprotected ?? []);
    if (input.algHeader === 'unprotected') unprotected.set(HeaderLabel.alg, input.alg.id);
    else protectedHeaders.set(HeaderLabel.alg, input.alg.id);
    for (const [k, v] of input.protected ?? []) protectedHeaders.set(k, v);
    const protectedBytes = encodeProtected(protectedHeaders);
    const toBeMaced = macStructure(protectedBytes, input.externalAad ?? EMPTY, input.payload);
    const tag = provider.hmac(input.alg.hash, input.key, toBeMaced).subarray(0, input.alg.tagLength);
    return new CoseMac0(protectedBytes, protectedHeaders, unprotected, input.payload, tag);
  }

  /**
   * Checks the tag with `key` in constant time, using the algorithm in the headers.
   * `detachedPayload` is for a nil payload carried elsewhere. Returns false on any mismatch,
   * including an unknown algorithm.
   */
  verify(
    provider: CryptoProvider,
    key: Uint8Array,
    externalAad: Uint8Array = EMPTY,
    detachedPayload?: Uint8Array,
  ): boolean {
    const payload = this.payload ?? detachedPayload;
    if (payload === undefined) return false;
    let alg: MacAlgorithm;
    try {
      alg = this.alg;
    } catch {
      return false;
    }
    const expected = provider
      .hmac(alg.hash, key, macStructure(bodyProtected(this), externalAad, payload))
      .subarray(0, alg.tagLength);
    return timingSafeEqual(expected, this.tag);
  }

  /** Reads a COSE_Mac0 from decoded CBOR, tagged (17) or untagged. */
  static fromCbor(value: unknown, path = 'COSE_Mac0'): CoseMac0 {
    const [p, u, payload, tag] = read.array(read.untag(value, COSE_MAC0_TAG, path), path, 4);
    const protectedBytes = read.bytes(p, `${path}.protected`);
    return new CoseMac0(
      protectedBytes,
      decodeProtected(protectedBytes, path),
      headerMap(u, path),
      read.nullable(payload, (v) => read.bytes(v, `${path}.payload`)),
      read.bytes(tag, `${path}.tag`),
    );
  }

  static decode(bytes: Uint8Array, path?: string): CoseMac0 {
    return CoseMac0.fromCbor(decode(bytes), path);
  }

  /** The tagged CBOR value (tag 17). */
  toCbor(): Tag {
    return new Tag([this.protectedBytes, this.unprotected, this.payload, this.tag], COSE_MAC0_TAG);
  }

  encode(): Uint8Array {
    return encode(this.toCbor());
  }
}

/** MAC_structure for COSE_Mac0 (RFC 8152 §6.3). */
export function macStructure(protectedBytes: Uint8Array, externalAad: Uint8Array, payload: Uint8Array): Uint8Array {
  return encode(['MAC0', protectedBytes, externalAad, payload]);
}

/**
 * The protected bucket as the MAC/Enc/Sig structures take it: the received bytes, except that a
 * bucket holding an empty map counts as "no protected attributes", i.e. the zero-length string
 * (RFC 8152 §4.4, §5.3, §6.3; the COSE WG examples `*-pass-01` rely on it).
 */
export function bodyProtected(s: { protectedBytes: Uint8Array; protectedHeaders: HeaderMap }): Uint8Array {
  return s.protectedHeaders.size === 0 ? EMPTY : s.protectedBytes;
}

/** The alg header value from whichever bucket holds it (RFC 8152 §3: never both). */
export function algHeader(protectedHeaders: HeaderMap, unprotected: HeaderMap, path: string): unknown {
  const inProtected = protectedHeaders.has(HeaderLabel.alg);
  if (inProtected && unprotected.has(HeaderLabel.alg)) {
    throw new MessageBodyError(`${path}: alg appears in both header buckets`);
  }
  return inProtected ? protectedHeaders.get(HeaderLabel.alg) : unprotected.get(HeaderLabel.alg);
}
