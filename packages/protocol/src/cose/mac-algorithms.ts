/**
 * COSE MAC algorithm registry for what FDO uses (RFC 8152 §9.1): HMAC 256/256 (5) and
 * HMAC 384/384 (6), the MACs of FDO's encrypt-then-MAC cipher suites (FDO 1.1 §4.4).
 * Identifiers are resolved once, at decode time; an unknown identifier is a typed error.
 */
import type { HashAlg } from '../crypto/provider.js';
import { MessageBodyError } from '../errors.js';

export interface MacAlgorithm {
  readonly id: number;
  readonly name: string;
  readonly hash: HashAlg;
  /** Tag length in bytes (the full hash output: no truncation for 5 and 6). */
  readonly tagLength: number;
}

const hmac = (id: number, name: string, hash: HashAlg, tagLength: number): MacAlgorithm => ({
  id,
  name,
  hash,
  tagLength,
});

/** IANA "COSE Algorithms": HMAC 256/256 = 5, HMAC 384/384 = 6 (RFC 8152 §9.1, Table 7). */
export const MAC_ALGORITHMS: readonly MacAlgorithm[] = [
  hmac(5, 'HMAC 256/256', 'SHA-256', 32),
  hmac(6, 'HMAC 384/384', 'SHA-384', 48),
];

export const HMAC_256 = MAC_ALGORITHMS[0]!;
export const HMAC_384 = MAC_ALGORITHMS[1]!;

const byId = new Map(MAC_ALGORITHMS.map((a) => [a.id, a]));

/** Resolves a COSE MAC algorithm identifier; throws {@link MessageBodyError} for anything else. */
export function macAlgorithm(id: unknown): MacAlgorithm {
  const alg = typeof id === 'number' ? byId.get(id) : undefined;
  if (alg === undefined) throw new MessageBodyError(`unsupported COSE MAC algorithm ${String(id)}`);
  return alg;
}
