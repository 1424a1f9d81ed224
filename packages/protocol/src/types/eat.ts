/**
 * Entity Attestation Token as FDO uses it (FDO 1.1 §3.3.8, §3.5.4): a COSE_Sign1 signed by the
 * device attestation key (TO1.ProveToRV 32, TO2.ProveDevice 64).
 *
 * ```cddl
 * EAToken = #6.18(COSE_Sign1)   ; payload: bstr .cbor EATPayloadBaseMap
 * EATPayloadBaseMap = { EATPayloadBase }
 * $$EATPayloadBase //= (
 *     EAT-FDO => $EATPayloads,      ; -257, claim content per message
 *     EAT-NONCE => Nonce,           ; 10
 *     EAT-UEID => EAT-GUID,         ; 256
 *     EATOtherClaims )
 * EAT-GUID = bstr .size 17          ; EAT-RAND (0x01) followed by the Guid
 * $$EATUnprotectedHeaders //= ( EATMAROEPrefix: -258 => bstr, EUPHNonce: -259 => Nonce )
 * ```
 * Signing goes through {@link CoseSign1.sign}; reading keeps the COSE_Sign1 as received.
 */
import { decode, encode, Tag } from '../cbor/codec.js';
import * as read from '../cbor/read.js';
import { equal } from '../cbor/bytes.js';
import type { CryptoProvider, PrivateKeyDer, PublicKeyDer } from '../crypto/provider.js';
import type { SignatureAlgorithm } from '../cose/algorithms.js';
import { HeaderLabel, type HeaderMap } from '../cose/headers.js';
import { CoseSign1 } from '../cose/sign1.js';
import { MessageBodyError } from '../errors.js';
import { readGuid, readNonce, type Guid, type Nonce } from './guid.js';

/** EAT claim keys (FDO 1.1 §3.3.8). */
export const EatClaim = { Nonce: 10, Ueid: 256, Fdo: -257 } as const;
/** UEID type byte EAT-RAND (draft-ietf-rats-eat §4.2.1). */
export const EAT_RAND = 0x01;
const CWT_TAG = 61;

export type EatClaims = Map<number | string, unknown>;

export interface EatInput {
  alg: SignatureAlgorithm;
  /** The device attestation key. */
  key: PrivateKeyDer;
  guid: Guid;
  nonce: Nonce;
  /** EAT-FDO claim content, omitted when undefined. */
  fdo?: unknown;
  /** Further claims (EATOtherClaims). */
  otherClaims?: EatClaims;
  /** EUPHNonce unprotected header (TO2.ProveDevice: NonceTO2SetupDv). */
  euphNonce?: Nonce;
  /** EATMAROEPrefix unprotected header. */
  maroePrefix?: Uint8Array;
}

export class EntityAttestationToken {
  constructor(
    readonly sign1: CoseSign1,
    /** All payload claims as decoded. */
    readonly claims: EatClaims,
    readonly guid: Guid,
    readonly nonce: Nonce,
    /** EAT-FDO content, undefined when the claim is absent. */
    readonly fdo: unknown,
    readonly euphNonce: Nonce | null,
    readonly maroePrefix: Uint8Array | null,
  ) {}

  static sign(provider: CryptoProvider, input: EatInput): EntityAttestationToken {
    const claims: EatClaims = new Map(input.otherClaims ?? []);
    if (input.fdo !== undefined) claims.set(EatClaim.Fdo, input.fdo);
    claims.set(EatClaim.Nonce, input.nonce);
    claims.set(EatClaim.Ueid, ueidOf(input.guid));
    const unprotected: HeaderMap = new Map();
    if (input.maroePrefix !== undefined) unprotected.set(HeaderLabel.EATMAROEPrefix, input.maroePrefix);
    if (input.euphNonce !== undefined) unprotected.set(HeaderLabel.EUPHNonce, input.euphNonce);
    const sign1 = CoseSign1.sign(provider, { alg: input.alg, key: input.key, payload: encode(claims), unprotected });
    return EntityAttestationToken.fromSign1(sign1);
  }

  /** Reads the claims of a COSE_Sign1 (no signature check: see {@link verify}). */
  static fromSign1(sign1: CoseSign1, path = 'EAT'): EntityAttestationToken {
    if (sign1.payload === null) throw new MessageBodyError(`${path}: the payload is detached`);
    const claims = read.map(decode(sign1.payload), `${path}.payload`) as EatClaims;
    const ueid = read.bytes(claims.get(EatClaim.Ueid), `${path}.EAT-UEID`, 17);
    if (ueid[0] !== EAT_RAND) throw new MessageBodyError(`${path}.EAT-UEID: type byte must be EAT-RAND (1)`);
    const nonce = readNonce(claims.get(EatClaim.Nonce), `${path}.EAT-NONCE`);
    const euph = sign1.unprotected.get(HeaderLabel.EUPHNonce);
    const maroe = sign1.unprotected.get(HeaderLabel.EATMAROEPrefix);
    return new EntityAttestationToken(
      sign1,
      claims,
      readGuid(ueid.subarray(1), `${path}.EAT-UEID`),
      nonce,
      claims.get(EatClaim.Fdo),
      euph === undefined ? null : readNonce(euph, `${path}.EUPHNonce`),
      maroe === undefined ? null : read.bytes(maroe, `${path}.EATMAROEPrefix`),
    );
  }

  /** From decoded CBOR: a COSE_Sign1, tagged 18 or untagged, optionally inside a CWT tag (61). */
  static fromCbor(v: unknown, path = 'EAT'): EntityAttestationToken {
    const inner = v instanceof Tag && v.tag === CWT_TAG ? v.value : v;
    return EntityAttestationToken.fromSign1(CoseSign1.fromCbor(inner, path), path);
  }

  static decode(bytes: Uint8Array, path?: string): EntityAttestationToken {
    return EntityAttestationToken.fromCbor(decode(bytes), path);
  }

  /** True when the UEID names `guid`. */
  isFor(guid: Guid): boolean {
    return equal(this.guid, guid);
  }

  verify(provider: CryptoProvider, key: PublicKeyDer): boolean {
    return this.sign1.verify(provider, key);
  }

  toCbor(): Tag {
    return this.sign1.toCbor();
  }

  encode(): Uint8Array {
    return this.sign1.encode();
  }
}

/** EAT-UEID for a device: EAT-RAND followed by the GUID (17 bytes). */
export function ueidOf(guid: Guid): Uint8Array {
  const out = new Uint8Array(17);
  out[0] = EAT_RAND;
  out.set(guid, 1);
  return out;
}
