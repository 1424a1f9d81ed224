/**
 * Hash and HMac (FDO 1.1 §3.3.1): `[hashtype: int, hash: bstr]`, and the hash/HMAC selection rules.
 *
 * ```cddl
 * Hash = [hashtype: int, hash: bstr]   ; SHA256 = -16, SHA384 = -43
 * HMac = Hash                          ; HMAC-SHA256 = 5, HMAC-SHA384 = 6
 * ```
 */
import * as read from '../cbor/read.js';
import { timingSafeEqual } from '../cbor/bytes.js';
import type { CryptoProvider, HashAlg } from '../crypto/provider.js';
import type { KeyInfo } from '../crypto/keys.js';
import { MessageBodyError } from '../errors.js';

export const HashType = { SHA256: -16, SHA384: -43, HMAC_SHA256: 5, HMAC_SHA384: 6 } as const;
export type DigestType = typeof HashType.SHA256 | typeof HashType.SHA384;
export type HmacType = typeof HashType.HMAC_SHA256 | typeof HashType.HMAC_SHA384;

const DIGEST_ALG: Record<DigestType, HashAlg> = { [-16]: 'SHA-256', [-43]: 'SHA-384' };
const HMAC_ALG: Record<HmacType, HashAlg> = { 5: 'SHA-256', 6: 'SHA-384' };
const SIZE: Record<HashAlg, number> = { 'SHA-256': 32, 'SHA-384': 48 };

export const digestTypeFor = (alg: HashAlg): DigestType => (alg === 'SHA-256' ? HashType.SHA256 : HashType.SHA384);
export const hmacTypeFor = (alg: HashAlg): HmacType =>
  alg === 'SHA-256' ? HashType.HMAC_SHA256 : HashType.HMAC_SHA384;

/** A cryptographic hash (FDO `Hash`). */
export class Hash {
  constructor(
    readonly type: DigestType,
    readonly value: Uint8Array,
  ) {}

  get alg(): HashAlg {
    return DIGEST_ALG[this.type];
  }

  static compute(crypto: CryptoProvider, alg: HashAlg, data: Uint8Array): Hash {
    return new Hash(digestTypeFor(alg), crypto.digest(alg, data));
  }

  /** True when `data` hashes to this value with this hash's own algorithm. */
  matches(crypto: CryptoProvider, data: Uint8Array): boolean {
    return timingSafeEqual(crypto.digest(this.alg, data), this.value);
  }

  equals(other: Hash): boolean {
    return this.type === other.type && timingSafeEqual(this.value, other.value);
  }

  toCbor(): [number, Uint8Array] {
    return [this.type, this.value];
  }

  static fromCbor(v: unknown, path = 'Hash'): Hash {
    const [t, h] = read.array(v, path, 2);
    const type = read.oneOf(t, `${path}.hashtype`, [HashType.SHA256, HashType.SHA384] as const);
    const value = read.bytes(h, `${path}.hash`);
    if (value.length !== SIZE[DIGEST_ALG[type]]) {
      throw new MessageBodyError(
        `${path}: ${DIGEST_ALG[type]} hash must be ${SIZE[DIGEST_ALG[type]]} bytes, got ${value.length}`,
      );
    }
    return new Hash(type, value);
  }
}

/** A keyed hash (FDO `HMac`). */
export class HMac {
  constructor(
    readonly type: HmacType,
    readonly value: Uint8Array,
  ) {}

  get alg(): HashAlg {
    return HMAC_ALG[this.type];
  }

  static compute(crypto: CryptoProvider, alg: HashAlg, secret: Uint8Array, data: Uint8Array): HMac {
    return new HMac(hmacTypeFor(alg), crypto.hmac(alg, secret, data));
  }

  /** Constant-time check of `data` against this HMAC under `secret`. */
  verify(crypto: CryptoProvider, secret: Uint8Array, data: Uint8Array): boolean {
    return timingSafeEqual(crypto.hmac(this.alg, secret, data), this.value);
  }

  toCbor(): [number, Uint8Array] {
    return [this.type, this.value];
  }

  static fromCbor(v: unknown, path = 'HMac'): HMac {
    const [t, h] = read.array(v, path, 2);
    const type = read.oneOf(t, `${path}.hashtype`, [HashType.HMAC_SHA256, HashType.HMAC_SHA384] as const);
    const value = read.bytes(h, `${path}.hash`);
    if (value.length !== SIZE[HMAC_ALG[type]]) {
      throw new MessageBodyError(
        `${path}: HMAC-${HMAC_ALG[type]} must be ${SIZE[HMAC_ALG[type]]} bytes, got ${value.length}`,
      );
    }
    return new HMac(type, value);
  }
}

/** The security strength of a key for hash selection: 384 for P-384 and RSA ≥ 3072, else 256. */
function strength(key: KeyInfo): 256 | 384 {
  if (key.kind === 'ec') return key.curve === 'P-384' ? 384 : 256;
  return key.bits >= 3072 ? 384 : 256;
}

/**
 * Hash algorithm for the voucher and the header HMAC (FDO 1.1 §3.3.1 "hashhmac"): SHA-384 when
 * both the device attestation key and the owner (manufacturer) key are of 384-bit strength, as
 * go-fdo does (min of the two). Verifiers accept either, since every Hash names its own algorithm.
 */
export function hashAlgFor(deviceKey: KeyInfo, ownerKey: KeyInfo): HashAlg {
  return Math.min(strength(deviceKey), strength(ownerKey)) === 384 ? 'SHA-384' : 'SHA-256';
}
