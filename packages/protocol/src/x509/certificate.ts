/**
 * X.509 certificates (RFC 5280) for FDO's device certificate chain (OVDevCertChain, FDO 1.1 §3.4.2):
 * a self-signed CA, and end-entity (or intermediate) certificates issued by it.
 */
import { x509 } from './peculiar.js';
import { publicKeyInfo, publicKeyOf, publicKeyOfCertificate } from '../crypto/keys.js';
import type { PrivateKeyDer, PublicKeyDer } from '../crypto/provider.js';
import type { DistinguishedName } from './csr.js';
import { bytesOf, importPublicKey, importSigningKey, keyPairOf, signingAlgorithmFor, webCrypto } from './webcrypto.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Certificates start a little in the past so a device or verifier with a slow clock accepts them. */
const BACKDATE_MS = 5 * 60 * 1000;

/** The issuing side: its private key and its certificate (DER). */
export interface CertificateIssuer {
  privateKey: PrivateKeyDer;
  certificate: Uint8Array;
}

export interface IssueCertificateInput {
  issuer: CertificateIssuer;
  /** The subject's public key (SPKI), e.g. from a verified CSR. */
  publicKey: PublicKeyDer;
  subject: DistinguishedName;
  /** Validity from now (back-dated 5 minutes); default 10 years. */
  validityDays?: number;
  /** Issue a CA certificate (keyCertSign) rather than an end-entity one (digitalSignature). */
  ca?: boolean;
  /** Start of validity; default now minus 5 minutes. */
  notBefore?: Date;
  /** subjectAltName entries (a TLS server's host names and addresses). */
  altNames?: { dns?: readonly string[]; ip?: readonly string[] };
}

/** A positive 127-bit random serial number, as hex (RFC 5280 §4.1.2.2: unique, at most 20 octets). */
function randomSerial(): string {
  const bytes = webCrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return Buffer.from(bytes).toString('hex');
}

async function extensionsFor(
  publicKey: PublicKeyDer,
  ca: boolean,
  authorityKeyId: x509.Extension,
): Promise<x509.Extension[]> {
  const usage = ca
    ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature
    : x509.KeyUsageFlags.digitalSignature;
  return [
    new x509.BasicConstraintsExtension(ca, undefined, true),
    new x509.KeyUsagesExtension(usage, true),
    await x509.SubjectKeyIdentifierExtension.create(publicKey.spki, false, webCrypto),
    authorityKeyId,
  ];
}

interface IssuerInfo {
  name: x509.Name;
  publicKey: PublicKeyDer;
  authorityKeyId: x509.Extension;
}

// An issuer (a device CA) signs thousands of certificates: parse it and hash its key once.
const issuers = new Map<string, Promise<IssuerInfo>>();
const ISSUER_CACHE_SIZE = 16;

function issuerInfo(certificate: Uint8Array): Promise<IssuerInfo> {
  const id = Buffer.from(certificate).toString('base64');
  let hit = issuers.get(id);
  if (hit === undefined) {
    hit = (async () => {
      const publicKey = publicKeyOfCertificate(certificate);
      return {
        name: new x509.X509Certificate(certificate).subjectName,
        publicKey,
        authorityKeyId: await x509.AuthorityKeyIdentifierExtension.create(publicKey.spki, false, webCrypto),
      };
    })();
    hit.catch(() => issuers.delete(id));
    if (issuers.size >= ISSUER_CACHE_SIZE) issuers.delete(issuers.keys().next().value!);
    issuers.set(id, hit);
  }
  return hit;
}

function validity(input: { validityDays?: number; notBefore?: Date }): { notBefore: Date; notAfter: Date } {
  const notBefore = input.notBefore ?? new Date(Date.now() - BACKDATE_MS);
  return { notBefore, notAfter: new Date(notBefore.getTime() + (input.validityDays ?? 3650) * DAY_MS) };
}

/** Issues a certificate for `publicKey`, signed by the issuer's key (ES256/ES384, RS256/RS384 by issuer key size). */
export async function issueCertificate(input: IssueCertificateInput): Promise<Uint8Array> {
  const issuer = await issuerInfo(input.issuer.certificate);
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject: input.subject,
      issuer: issuer.name,
      ...validity(input),
      publicKey: await importPublicKey(input.publicKey),
      signingKey: await importSigningKey(input.issuer.privateKey),
      signingAlgorithm: signingAlgorithmFor(publicKeyInfo(issuer.publicKey)),
      extensions: [
        ...(await extensionsFor(input.publicKey, input.ca === true, issuer.authorityKeyId)),
        ...(input.altNames === undefined
          ? []
          : [
              new x509.SubjectAlternativeNameExtension([
                ...(input.altNames.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
                ...(input.altNames.ip ?? []).map((value) => ({ type: 'ip' as const, value })),
              ]),
            ]),
      ],
    },
    webCrypto,
  );
  return bytesOf(cert.rawData);
}

export interface SelfSignedInput {
  privateKey: PrivateKeyDer;
  subject: DistinguishedName;
  /** Default 20 years. */
  validityDays?: number;
  notBefore?: Date;
}

/** A self-signed CA certificate (basicConstraints cA, keyCertSign) for a key pair. */
export async function createSelfSignedCa(input: SelfSignedInput): Promise<Uint8Array> {
  const publicKey = publicKeyOf(input.privateKey);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerial(),
      name: input.subject,
      ...validity({ validityDays: input.validityDays ?? 7300, notBefore: input.notBefore }),
      keys: await keyPairOf(input.privateKey, publicKey),
      signingAlgorithm: signingAlgorithmFor(publicKeyInfo(publicKey)),
      extensions: await extensionsFor(
        publicKey,
        true,
        await x509.AuthorityKeyIdentifierExtension.create(publicKey.spki, false, webCrypto),
      ),
    },
    webCrypto,
  );
  return bytesOf(cert.rawData);
}

/** What a person or a test wants to know about a certificate. */
export interface CertificateSummary {
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  publicKey: PublicKeyDer;
  ca: boolean;
}

export function describeCertificate(der: Uint8Array): CertificateSummary {
  const cert = new x509.X509Certificate(der);
  const constraints = cert.getExtension(x509.BasicConstraintsExtension);
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    serialNumber: cert.serialNumber,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    publicKey: { spki: bytesOf(cert.publicKey.rawData) },
    ca: constraints?.ca === true,
  };
}
