/**
 * Certificate chains (leaf first, as FDO's X5CHAIN and OVDevCertChain carry them, FDO 1.1 §3.3.4,
 * §3.4.2): PEM bundles, fingerprints, and a signature walk from the leaf to a trust anchor.
 */
import { x509 } from './peculiar.js';
import { equal, toHex } from '../cbor/bytes.js';
import { pemBlocks, toPem } from '../crypto/keys.js';
import { nodeCrypto } from '../crypto/node.js';
import type { CryptoProvider, HashAlg } from '../crypto/provider.js';
import { webCrypto } from './webcrypto.js';

export const CERTIFICATE_PEM_LABEL = 'CERTIFICATE';

/** A PEM bundle of DER certificates, in the order given. */
export function certificatesToPem(chain: readonly Uint8Array[]): string {
  return chain.map((der) => toPem(CERTIFICATE_PEM_LABEL, der)).join('');
}

/** The DER of every `CERTIFICATE` block in a PEM text, in order; other blocks are skipped. */
export function certificatesFromPem(text: string): Uint8Array[] {
  return pemBlocks(text)
    .filter((b) => b.label === CERTIFICATE_PEM_LABEL)
    .map((b) => b.der);
}

/** Lower-case hex digest of DER bytes (a certificate or an SPKI): the usual fingerprint, SHA-256 by default. */
export function fingerprint(der: Uint8Array, alg: HashAlg = 'SHA-256', provider: CryptoProvider = nodeCrypto): string {
  return toHex(provider.digest(alg, der));
}

export type ChainCheck = { valid: true } | { valid: false; reason: string };

/**
 * Checks that each certificate of `chain` (leaf first) is signed by the next one, valid at `date`,
 * and that the last is `anchor` or signed by it. Names the first link that fails.
 */
export async function verifyCertificateChain(
  chain: readonly Uint8Array[],
  anchor: Uint8Array,
  date: Date = new Date(),
): Promise<ChainCheck> {
  if (chain.length === 0) return { valid: false, reason: 'the chain is empty' };
  let certs: x509.X509Certificate[];
  try {
    certs = chain.map((der) => new x509.X509Certificate(der));
  } catch (err) {
    return { valid: false, reason: `not a DER certificate: ${(err as Error).message}` };
  }
  const anchorCert = new x509.X509Certificate(anchor);
  const last = chain.length - 1;
  const endsAtAnchor = equal(chain[last]!, anchor);
  for (const [i, cert] of certs.entries()) {
    if (date < cert.notBefore || date > cert.notAfter) {
      return { valid: false, reason: `certificate ${i} (${cert.subject}) is not valid at ${date.toISOString()}` };
    }
    const issuer = i < last ? certs[i + 1]! : anchorCert;
    if (i === last && endsAtAnchor) break;
    const ok = await cert.verify({ publicKey: issuer.publicKey, signatureOnly: true }, webCrypto).catch(() => false);
    if (!ok) return { valid: false, reason: `certificate ${i} (${cert.subject}) is not signed by ${issuer.subject}` };
  }
  return { valid: true };
}
