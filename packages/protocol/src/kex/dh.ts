/**
 * DHKEXid14 / DHKEXid15 key exchange (FDO 1.1 §3.6.2): finite-field Diffie-Hellman on the RFC 3526
 * 2048- and 3072-bit MODP groups with g = 2.
 *
 * xA = g^a mod p and xB = g^b mod p, sent as unsigned big-endian byte strings. We send them padded to
 * the modulus size and accept any length up to it (go-fdo sends minimal bytes, PRI Java's
 * `toByteArray`, possibly with a sign byte; both read unsigned). ShSe = g^(ab) mod p, left-padded to
 * the modulus size as go-fdo does (`FillBytes`); ContextRand is empty. Exponents are 32 / 96 random
 * bytes (go-fdo `paramSize`, PRI 256 / 768 bits).
 */
import { InvalidMessageError } from '../errors.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { fixedUnsigned, toBigInt } from './bytes.js';
import { MODP_PRIME, MODP_SIZE } from './dh-groups.js';
import type { DhSuite } from './suites.js';

/** Rejects peer values outside [2, p-2] (NIST SP 800-56A Rev. 3 §5.6.2.3.1), which would leak or fix the secret. */
function peerValue(suite: DhSuite, bytes: Uint8Array, what: string): Uint8Array {
  const value = fixedUnsigned(bytes, MODP_SIZE[suite.group], what);
  const y = toBigInt(value);
  if (y < 2n || y > MODP_PRIME[suite.group] - 2n) {
    throw new InvalidMessageError(`${what} is not a valid ${suite.name} public value`);
  }
  return value;
}

function derive(
  provider: CryptoProvider,
  suite: DhSuite,
  privateKey: Uint8Array,
  peer: Uint8Array,
  what: string,
): Uint8Array {
  let secret: Uint8Array;
  try {
    secret = provider.dhFromPrivate(suite.group, privateKey).derive(peer);
  } catch (cause) {
    throw new InvalidMessageError(`${what} is not a valid ${suite.name} public value`, { cause });
  }
  // SP 800-56A §5.7.1.1: the shared secret must not be 1 or p-1 (impossible after the range check, kept as a guard).
  const z = toBigInt(secret);
  if (z <= 1n || z === MODP_PRIME[suite.group] - 1n) throw new InvalidMessageError(`${what} gives a degenerate secret`);
  return secret;
}

/** Owner, TO2.ProveOVHdr: `privateKey` is the exponent the stored session keeps. */
export function dhBegin(provider: CryptoProvider, suite: DhSuite): { xA: Uint8Array; privateKey: Uint8Array } {
  const key = provider.dhFromPrivate(suite.group, provider.randomBytes(suite.exponentLength));
  return { xA: key.publicValue, privateKey: key.privateKey };
}

/** Device, TO2.ProveDevice. */
export function dhRespond(
  provider: CryptoProvider,
  suite: DhSuite,
  xA: Uint8Array,
): { xB: Uint8Array; shSe: Uint8Array } {
  const peer = peerValue(suite, xA, 'xA');
  const key = provider.dhFromPrivate(suite.group, provider.randomBytes(suite.exponentLength));
  return { xB: key.publicValue, shSe: derive(provider, suite, key.privateKey, peer, 'xA') };
}

/** Owner, on TO2.ProveDevice. */
export function dhFinish(provider: CryptoProvider, suite: DhSuite, privateKey: Uint8Array, xB: Uint8Array): Uint8Array {
  return derive(provider, suite, privateKey, peerValue(suite, xB, 'xB'), 'xB');
}
