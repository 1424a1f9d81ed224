/**
 * PKCS#10 certificate signing requests (RFC 2986) for FDO device keys: the CSR a device sends in
 * DI.AppStart's DeviceMfgInfo (FDO 1.1 §5.2.1; go-fdo `custom/di.go`, pri-fidoiot), and later the
 * fdo.csr ServiceInfo module.
 *
 * A CSR is accepted when it is one DER CertificationRequest with nothing after it, its key is one FDO
 * supports (EC P-256/P-384, RSA 2048/3072), that key is of the type the device claims (pkType), and
 * the request is signed by that key (proof of possession).
 */
import { verify } from 'node:crypto';
import { x509 } from './peculiar.js';
import { csrParts } from '../crypto/der.js';
import { publicKeyInfo, publicKeyObject, publicKeyOf, type KeyInfo } from '../crypto/keys.js';
import type { PrivateKeyDer, PublicKeyDer } from '../crypto/provider.js';
import { InvalidMessageError, MessageBodyError } from '../errors.js';
import { PkType, pkTypeName } from '../types/public-key.js';
import { bytesOf, keyPairOf, SIGNATURE_ALGORITHM_IDS, signingAlgorithmFor, webCrypto } from './webcrypto.js';

/** A distinguished name: RFC 4514 text (`CN=SN-1, O=Acme`) or attribute lists (`[{ CN: ['SN-1'] }]`). */
export type DistinguishedName = string | Array<Record<string, string[]>>;

export interface CreateCsrInput {
  privateKey: PrivateKeyDer;
  /** Derived from the private key when absent. */
  publicKey?: PublicKeyDer;
  subject: DistinguishedName;
}

/** Builds a DER PKCS#10 request for a key, signed with it (ES256/ES384, RS256/RS384 by key size). */
export async function createCsr(input: CreateCsrInput): Promise<Uint8Array> {
  const publicKey = input.publicKey ?? publicKeyOf(input.privateKey);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    {
      name: input.subject,
      keys: await keyPairOf(input.privateKey, publicKey),
      signingAlgorithm: signingAlgorithmFor(publicKeyInfo(publicKey)),
    },
    webCrypto,
  );
  return bytesOf(csr.rawData);
}

export interface VerifiedCsr {
  /** The requested subject key (SPKI). */
  publicKey: PublicKeyDer;
  info: KeyInfo;
  /** The requested subject, RFC 4514 text. */
  subject: string;
}

/** True when a key is of the pkType claimed for it (FDO 1.1 §3.3.4). */
export function keyMatchesPkType(type: PkType, info: KeyInfo): boolean {
  switch (type) {
    case PkType.SECP256R1:
      return info.kind === 'ec' && info.curve === 'P-256';
    case PkType.SECP384R1:
      return info.kind === 'ec' && info.curve === 'P-384';
    case PkType.RSA2048RESTR:
      return info.kind === 'rsa' && info.bits === 2048;
    default:
      return info.kind === 'rsa' && (info.bits === 2048 || info.bits === 3072);
  }
}

function describeKey(info: KeyInfo): string {
  return info.kind === 'ec' ? `EC ${info.curve}` : `RSA ${info.bits}`;
}

/** The length of the DER TLV at the start of `der` (X.690 §8.1), or -1 when its header is not DER. */
function derItemLength(der: Uint8Array): number {
  if (der.length < 2) return -1;
  const first = der[1]!;
  if (first < 0x80) return 2 + first;
  const count = first & 0x7f;
  if (count === 0 || count > 4 || der.length < 2 + count) return -1;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + der[2 + i]!;
  return 2 + count + length;
}

function parseCsr(der: Uint8Array): x509.Pkcs10CertificateRequest {
  const length = derItemLength(der);
  if (length > der.length || length < 0) throw new MessageBodyError('CSR: not a complete DER item');
  if (length < der.length) throw new MessageBodyError(`CSR: ${der.length - length} bytes after the request`);
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(der);
  } catch (err) {
    throw new MessageBodyError(`CSR: not a DER PKCS#10 certification request (${(err as Error).message})`, {
      cause: err,
    });
  }
  return csr;
}

/**
 * A CSR that verifies, checked from its DER outline with node:crypto (DI's hot path, issue 8: the
 * ASN.1 object model cost more than the signature check). Undefined for anything else — another
 * algorithm, another key type than claimed, a bad signature, bytes that do not parse — which
 * {@link verifyCsr} then checks the long way, so its refusals keep their codes and reasons.
 */
function verifiedByOutline(der: Uint8Array, claimedType?: PkType): VerifiedCsr | undefined {
  const parts = csrParts(der);
  if (parts === undefined) return undefined;
  const publicKey = { spki: parts.spki.slice() };
  let info: KeyInfo;
  try {
    info = publicKeyInfo(publicKey);
  } catch {
    return undefined;
  }
  if (claimedType !== undefined && !keyMatchesPkType(claimedType, info)) return undefined;
  const signing = signingAlgorithmFor(info);
  const algId = SIGNATURE_ALGORITHM_IDS[`${signing.name} ${signing.hash as string}`];
  if (algId === undefined || Buffer.compare(algId, parts.signatureAlgorithm) !== 0) return undefined;
  const hash = signing.hash === 'SHA-384' ? 'sha384' : 'sha256';
  if (!verify(hash, parts.info, publicKeyObject(publicKey), parts.signature)) return undefined;
  let subject: string | undefined;
  return {
    publicKey,
    info,
    // Parsed only when asked for (the fdo.csr module's subject callback may; DI never does).
    get subject() {
      return (subject ??= parseCsr(der).subject);
    },
  };
}

/**
 * Checks a CSR: well formed (else {@link MessageBodyError}, code 100), a supported key of the
 * `claimedType` when given and a valid self-signature (else {@link InvalidMessageError}, code 101).
 */
export async function verifyCsr(der: Uint8Array, claimedType?: PkType): Promise<VerifiedCsr> {
  if (derItemLength(der) === der.length) {
    const verified = verifiedByOutline(der, claimedType);
    if (verified !== undefined) return verified;
  }
  const csr = parseCsr(der);
  let publicKey: PublicKeyDer;
  try {
    // The library parses the key's algorithm parameters only now (a curve OID with a wrong tag throws).
    publicKey = { spki: bytesOf(csr.publicKey.rawData) };
  } catch (err) {
    throw new MessageBodyError(`CSR: the requested key does not parse (${(err as Error).message})`, { cause: err });
  }
  let info: KeyInfo;
  try {
    info = publicKeyInfo(publicKey);
  } catch (err) {
    throw new InvalidMessageError(`CSR: the requested key is not usable for FDO: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (claimedType !== undefined && !keyMatchesPkType(claimedType, info)) {
    throw new InvalidMessageError(
      `CSR: the requested key is ${describeKey(info)}, but the device claims pkType ${pkTypeName(claimedType)}`,
    );
  }
  let ok: boolean;
  try {
    ok = await csr.verify(webCrypto);
  } catch (err) {
    throw new InvalidMessageError(`CSR: the signature cannot be checked: ${(err as Error).message}`, { cause: err });
  }
  if (!ok) throw new InvalidMessageError('CSR: the signature does not verify with the requested key');
  return { publicKey, info, subject: csr.subject };
}
