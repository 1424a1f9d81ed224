/**
 * A tiny DER reader (ITU-T X.690) for exactly what the noble provider needs: the raw point of an
 * EC SubjectPublicKeyInfo (RFC 5480 §2) and the raw scalar of an EC PKCS#8 key (RFC 5208, RFC 5915);
 * and for TO2, the SubjectPublicKeyInfo of a certificate without a full X.509 parse (RFC 5280 §4.1).
 * Anything else (RSA, other curves, malformed DER) reads as `undefined`, never as an exception.
 */
import type { Curve } from './provider.js';

interface Tlv {
  readonly tag: number;
  /** Offset of the tag in the buffer it was read from. */
  readonly start: number;
  /** The contents octets. */
  readonly value: Uint8Array;
  /** Offset just past this element in the buffer it was read from. */
  readonly end: number;
}

/** Reads one definite-length TLV at `offset`, or undefined when the bytes are not DER. */
function readTlv(buf: Uint8Array, offset: number): Tlv | undefined {
  if (offset + 2 > buf.length) return undefined;
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) return undefined; // multi-byte tags never occur in these structures
  let length = buf[offset + 1]!;
  let pos = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 3 || pos + count > buf.length) return undefined;
    length = 0;
    for (let i = 0; i < count; i++) length = (length << 8) | buf[pos + i]!;
    pos += count;
  }
  if (pos + length > buf.length) return undefined;
  return { tag, start: offset, value: buf.subarray(pos, pos + length), end: pos + length };
}

/** The elements of a constructed value, or undefined if its contents do not parse exactly. */
function children(value: Uint8Array): Tlv[] | undefined {
  const out: Tlv[] = [];
  let offset = 0;
  while (offset < value.length) {
    const tlv = readTlv(value, offset);
    if (tlv === undefined) return undefined;
    out.push(tlv);
    offset = tlv.end;
  }
  return out;
}

/** Reads a whole buffer as one SEQUENCE and returns its elements. */
function sequence(buf: Uint8Array): Tlv[] | undefined {
  const top = readTlv(buf, 0);
  if (top === undefined || top.tag !== 0x30 || top.end !== buf.length) return undefined;
  return children(top.value);
}

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const BIT_STRING = 0x03;
const OCTET_STRING = 0x04;
const OID = 0x06;

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

// OIDs as DER contents: id-ecPublicKey 1.2.840.10045.2.1, prime256v1 1.2.840.10045.3.1.7, secp384r1 1.3.132.0.34.
const ID_EC_PUBLIC_KEY = '2a8648ce3d0201';
const CURVE_OIDS: Record<string, Curve> = { '2a8648ce3d030107': 'P-256', '2b81040022': 'P-384' };

/** The curve named by an AlgorithmIdentifier { id-ecPublicKey, namedCurve }, if it is one we support. */
function ecCurveOf(algId: Tlv): Curve | undefined {
  if (algId.tag !== SEQUENCE) return undefined;
  const parts = children(algId.value);
  if (parts === undefined || parts.length !== 2) return undefined;
  const [alg, params] = parts as [Tlv, Tlv];
  if (alg.tag !== OID || hex(alg.value) !== ID_EC_PUBLIC_KEY || params.tag !== OID) return undefined;
  return CURVE_OIDS[hex(params.value)];
}

/**
 * The curve and SEC1 point (RFC 5480 §2.2, usually 04‖X‖Y) of an EC SPKI; undefined for any other key.
 * The point is not validated here: the curve library does that.
 */
export function ecPublicKeyFromSpki(spki: Uint8Array): { curve: Curve; point: Uint8Array } | undefined {
  const parts = sequence(spki);
  if (parts === undefined || parts.length !== 2) return undefined;
  const [algId, key] = parts as [Tlv, Tlv];
  const curve = ecCurveOf(algId);
  if (curve === undefined || key.tag !== BIT_STRING || key.value.length < 2 || key.value[0] !== 0) return undefined;
  return { curve, point: key.value.subarray(1) };
}

/**
 * The curve and private scalar of an EC PKCS#8 PrivateKeyInfo wrapping an RFC 5915 ECPrivateKey;
 * undefined for any other key.
 */
export function ecPrivateKeyFromPkcs8(pkcs8: Uint8Array): { curve: Curve; scalar: Uint8Array } | undefined {
  const parts = sequence(pkcs8);
  if (parts === undefined || parts.length < 3) return undefined;
  const [version, algId, keyOctets] = parts as [Tlv, Tlv, Tlv];
  if (version.tag !== INTEGER || keyOctets.tag !== OCTET_STRING) return undefined;
  const curve = ecCurveOf(algId);
  if (curve === undefined) return undefined;
  // ECPrivateKey ::= SEQUENCE { version INTEGER (1), privateKey OCTET STRING, [0] params, [1] publicKey }
  const inner = sequence(keyOctets.value);
  if (inner === undefined || inner.length < 2) return undefined;
  const [innerVersion, scalar] = inner as [Tlv, Tlv];
  if (innerVersion.tag !== INTEGER || scalar.tag !== OCTET_STRING) return undefined;
  return { curve, scalar: scalar.value };
}

/** The parts of an X.509 certificate (RFC 5280 §4.1) that are read without a full parse. */
export interface CertificateParts {
  /** The subject Name, as a whole DER element. */
  readonly subject: Uint8Array;
  /** The SubjectPublicKeyInfo, as a whole DER element. */
  readonly spki: Uint8Array;
}

/**
 * The subject and SubjectPublicKeyInfo of an X.509 certificate: the sixth and seventh elements of
 * tbsCertificate, or the fifth and sixth without the optional [0] version (RFC 5280 §4.1). Only the
 * structure up to them is read; undefined when it does not parse.
 */
export function certificateParts(cert: Uint8Array): CertificateParts | undefined {
  const top = sequence(cert);
  const tbs = top?.[0];
  if (tbs === undefined || tbs.tag !== SEQUENCE) return undefined;
  const fields = children(tbs.value);
  if (fields === undefined) return undefined;
  const first = fields[0]?.tag === 0xa0 ? 1 : 0;
  const subject = fields[first + 4];
  const spki = fields[first + 5];
  if (subject?.tag !== SEQUENCE || spki?.tag !== SEQUENCE) return undefined;
  return {
    subject: tbs.value.subarray(subject.start, subject.end),
    spki: tbs.value.subarray(spki.start, spki.end),
  };
}

/** The parts of a PKCS#10 CertificationRequest (RFC 2986 §4) a signature check needs. */
export interface CsrParts {
  /** certificationRequestInfo, the signed bytes (whole DER element). */
  readonly info: Uint8Array;
  /** The requested SubjectPublicKeyInfo (whole DER element). */
  readonly spki: Uint8Array;
  /** signatureAlgorithm (whole DER element). */
  readonly signatureAlgorithm: Uint8Array;
  /** The signature BIT STRING's bits. */
  readonly signature: Uint8Array;
}

/**
 * The parts of a DER CertificationRequest: SEQUENCE { SEQUENCE { version, subject, subjectPKInfo,
 * [0] attributes }, AlgorithmIdentifier, BIT STRING }. Only the outline is read; undefined when it
 * does not parse.
 */
export function csrParts(csr: Uint8Array): CsrParts | undefined {
  const top = readTlv(csr, 0);
  if (top === undefined || top.tag !== SEQUENCE || top.end !== csr.length) return undefined;
  const parts = children(top.value);
  if (parts?.length !== 3) return undefined;
  const [info, alg, signature] = parts as [Tlv, Tlv, Tlv];
  if (info.tag !== SEQUENCE || alg.tag !== SEQUENCE || signature.tag !== BIT_STRING) return undefined;
  if (signature.value.length < 2 || signature.value[0] !== 0) return undefined;
  const fields = children(info.value);
  if (fields?.length !== 4) return undefined;
  const [version, subject, spki, attributes] = fields as [Tlv, Tlv, Tlv, Tlv];
  if (version.tag !== INTEGER || subject.tag !== SEQUENCE || spki.tag !== SEQUENCE || attributes.tag !== 0xa0) {
    return undefined;
  }
  return {
    info: top.value.subarray(info.start, info.end),
    spki: info.value.subarray(spki.start, spki.end),
    signatureAlgorithm: top.value.subarray(alg.start, alg.end),
    signature: signature.value.subarray(1),
  };
}

/** The subjectPublicKey BIT STRING's bits (without the unused-bits octet) of an SPKI, or undefined. */
export function spkiKeyBits(spki: Uint8Array): Uint8Array | undefined {
  const parts = sequence(spki);
  const key = parts?.[1];
  if (parts?.length !== 2 || key?.tag !== BIT_STRING || key.value.length < 1) return undefined;
  return key.value.subarray(1);
}

/** One DER element (X.690 §8.1, definite length) with the given tag around `contents`. */
export function derElement(tag: number, ...contents: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const c of contents) length += c.length;
  const header =
    length < 0x80
      ? [tag, length]
      : length < 0x100
        ? [tag, 0x81, length]
        : length < 0x10000
          ? [tag, 0x82, length >> 8, length & 0xff]
          : [tag, 0x83, length >> 16, (length >> 8) & 0xff, length & 0xff];
  const out = new Uint8Array(header.length + length);
  out.set(header);
  let at = header.length;
  for (const c of contents) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
