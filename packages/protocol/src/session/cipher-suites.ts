/**
 * TO2 session cipher suites (FDO 1.1 §4.4 and the cipher-suite table of §3.6.4), the values a
 * device names in TO2.HelloDevice.CipherSuiteName (FDO 1.1 §5.5.2).
 *
 * - AEAD suites: one key, the SEK (the spec also calls it SEVK), COSE_Encrypt0 alone.
 * - Encrypt-then-MAC suites: SEK for AES-CTR/CBC in the COSE_Encrypt0 and SVK for the
 *   HMAC of the COSE_Mac0 around it.
 *
 * The KDF PRF (SP 800-108 counter mode, FDO 1.1 §3.6.4) is HMAC-SHA256 for every suite except
 * the AES-256 CTR/CBC ones, which use HMAC-SHA384 (the table's "KDF uses HMAC-SHA384").
 *
 * ```cddl
 * CipherSuiteName = A128GCM / A192GCM / A256GCM / AES-CCM-64-128-128 / AES-CCM-64-128-256 /
 *                   COSEAES128CBC / COSEAES128CTR / COSEAES256CBC / COSEAES256CTR  ;; int
 * ```
 */
import type { EncryptionAlgorithm } from '../cose/encryption-algorithms.js';
import { encryptionAlgorithm } from '../cose/encryption-algorithms.js';
import { HMAC_256, HMAC_384, type MacAlgorithm } from '../cose/mac-algorithms.js';
import type { HashAlg } from '../crypto/provider.js';
import { InvalidMessageError } from '../errors.js';

export const CipherSuiteId = {
  A128GCM: 1,
  A192GCM: 2,
  A256GCM: 3,
  AES_CCM_64_128_128: 32,
  AES_CCM_64_128_256: 33,
  COSEAES128CBC: -17760703,
  COSEAES128CTR: -17760704,
  COSEAES256CBC: -17760705,
  COSEAES256CTR: -17760706,
} as const;
export type CipherSuiteId = (typeof CipherSuiteId)[keyof typeof CipherSuiteId];

interface SuiteBase {
  readonly id: CipherSuiteId;
  readonly name: string;
  /** The COSE_Encrypt0 content algorithm (for ETM suites, under its FDO identifier). */
  readonly encryption: EncryptionAlgorithm;
  /** PRF hash of the session KDF (FDO 1.1 §3.6.4). */
  readonly prf: HashAlg;
  /** SEK length in bytes: the AES key. */
  readonly sekLength: number;
}

export interface AeadSuite extends SuiteBase {
  readonly kind: 'aead';
}

export interface EncryptThenMacSuite extends SuiteBase {
  readonly kind: 'etm';
  /** The COSE_Mac0 algorithm, keyed with the SVK. */
  readonly mac: MacAlgorithm;
  /** The AES mode of the inner COSE_Encrypt0. */
  readonly mode: 'CTR' | 'CBC';
}

export type CipherSuite = AeadSuite | EncryptThenMacSuite;

const aead = (id: CipherSuiteId): AeadSuite => {
  const encryption = encryptionAlgorithm(id);
  return { kind: 'aead', id, name: encryption.name, encryption, prf: 'SHA-256', sekLength: encryption.keyLength };
};

const etm = (id: CipherSuiteId, mac: MacAlgorithm, prf: HashAlg): EncryptThenMacSuite => {
  const encryption = encryptionAlgorithm(id);
  if (encryption.kind !== 'cipher') throw new TypeError(`${encryption.name} is not an AES-CTR/CBC algorithm`);
  return {
    kind: 'etm',
    id,
    name: encryption.name,
    encryption,
    mac,
    mode: encryption.mode,
    prf,
    sekLength: encryption.keyLength,
  };
};

export const CIPHER_SUITES: readonly CipherSuite[] = [
  aead(CipherSuiteId.A128GCM),
  aead(CipherSuiteId.A192GCM),
  aead(CipherSuiteId.A256GCM),
  aead(CipherSuiteId.AES_CCM_64_128_128),
  aead(CipherSuiteId.AES_CCM_64_128_256),
  etm(CipherSuiteId.COSEAES128CBC, HMAC_256, 'SHA-256'),
  etm(CipherSuiteId.COSEAES128CTR, HMAC_256, 'SHA-256'),
  etm(CipherSuiteId.COSEAES256CBC, HMAC_384, 'SHA-384'),
  etm(CipherSuiteId.COSEAES256CTR, HMAC_384, 'SHA-384'),
];

const byId = new Map<number, CipherSuite>(CIPHER_SUITES.map((s) => [s.id, s]));

/**
 * The suite for a CipherSuiteName. An id we do not support (e.g. the deprecated CCM-16
 * suites 30/31) is well formed but not acceptable: {@link InvalidMessageError}.
 */
export function cipherSuite(id: unknown): CipherSuite {
  const suite = typeof id === 'number' ? byId.get(id) : undefined;
  if (suite === undefined) throw new InvalidMessageError(`unsupported cipher suite ${String(id)}`);
  return suite;
}

/** The PRF hash the session KDF must use for `suite` (FDO 1.1 §3.6.4). */
export function kdfPrf(suite: CipherSuite): HashAlg {
  return suite.prf;
}
