/**
 * X.509 certificates (RFC 5280) for FDO's device certificate chain (OVDevCertChain, FDO 1.1 §3.4.2):
 * a self-signed CA, and end-entity (or intermediate) certificates issued by it.
 */
import { createHash, sign } from 'node:crypto';
import { x509 } from './peculiar.js';
import { certificateParts, derElement, spkiKeyBits } from '../crypto/der.js';
import { privateKeyObject, publicKeyInfo, publicKeyOf, publicKeyOfCertificate } from '../crypto/keys.js';
import { nodeCrypto } from '../crypto/node.js';
import type { PrivateKeyDer, PublicKeyDer } from '../crypto/provider.js';
import type { DistinguishedName } from './csr.js';
import {
  bytesOf,
  importPublicKey,
  importSigningKey,
  keyPairOf,
  SIGNATURE_ALGORITHM_IDS,
  signingAlgorithmFor,
  webCrypto,
} from './webcrypto.js';

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
  const bytes = nodeCrypto.randomBytes(16); // pooled: one per device certificate at DI
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
  /** The issuer's subject Name as DER, for the template path; undefined when it cannot be read. */
  subjectDer: Uint8Array | undefined;
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
        subjectDer: certificateParts(certificate)?.subject.slice(),
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
  const serial = randomSerial();
  return templateCertificate(input, issuer, serial) ?? libraryCertificate(input, issuer, serial);
}

/**
 * Both ways of issuing one certificate, for the test that holds them to the same to-be-signed bytes;
 * `template` is undefined where the template does not apply. `input.notBefore` should be set.
 */
export async function issueCertificateBothWays(
  input: IssueCertificateInput,
): Promise<{ template: Uint8Array | undefined; library: Uint8Array }> {
  const issuer = await issuerInfo(input.issuer.certificate);
  const serial = randomSerial();
  return {
    template: templateCertificate(input, issuer, serial),
    library: await libraryCertificate(input, issuer, serial),
  };
}

/** Any certificate, through @peculiar/x509. */
async function libraryCertificate(
  input: IssueCertificateInput,
  issuer: IssuerInfo,
  serial: string,
): Promise<Uint8Array> {
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serial,
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

// DER pieces of the template path (RFC 5280 §4.1).
const hex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const VERSION_3 = hex('a003020102');
const CN_OID = hex('0603550403');
// basicConstraints (critical, cA false) and keyUsage (critical, digitalSignature), as @peculiar/x509 writes them.
const END_ENTITY_EXTENSIONS = hex('300c0603551d130101ff04023000' + '300e0603551d0f0101ff040403020780');
const SKI_OID = hex('0603551d0e');
const AKI_OID = hex('0603551d23');
// The characters of a PrintableString (X.680 §41.4); other names are UTF8String, as in @peculiar/x509.
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

const der = derElement;
const sha1 = (data: Uint8Array) => new Uint8Array(createHash('sha1').update(data).digest());

/** UTCTime through 2049, GeneralizedTime after (RFC 5280 §4.1.2.5), to the second. */
function derTime(date: Date): Uint8Array {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '') + 'Z';
  const year = date.getUTCFullYear();
  return year >= 1950 && year < 2050
    ? der(0x17, new TextEncoder().encode(digits.slice(2)))
    : der(0x18, new TextEncoder().encode(digits));
}

/**
 * An end-entity certificate with a one-CN subject (every device certificate DI issues), assembled in
 * DER and signed with node:crypto: the same structure and encoding @peculiar/x509 produces, without
 * its ASN.1 object model, which cost most of the manufacturer's CPU per DI (issue 8). Undefined for
 * anything else (CA certificates, other subjects, unreadable issuers): those take the general path.
 */
function templateCertificate(
  input: IssueCertificateInput,
  issuer: IssuerInfo,
  serialHex: string,
): Uint8Array | undefined {
  const subject = input.subject;
  if (input.ca === true || issuer.subjectDer === undefined || typeof subject === 'string' || subject.length !== 1) {
    return undefined;
  }
  const rdn = subject[0]!;
  const names = Object.keys(rdn);
  const cn = rdn.CN;
  if (names.length !== 1 || cn?.length !== 1) return undefined;
  const value = cn[0]!;
  // '#' (hex) and '\' (escapes) mean something to @peculiar/x509's name parser: leave those to it.
  if (value.startsWith('#') || value.includes('\\')) return undefined;
  const subjectKeyBits = spkiKeyBits(input.publicKey.spki);
  const issuerKeyBits = spkiKeyBits(issuer.publicKey.spki);
  if (subjectKeyBits === undefined || issuerKeyBits === undefined) return undefined;
  const signing = signingAlgorithmFor(publicKeyInfo(issuer.publicKey));
  const algId = SIGNATURE_ALGORITHM_IDS[`${signing.name} ${signing.hash as string}`];
  if (algId === undefined) return undefined;
  const text = new TextEncoder().encode(value);
  const name = der(0x30, der(0x31, der(0x30, CN_OID, der(PRINTABLE.test(value) ? 0x13 : 0x0c, text))));
  const { notBefore, notAfter } = validity(input);
  const extensions = der(
    0xa3,
    der(
      0x30,
      END_ENTITY_EXTENSIONS,
      der(0x30, SKI_OID, der(0x04, der(0x04, sha1(subjectKeyBits)))),
      der(0x30, AKI_OID, der(0x04, der(0x30, der(0x80, sha1(issuerKeyBits))))),
    ),
  );
  const tbs = der(
    0x30,
    VERSION_3,
    der(0x02, hex(serialHex)),
    algId,
    issuer.subjectDer,
    der(0x30, derTime(notBefore), derTime(notAfter)),
    name,
    input.publicKey.spki,
    extensions,
  );
  const signature = sign(
    signing.hash === 'SHA-384' ? 'sha384' : 'sha256',
    tbs,
    privateKeyObject(input.issuer.privateKey),
  );
  return der(0x30, tbs, algId, der(0x03, Uint8Array.of(0), signature));
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
