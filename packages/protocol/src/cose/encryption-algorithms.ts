/**
 * COSE content-encryption algorithm registry for what FDO uses:
 * - AEAD: AES-GCM (RFC 8152 §10.1) and AES-CCM (RFC 8152 §10.2), FDO 1.1 §4.4 cipher suites;
 * - non-AEAD AES-CTR / AES-CBC for FDO's encrypt-then-MAC suites, under the FDO identifiers
 *   (COSEAES128CBC −17760703 … COSEAES256CTR −17760706, FDO 1.1 §3.6 cipher-suite table) and,
 *   accepted when decoding, the RFC 9459 identifiers go-fdo writes (A128CTR −65534 … A256CBC −65529).
 *
 * Identifiers are resolved once, at decode time; an unknown identifier is a typed error.
 */
import type { AeadMode } from '../crypto/provider.js';
import { MessageBodyError } from '../errors.js';

interface BaseAlgorithm {
  readonly id: number;
  readonly name: string;
  /** Key length in bytes (16, 24 or 32). */
  readonly keyLength: number;
  /** IV / nonce length in bytes carried in the unprotected header (label 5). */
  readonly ivLength: number;
  /**
   * Algorithms that are the same cipher under another identifier share a family
   * (e.g. COSEAES128CTR and RFC 9459 A128CTR are both `AES-128-CTR`).
   */
  readonly family: string;
}

/** AES-GCM / AES-CCM: the Enc_structure is authenticated as AAD; ciphertext ends with the tag. */
export interface AeadAlgorithm extends BaseAlgorithm {
  readonly kind: 'aead';
  readonly mode: AeadMode;
  /** Tag length in bytes. */
  readonly tagLength: number;
}

/** AES-CTR / AES-CBC: confidentiality only, so FDO always wraps it in a COSE_Mac0 (FDO 1.1 §4.4). */
export interface CipherAlgorithm extends BaseAlgorithm {
  readonly kind: 'cipher';
  readonly mode: 'CTR' | 'CBC';
}

export type EncryptionAlgorithm = AeadAlgorithm | CipherAlgorithm;

const gcm = (id: number, bits: number): AeadAlgorithm => ({
  kind: 'aead',
  id,
  name: `A${bits}GCM`,
  mode: 'GCM',
  keyLength: bits / 8,
  ivLength: 12,
  tagLength: 16,
  family: `AES-${bits}-GCM`,
});

/** AES-CCM-L-M-k (RFC 8152 §10.2): L = 16 → 13-byte nonce, L = 64 → 7-byte nonce; M = tag bits. */
const ccm = (id: number, lengthBits: 16 | 64, tagBits: 64 | 128, keyBits: 128 | 256): AeadAlgorithm => ({
  kind: 'aead',
  id,
  name: `AES-CCM-${lengthBits}-${tagBits}-${keyBits}`,
  mode: 'CCM',
  keyLength: keyBits / 8,
  ivLength: 15 - lengthBits / 8,
  tagLength: tagBits / 8,
  family: `AES-${keyBits}-CCM-${lengthBits}-${tagBits}`,
});

const aes = (id: number, name: string, mode: 'CTR' | 'CBC', bits: number): CipherAlgorithm => ({
  kind: 'cipher',
  id,
  name,
  mode,
  keyLength: bits / 8,
  ivLength: 16,
  family: `AES-${bits}-${mode}`,
});

export const ENCRYPTION_ALGORITHMS: readonly EncryptionAlgorithm[] = [
  gcm(1, 128),
  gcm(2, 192),
  gcm(3, 256),
  ccm(10, 16, 64, 128),
  ccm(11, 16, 64, 256),
  ccm(12, 64, 64, 128),
  ccm(13, 64, 64, 256),
  ccm(30, 16, 128, 128),
  ccm(31, 16, 128, 256),
  ccm(32, 64, 128, 128),
  ccm(33, 64, 128, 256),
  // FDO 1.1 identifiers (what the spec's ETMInnerBlock carries as AESPlainType).
  aes(-17760703, 'COSEAES128CBC', 'CBC', 128),
  aes(-17760704, 'COSEAES128CTR', 'CTR', 128),
  aes(-17760705, 'COSEAES256CBC', 'CBC', 256),
  aes(-17760706, 'COSEAES256CTR', 'CTR', 256),
  // RFC 9459 identifiers (go-fdo writes these), accepted on decode.
  aes(-65534, 'A128CTR', 'CTR', 128),
  aes(-65533, 'A192CTR', 'CTR', 192),
  aes(-65532, 'A256CTR', 'CTR', 256),
  aes(-65531, 'A128CBC', 'CBC', 128),
  aes(-65530, 'A192CBC', 'CBC', 192),
  aes(-65529, 'A256CBC', 'CBC', 256),
];

const byId = new Map(ENCRYPTION_ALGORITHMS.map((a) => [a.id, a]));

/** Resolves a COSE content-encryption algorithm identifier; throws {@link MessageBodyError} for anything else. */
export function encryptionAlgorithm(id: unknown): EncryptionAlgorithm {
  const alg = typeof id === 'number' ? byId.get(id) : undefined;
  if (alg === undefined) throw new MessageBodyError(`unsupported COSE encryption algorithm ${String(id)}`);
  return alg;
}
