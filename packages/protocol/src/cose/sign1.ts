/**
 * COSE_Sign1 (RFC 8152 §4.2, §4.4), as FDO uses it for vouchers' entries, to1d, EAT and
 * TO2.ProveOVHdr/SetupDevice (FDO 1.1 §3.3.2).
 *
 * ```cddl
 * COSE_Sign1 = [ protected: bstr .cbor header_map / bstr .size 0, unprotected: header_map,
 *                payload: bstr / nil, signature: bstr ]
 * Sig_structure = [ "Signature1", body_protected: bstr, external_aad: bstr, payload: bstr ]
 * ```
 * The protected header and payload bytes are kept exactly as received: verification is always
 * over them, never over a re-encoding.
 */
import { decode, encode, Tag } from '../cbor/codec.js';
import * as read from '../cbor/read.js';
import type { CryptoProvider, PrivateKeyDer, PublicKeyDer } from '../crypto/provider.js';
import { signatureAlgorithm, type SignatureAlgorithm } from './algorithms.js';
import { decodeProtected, encodeProtected, HeaderLabel, headerMap, type HeaderMap } from './headers.js';

export const COSE_SIGN1_TAG = 18;
const EMPTY = new Uint8Array(0);

export interface Sign1Input {
  alg: SignatureAlgorithm;
  key: PrivateKeyDer;
  payload: Uint8Array;
  /** Extra protected headers besides alg. */
  protected?: HeaderMap;
  unprotected?: HeaderMap;
  externalAad?: Uint8Array;
}

export class CoseSign1 {
  constructor(
    /** The protected header bucket, exactly as encoded (possibly zero-length). */
    readonly protectedBytes: Uint8Array,
    readonly protectedHeaders: HeaderMap,
    readonly unprotected: HeaderMap,
    readonly payload: Uint8Array | null,
    readonly signature: Uint8Array,
  ) {}

  /** The signature algorithm named in the protected header (RFC 8152 §3.1: alg must be protected). */
  get alg(): SignatureAlgorithm {
    return signatureAlgorithm(this.protectedHeaders.get(HeaderLabel.alg));
  }

  static sign(provider: CryptoProvider, input: Sign1Input): CoseSign1 {
    const protectedHeaders: HeaderMap = new Map([[HeaderLabel.alg, input.alg.id]]);
    for (const [k, v] of input.protected ?? []) protectedHeaders.set(k, v);
    const protectedBytes = encodeProtected(protectedHeaders);
    const toBeSigned = sigStructure(protectedBytes, input.externalAad ?? EMPTY, input.payload);
    const signature = provider.sign(input.alg.name, input.key, toBeSigned);
    return new CoseSign1(protectedBytes, protectedHeaders, input.unprotected ?? new Map(), input.payload, signature);
  }

  /**
   * Verifies the signature with `key`, using the algorithm in the protected header.
   * `detachedPayload` is for a nil payload carried elsewhere. Returns false on any mismatch.
   */
  verify(
    provider: CryptoProvider,
    key: PublicKeyDer,
    externalAad: Uint8Array = EMPTY,
    detachedPayload?: Uint8Array,
  ): boolean {
    const payload = this.payload ?? detachedPayload;
    if (payload === undefined) return false;
    let alg: SignatureAlgorithm;
    try {
      alg = this.alg;
    } catch {
      return false;
    }
    return provider.verify(alg.name, key, sigStructure(this.protectedBytes, externalAad, payload), this.signature);
  }

  /** Reads a COSE_Sign1 from decoded CBOR, tagged (18) or untagged. */
  static fromCbor(value: unknown, path = 'COSE_Sign1'): CoseSign1 {
    const [p, u, payload, signature] = read.array(read.untag(value, COSE_SIGN1_TAG, path), path, 4);
    const protectedBytes = read.bytes(p, `${path}.protected`);
    return new CoseSign1(
      protectedBytes,
      decodeProtected(protectedBytes, path),
      headerMap(u, path),
      read.nullable(payload, (v) => read.bytes(v, `${path}.payload`)),
      read.bytes(signature, `${path}.signature`),
    );
  }

  static decode(bytes: Uint8Array, path?: string): CoseSign1 {
    return CoseSign1.fromCbor(decode(bytes), path);
  }

  /** The tagged CBOR value (tag 18), as FDO sends it. */
  toCbor(): Tag {
    return new Tag([this.protectedBytes, this.unprotected, this.payload, this.signature], COSE_SIGN1_TAG);
  }

  encode(): Uint8Array {
    return encode(this.toCbor());
  }
}

/** Sig_structure for COSE_Sign1 (RFC 8152 §4.4). */
export function sigStructure(protectedBytes: Uint8Array, externalAad: Uint8Array, payload: Uint8Array): Uint8Array {
  return encode(['Signature1', protectedBytes, externalAad, payload]);
}
