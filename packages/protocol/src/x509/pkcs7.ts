/**
 * Certificates-only CMS (RFC 5652 §5 SignedData with no signers, "degenerate"; RFC 8551 §3.2.2
 * smime-type=certs-only): how EST (RFC 7030 §4.1.3) and fdo.csr:cacerts-res carry CA certificates.
 */
import { x509 } from './peculiar.js';
import { bytesOf } from './webcrypto.js';

/** DER ContentInfo holding `certificates` (DER each), in order. */
export function certificatesToPkcs7(certificates: readonly Uint8Array[]): Uint8Array {
  const list = new x509.X509Certificates(certificates.map((der) => new x509.X509Certificate(der)));
  return bytesOf(list.export('raw'));
}

/** The DER certificates of a certs-only ContentInfo, in order. */
export function certificatesFromPkcs7(der: Uint8Array): Uint8Array[] {
  const list = new x509.X509Certificates();
  list.import(der);
  return list.map((c) => bytesOf(c.rawData));
}
