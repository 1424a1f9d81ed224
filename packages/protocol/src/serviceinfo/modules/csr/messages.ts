/**
 * fdo.csr (https://github.com/fido-alliance/fdo-sim/blob/main/fsim-repository/fdo.csr.md):
 * certificate enrollment after RFC 7030 (EST), carried in ServiceInfo. The device asks, the owner
 * answers.
 *
 * ```cddl
 * fdo.csr:cacerts-req        = uint ; d → o, the format wanted: 281 (certs-only CMS) or 287 (one certificate)
 * fdo.csr:cacerts-res        = tstr ; o → d
 * fdo.csr:simpleenroll-req   = tstr ; d → o, a PKCS#10 request (application/pkcs10)
 * fdo.csr:simpleenroll-res   = tstr ; o → d, the certificate (application/pkix-cert)
 * fdo.csr:simplereenroll-req = tstr ; d → o, renew or rekey the current certificate
 * fdo.csr:simplereenroll-res = tstr ; o → d
 * fdo.csr:serverkeygen-req   = tstr ; d → o
 * fdo.csr:serverkeygen-res   = tstr ; o → d
 * fdo.csr:csrattrs-req       = uint ; d → o
 * fdo.csr:csrattrs-res       = tstr ; o → d
 * fdo.csr:error              = uint ; o → d, see CsrError
 * ```
 * Binary payloads travel as base64 text (RFC 7030 §4: the HTTP bodies are base64 DER), as in the
 * Dell fork of go-fdo's `fsim/csr_owner.go`, the only other implementation we know of.
 */
import { fromBase64, toBase64 } from '../../../cbor/bytes.js';
import * as read from '../../../cbor/read.js';
import { MessageBodyError } from '../../../errors.js';

export const Csr = {
  module: 'fdo.csr',
  cacertsReq: 'cacerts-req',
  cacertsRes: 'cacerts-res',
  simpleenrollReq: 'simpleenroll-req',
  simpleenrollRes: 'simpleenroll-res',
  simplereenrollReq: 'simplereenroll-req',
  simplereenrollRes: 'simplereenroll-res',
  serverkeygenReq: 'serverkeygen-req',
  serverkeygenRes: 'serverkeygen-res',
  csrattrsReq: 'csrattrs-req',
  csrattrsRes: 'csrattrs-res',
  error: 'error',
} as const;

/** Formats of cacerts-req (CoAP content-format numbers, RFC 9148). */
export const CsrFormat = {
  /** application/pkcs7-mime; smime-type=certs-only: mandatory. */
  pkcs7CertsOnly: 281,
  /** application/pkix-cert: exactly one DER certificate. */
  pkixCert: 287,
} as const;

/** fdo.csr:error codes (the module page's table). */
export const CsrError = {
  badRequest: 1,
  unauthorized: 2,
  featureNotSupported: 3,
  rateExceeded: 4,
  unsupportedFormat: 5,
} as const;
export type CsrErrorCode = (typeof CsrError)[keyof typeof CsrError];

/** A DER payload as the module's tstr. */
export const encodeCsrPayload = (der: Uint8Array): string => toBase64(der);

/** A tstr payload back to DER; anything but base64 text is MessageBodyError. */
export function decodeCsrPayload(value: unknown, path: string): Uint8Array {
  const text = read.text(value, path).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new MessageBodyError(`${path}: not base64`);
  return fromBase64(text);
}
