/**
 * COSE algorithm registry for what FDO uses (RFC 8152 §8–§10, RFC 8230, FDO 1.1 §3.3.3 and §4.4).
 * Identifiers are resolved to entries once, at decode time; an unknown identifier is a typed error.
 */
import type { HashAlg, SignatureAlg } from '../crypto/provider.js';
import { MessageBodyError } from '../errors.js';

export interface SignatureAlgorithm {
  readonly id: number;
  readonly name: SignatureAlg;
  readonly hash: HashAlg;
  /** Which key kind signs with it. */
  readonly keyKind: 'ec' | 'rsa';
}

const sig = (id: number, name: SignatureAlg, hash: HashAlg, keyKind: 'ec' | 'rsa'): SignatureAlgorithm => ({
  id,
  name,
  hash,
  keyKind,
});

/** COSE signature algorithms (IANA "COSE Algorithms"): ES256 −7, ES384 −35, PS256 −37, PS384 −38, RS256 −257, RS384 −258. */
export const SIGNATURE_ALGORITHMS: readonly SignatureAlgorithm[] = [
  sig(-7, 'ES256', 'SHA-256', 'ec'),
  sig(-35, 'ES384', 'SHA-384', 'ec'),
  sig(-37, 'PS256', 'SHA-256', 'rsa'),
  sig(-38, 'PS384', 'SHA-384', 'rsa'),
  sig(-257, 'RS256', 'SHA-256', 'rsa'),
  sig(-258, 'RS384', 'SHA-384', 'rsa'),
];

const byId = new Map(SIGNATURE_ALGORITHMS.map((a) => [a.id, a]));
const byName = new Map(SIGNATURE_ALGORITHMS.map((a) => [a.name, a]));

export function signatureAlgorithm(id: unknown): SignatureAlgorithm {
  const alg = typeof id === 'number' ? byId.get(id) : undefined;
  if (alg === undefined) throw new MessageBodyError(`unsupported COSE signature algorithm ${String(id)}`);
  return alg;
}

export function signatureAlgorithmByName(name: SignatureAlg): SignatureAlgorithm {
  return byName.get(name)!;
}
