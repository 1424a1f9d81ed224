/**
 * Certificate revocation lists (RFC 5280 §5): what an issuing CA publishes so that TLS servers
 * (an MQTT broker's `crlfile`) refuse the certificates it revoked.
 */
import { x509 } from './peculiar.js';
import { publicKeyInfo, publicKeyOfCertificate } from '../crypto/keys.js';
import type { CertificateIssuer } from './certificate.js';
import { bytesOf, importSigningKey, signingAlgorithmFor, webCrypto } from './webcrypto.js';

export interface RevokedCertificate {
  /** Serial number, hex. */
  serialNumber: string;
  revokedAt: Date;
}

export interface CrlInput {
  issuer: CertificateIssuer;
  revoked: readonly RevokedCertificate[];
  thisUpdate?: Date;
  /** When verifiers must have a newer list (OpenSSL refuses an expired CRL). */
  nextUpdate: Date;
}

/** A CRL (DER) signed by the issuer, with its authority key identifier. */
export async function createCrl(input: CrlInput): Promise<Uint8Array> {
  const issuerCert = new x509.X509Certificate(input.issuer.certificate);
  const issuerKey = publicKeyOfCertificate(input.issuer.certificate);
  const crl = await x509.X509CrlGenerator.create(
    {
      issuer: issuerCert.subjectName,
      thisUpdate: input.thisUpdate ?? new Date(),
      nextUpdate: input.nextUpdate,
      signingKey: await importSigningKey(input.issuer.privateKey),
      signingAlgorithm: signingAlgorithmFor(publicKeyInfo(issuerKey)),
      extensions: [await x509.AuthorityKeyIdentifierExtension.create(issuerKey.spki, false, webCrypto)],
      entries: input.revoked.map((r) => ({ serialNumber: r.serialNumber, revocationDate: r.revokedAt })),
    },
    webCrypto,
  );
  return bytesOf(crl.rawData);
}

/** The serial numbers (hex, lower case) a CRL lists, after checking its signature by `issuerCertificate`. */
export async function revokedSerials(crl: Uint8Array, issuerCertificate: Uint8Array): Promise<string[] | null> {
  const parsed = new x509.X509Crl(crl);
  const issuer = new x509.X509Certificate(issuerCertificate);
  if (!(await parsed.verify({ publicKey: issuer.publicKey }, webCrypto))) return null;
  return parsed.entries.map((e) => e.serialNumber.toLowerCase());
}

/** PEM of a DER CRL. */
export const crlToPem = (der: Uint8Array): string => x509.PemConverter.encode(der, 'X509 CRL') + '\n';

/** DER of the first X509 CRL block of a PEM text. */
export function crlFromPem(pem: string): Uint8Array {
  const [block] = x509.PemConverter.decodeWithHeaders(pem).filter((b) => b.type === 'X509 CRL');
  if (block === undefined) throw new Error('no X509 CRL block');
  return new Uint8Array(block.rawData);
}
