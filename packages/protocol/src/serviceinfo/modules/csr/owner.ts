/**
 * fdo.csr, owner side (fdo-sim fsim-repository/fdo.csr.md): answers the device's requests from an
 * issuing CA the owner holds. Supported: cacerts (281 certs-only CMS, 287 one certificate),
 * simpleenroll and simplereenroll (PKCS#10 checked: well formed, signed by its key, a key type
 * the owner accepts). Not supported, answered with error 3: serverkeygen (the private key must be
 * made on the device) and csrattrs.
 *
 * ```
 * start ─▶ (device: active, cacerts-req, simpleenroll-req) ─▶ cacerts-res, simpleenroll-res ─▶ done
 * ```
 * The module is done once it has answered an enrollment, or after a round in which the device
 * asked nothing. The owner names the subject (default `CN=<device GUID>`); the CSR's subject is
 * not copied.
 */
import * as read from '../../../cbor/read.js';
import { publicKeyInfo, type KeyInfo, type KeyKind } from '../../../crypto/keys.js';
import { FdoError } from '../../../errors.js';
import { describeCertificate, issueCertificate, type CertificateIssuer } from '../../../x509/certificate.js';
import { verifyCsr, type DistinguishedName, type VerifiedCsr } from '../../../x509/csr.js';
import { certificatesToPkcs7 } from '../../../x509/pkcs7.js';
import type { DeviceFacts, OwnerServiceInfoModule } from '../../module.js';
import { Csr, CsrError, CsrFormat, decodeCsrPayload, encodeCsrPayload, type CsrErrorCode } from './messages.js';

export type EnrollKind = 'enroll' | 'reenroll';

export interface CsrOwnerOptions {
  /** The issuing CA: its key and certificate. */
  issuer: CertificateIssuer;
  /** Sent in cacerts-res, issuing CA first; default the issuer's certificate alone. */
  caCertificates?: readonly Uint8Array[];
  /** The subject of issued certificates; default `CN=<GUID>`. */
  subject?(device: DeviceFacts, csr: VerifiedCsr): DistinguishedName | Promise<DistinguishedName>;
  /** Certificate lifetime; default 365 days. */
  validityDays?: number;
  /** Device key types accepted; default EC P-256 and P-384. */
  keyTypes?: readonly KeyKind[];
  /** Refuse (error 2, unauthorized) a device's request by returning false. */
  authorize?(device: DeviceFacts, kind: EnrollKind, csr: VerifiedCsr): boolean | Promise<boolean>;
  /** Told of each certificate issued (to record it, or revoke the previous one). */
  onIssued?(device: DeviceFacts, certificate: Uint8Array, kind: EnrollKind): void | Promise<void>;
}

export type CsrIssued = { kind: EnrollKind; serialNumber: string; subject: string; notAfter: string };
export type CsrRefused = { request: string; error: CsrErrorCode; reason: string };

export type CsrOwnerState = {
  /** Answers not yet sent: [message, value]. */
  outbox: [string, string | number][];
  asked: boolean;
  enrolled: boolean;
  issued: CsrIssued[];
  refused: CsrRefused[];
};

const kindOf = (info: KeyInfo): KeyKind | null =>
  info.kind === 'ec'
    ? info.curve === 'P-256'
      ? 'ec256'
      : info.curve === 'P-384'
        ? 'ec384'
        : null
    : info.bits === 2048 || info.bits === 3072
      ? (`rsa${info.bits}` as KeyKind)
      : null;

class Refusal extends Error {
  constructor(
    readonly error: CsrErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function csrOwner(options: CsrOwnerOptions): OwnerServiceInfoModule<CsrOwnerState> {
  const caCertificates = options.caCertificates ?? [options.issuer.certificate];
  const keyTypes = options.keyTypes ?? ['ec256', 'ec384'];

  async function cacerts(value: unknown): Promise<string> {
    const format = read.uint(value, 'fdo.csr:cacerts-req');
    if (format === CsrFormat.pkcs7CertsOnly) return encodeCsrPayload(certificatesToPkcs7(caCertificates));
    if (format === CsrFormat.pkixCert) return encodeCsrPayload(caCertificates[0]!);
    throw new Refusal(CsrError.unsupportedFormat, `cacerts format ${format} is not supported (281, 287)`);
  }

  async function enroll(device: DeviceFacts, kind: EnrollKind, value: unknown): Promise<string> {
    let csr: VerifiedCsr;
    try {
      csr = await verifyCsr(decodeCsrPayload(value, `fdo.csr:${kind}`));
    } catch (err) {
      if (!(err instanceof FdoError)) throw err;
      throw new Refusal(CsrError.badRequest, err.message);
    }
    const keyKind = kindOf(publicKeyInfo(csr.publicKey));
    if (keyKind === null || !keyTypes.includes(keyKind)) {
      throw new Refusal(CsrError.badRequest, `key type ${keyKind ?? 'unknown'} not accepted (${keyTypes.join(', ')})`);
    }
    if (options.authorize !== undefined && !(await options.authorize(device, kind, csr))) {
      throw new Refusal(CsrError.unauthorized, 'not authorized by the owner');
    }
    const certificate = await issueCertificate({
      issuer: options.issuer,
      publicKey: csr.publicKey,
      subject: (await options.subject?.(device, csr)) ?? `CN=${device.guid}`,
      validityDays: options.validityDays ?? 365,
    });
    await options.onIssued?.(device, certificate, kind);
    return encodeCsrPayload(certificate);
  }

  return {
    name: Csr.module,
    start: () => ({ outbox: [], asked: false, enrolled: false, issued: [], refused: [] }),
    produce(state) {
      const messages = state.outbox.map(([message, value]) => ({ message, value }));
      // Done after an enrollment was answered, or a round in which the device asked nothing.
      const done = state.enrolled || !state.asked;
      return { state: { ...state, outbox: [], asked: false }, messages, done };
    },
    async receive(state, { message, value }, { device }) {
      const next: CsrOwnerState = { ...state, outbox: [...state.outbox], asked: true };
      const request = message.endsWith('-req') ? message.slice(0, -4) : null;
      if (request === null) return state;
      try {
        switch (message) {
          case Csr.cacertsReq:
            next.outbox.push([Csr.cacertsRes, await cacerts(value)]);
            break;
          case Csr.simpleenrollReq:
          case Csr.simplereenrollReq: {
            const kind: EnrollKind = message === Csr.simpleenrollReq ? 'enroll' : 'reenroll';
            next.enrolled = true;
            const payload = await enroll(device, kind, value);
            const cert = describeCertificate(decodeCsrPayload(payload, 'certificate'));
            next.issued = [
              ...state.issued,
              { kind, serialNumber: cert.serialNumber, subject: cert.subject, notAfter: cert.notAfter.toISOString() },
            ];
            next.outbox.push([`${request}-res`, payload]);
            break;
          }
          case Csr.serverkeygenReq:
            next.enrolled = true;
            throw new Refusal(CsrError.featureNotSupported, 'server-side key generation: keys are made on the device');
          default:
            throw new Refusal(CsrError.featureNotSupported, `${message} is not supported`);
        }
      } catch (err) {
        if (!(err instanceof Refusal)) throw err;
        next.outbox.push([Csr.error, err.error]);
        next.refused = [...state.refused, { request: message, error: err.error, reason: err.message }];
      }
      return next;
    },
    result: ({ issued, refused }) => ({ issued, refused }),
  };
}
