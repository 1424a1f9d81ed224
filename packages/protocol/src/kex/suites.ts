/**
 * The key exchange suites of FDO 1.1 §3.6 (KexSuiteNames, §3.6.1–§3.6.4) as one table.
 *
 * CDDL (§3.6):
 *   KexSuiteNames /= ("DHKEXid14", "DHKEXid15", "ASYMKEX2048", "ASYMKEX3072", "ECDH256", "ECDH384")
 */
import { MessageBodyError } from '../errors.js';
import type { Curve } from '../crypto/provider.js';

export type KexSuiteName = 'ECDH256' | 'ECDH384' | 'DHKEXid14' | 'DHKEXid15' | 'ASYMKEX2048' | 'ASYMKEX3072';

/** ECDH on a NIST curve (§3.6.3); each side adds a random of `randomLength` bytes. */
export interface EcdhSuite {
  readonly name: 'ECDH256' | 'ECDH384';
  readonly kind: 'ecdh';
  readonly curve: Curve;
  readonly randomLength: 16 | 48;
}

/** Finite-field DH on an RFC 3526 group with g = 2 (§3.6.2); private exponents of `exponentLength` bytes. */
export interface DhSuite {
  readonly name: 'DHKEXid14' | 'DHKEXid15';
  readonly kind: 'dh';
  readonly group: 14 | 15;
  readonly exponentLength: 32 | 96;
}

/** Asymmetric exchange: the device encrypts its random to the owner's RSA key with OAEP (§3.6.4). */
export interface AsymkexSuite {
  readonly name: 'ASYMKEX2048' | 'ASYMKEX3072';
  readonly kind: 'asymkex';
  readonly rsaBits: 2048 | 3072;
  readonly randomLength: 32 | 96;
}

export type KexSuite = EcdhSuite | DhSuite | AsymkexSuite;

/** Sizes agree with go-fdo (kex/ecdh.go, dh.go, oaep.go) and PRI (StandardCryptoService, DiffieHellman). */
export const KEX_SUITES: { readonly [N in KexSuiteName]: KexSuite & { readonly name: N } } = {
  ECDH256: { name: 'ECDH256', kind: 'ecdh', curve: 'P-256', randomLength: 16 },
  ECDH384: { name: 'ECDH384', kind: 'ecdh', curve: 'P-384', randomLength: 48 },
  DHKEXid14: { name: 'DHKEXid14', kind: 'dh', group: 14, exponentLength: 32 },
  DHKEXid15: { name: 'DHKEXid15', kind: 'dh', group: 15, exponentLength: 96 },
  ASYMKEX2048: { name: 'ASYMKEX2048', kind: 'asymkex', rsaBits: 2048, randomLength: 32 },
  ASYMKEX3072: { name: 'ASYMKEX3072', kind: 'asymkex', rsaBits: 3072, randomLength: 96 },
};

export const KEX_SUITE_NAMES = Object.keys(KEX_SUITES) as readonly KexSuiteName[];

export function isKexSuiteName(name: unknown): name is KexSuiteName {
  return typeof name === 'string' && Object.hasOwn(KEX_SUITES, name);
}

/** The suite for a kexSuiteName received in TO2.HelloDevice (§5.5.1); unknown names are MessageBodyError. */
export function kexSuite(name: string): KexSuite {
  if (!isKexSuiteName(name)) throw new MessageBodyError(`unknown key exchange suite ${JSON.stringify(name)}`);
  return KEX_SUITES[name];
}
