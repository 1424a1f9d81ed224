/**
 * Key management on node:crypto: generation, PEM and DER forms, and the facts FDO needs about a
 * key (kind, curve, modulus size). Keys are passed around as DER ({@link PublicKeyDer}, {@link PrivateKeyDer}).
 */
import { X509Certificate, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { certificateParts } from './der.js';
import { KeyCache } from './key-cache.js';
import type { Curve, PrivateKeyDer, PublicKeyDer } from './provider.js';

export type KeyInfo = { kind: 'ec'; curve: Curve } | { kind: 'rsa'; bits: number };
/** The device and owner key types FDO 1.1 supports (§3.3.4 pkType). */
export type KeyKind = 'ec256' | 'ec384' | 'rsa2048' | 'rsa3072';

export interface KeyPair {
  readonly privateKey: PrivateKeyDer;
  readonly publicKey: PublicKeyDer;
}

function u8(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Generates a signing key pair of the given kind. */
export function generateKeyPair(kind: KeyKind): KeyPair {
  const pair =
    kind === 'ec256' || kind === 'ec384'
      ? generateKeyPairSync('ec', { namedCurve: kind === 'ec256' ? 'prime256v1' : 'secp384r1' })
      : generateKeyPairSync('rsa', { modulusLength: kind === 'rsa2048' ? 2048 : 3072, publicExponent: 0x10001 });
  return {
    privateKey: { pkcs8: u8(pair.privateKey.export({ format: 'der', type: 'pkcs8' })) },
    publicKey: { spki: u8(pair.publicKey.export({ format: 'der', type: 'spki' })) },
  };
}

// SPKI prefixes for uncompressed EC points (RFC 5480): SEQUENCE { AlgorithmIdentifier, BIT STRING 04‖X‖Y }.
const EC_SPKI_PREFIX: Record<Curve, Uint8Array> = {
  'P-256': Uint8Array.from(Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex')),
  'P-384': Uint8Array.from(Buffer.from('3076301006072a8648ce3d020106052b81040022036200', 'hex')),
};
const FIELD: Record<Curve, number> = { 'P-256': 32, 'P-384': 48 };
const CURVES: readonly Curve[] = ['P-256', 'P-384'];

const infoCache = new KeyCache<KeyInfo>();
const publicKeyObjects = new KeyCache<KeyObject>();

/**
 * The curve of an EC key whose SPKI is the plain RFC 5480 form (named curve, uncompressed point), read
 * from its bytes: the prefix, then 0x04 and the two coordinates. Undefined for any other SPKI. Says
 * nothing of whether the point is on the curve.
 */
function plainEcCurve(spki: Uint8Array): Curve | undefined {
  for (const curve of CURVES) {
    const prefix = EC_SPKI_PREFIX[curve];
    if (spki.length !== prefix.length + 1 + 2 * FIELD[curve] || spki[prefix.length] !== 4) continue;
    let i = 0;
    while (i < prefix.length && spki[i] === prefix[i]) i++;
    if (i === prefix.length) return curve;
  }
  return undefined;
}

const base64url = (b: Uint8Array, from: number, to: number) =>
  Buffer.from(b.buffer, b.byteOffset + from, to - from).toString('base64url');

/**
 * Parses a public key. A plain P-256 key is built from its coordinates (JWK, RFC 7518 §6.2.1), which
 * node:crypto does in half the time of a DER parse, checking the point as strictly; and its key object
 * answers `asymmetricKeyDetails` at once where a DER-parsed one takes as long again. Keys are parsed
 * once per key but a device key arrives once per protocol run (CSR at DI, TO1.ProveToRV, TO2), so this
 * is on the hot paths (issue 8). P-384 keys and everything else, or a point that fails, go through DER,
 * whose error says what is wrong. (A P-384 key from JWK costs several times a DER parse.)
 */
function parsePublicKey(der: Uint8Array): KeyObject {
  if (plainEcCurve(der) === 'P-256') {
    const at = der.length - 64;
    try {
      return createPublicKey({
        key: { kty: 'EC', crv: 'P-256', x: base64url(der, at, at + 32), y: base64url(der, at + 32, at + 64) },
        format: 'jwk',
      });
    } catch {
      // Not a point of the curve: DER parsing says so in its own words below.
    }
  }
  return createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
}

/**
 * The node:crypto key object of a public key: parsed once per key (parsing costs more than a P-256
 * verification), shared by {@link publicKeyInfo} and the node:crypto provider.
 */
export function publicKeyObject(key: PublicKeyDer): KeyObject {
  return publicKeyObjects.get(key.spki, parsePublicKey);
}

function infoOf(key: KeyObject): KeyInfo {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'ec') {
    if (details?.namedCurve === 'prime256v1') return { kind: 'ec', curve: 'P-256' };
    if (details?.namedCurve === 'secp384r1') return { kind: 'ec', curve: 'P-384' };
    throw new TypeError(`unsupported EC curve ${details?.namedCurve ?? '?'} (FDO uses P-256 and P-384)`);
  }
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') {
    return { kind: 'rsa', bits: details?.modulusLength ?? 0 };
  }
  throw new TypeError(`unsupported key type ${key.asymmetricKeyType ?? '?'}`);
}

/** Kind, curve or modulus size of a public key. Throws TypeError for DER that is not a supported key. */
export function publicKeyInfo(key: PublicKeyDer): KeyInfo {
  return infoCache.get(key.spki, (der) => {
    const object = publicKeyObject(key); // parses, so validates, the key
    const curve = plainEcCurve(der);
    return curve === undefined ? infoOf(object) : { kind: 'ec', curve };
  });
}

/**
 * Kind and curve of a key known to be valid (e.g. stored after {@link publicKeyInfo} accepted it), read
 * from its bytes for the plain EC forms without parsing it; other keys as {@link publicKeyInfo}.
 * Whatever uses the key later (a signature check) still parses it.
 */
export function storedKeyInfo(key: PublicKeyDer): KeyInfo {
  const curve = plainEcCurve(key.spki);
  return curve === undefined ? publicKeyInfo(key) : { kind: 'ec', curve };
}

const privateKeyObjects = new KeyCache<KeyObject>(1024);

/** The node:crypto key object of a private key, parsed once per key. */
export function privateKeyObject(key: PrivateKeyDer): KeyObject {
  return privateKeyObjects.get(key.pkcs8, (der) =>
    createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' }),
  );
}

export function privateKeyInfo(key: PrivateKeyDer): KeyInfo {
  return infoOf(privateKeyObject(key));
}

const publicOfPrivate = new KeyCache<PublicKeyDer>(1024);

/** The public half of a private key; cached, since signers (voucher extension in bulk) ask per call. */
export function publicKeyOf(key: PrivateKeyDer): PublicKeyDer {
  return publicOfPrivate.get(key.pkcs8, () => ({
    spki: u8(createPublicKey(privateKeyObject(key)).export({ format: 'der', type: 'spki' })),
  }));
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** Splits PEM text into its blocks (label and DER). */
export function pemBlocks(text: string): { label: string; der: Uint8Array }[] {
  const blocks: { label: string; der: Uint8Array }[] = [];
  for (const m of text.matchAll(PEM_BLOCK)) {
    blocks.push({ label: m[1]!, der: new Uint8Array(Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64')) });
  }
  return blocks;
}

export function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Labels accepted for a private key: PKCS#8, SEC1 and PKCS#1 (FDO interop appends any of them to a voucher). */
export const PRIVATE_KEY_LABELS = ['PRIVATE KEY', 'EC PRIVATE KEY', 'RSA PRIVATE KEY'] as const;

/** Reads a private key from one PEM block (PKCS#8, SEC1 or PKCS#1) or DER, normalised to PKCS#8. */
export function privateKeyFromPem(pem: string): PrivateKeyDer {
  const key = createPrivateKey({ key: pem, format: 'pem' });
  return { pkcs8: u8(key.export({ format: 'der', type: 'pkcs8' })) };
}

/** Reads a private key from DER in PKCS#8, SEC1 (`EC PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE KEY`) form. */
export function privateKeyFromDer(
  der: Uint8Array,
  label: (typeof PRIVATE_KEY_LABELS)[number] = 'PRIVATE KEY',
): PrivateKeyDer {
  const type = label === 'EC PRIVATE KEY' ? 'sec1' : label === 'RSA PRIVATE KEY' ? 'pkcs1' : 'pkcs8';
  try {
    const key = createPrivateKey({ key: Buffer.from(der), format: 'der', type });
    return { pkcs8: u8(key.export({ format: 'der', type: 'pkcs8' })) };
  } catch (err) {
    // Some tools write PKCS#8 under the SEC1/PKCS#1 labels (PRI's interop endpoint expects that).
    if (type === 'pkcs8') throw err;
    return privateKeyFromDer(der, 'PRIVATE KEY');
  }
}

/** Reads a public key from PEM (`PUBLIC KEY`, or a `CERTIFICATE` whose key is taken). */
export function publicKeyFromPem(pem: string): PublicKeyDer {
  const key = createPublicKey({ key: pem, format: 'pem' });
  return { spki: u8(key.export({ format: 'der', type: 'spki' })) };
}

export const publicKeyToPem = (key: PublicKeyDer): string => toPem('PUBLIC KEY', key.spki);
export const privateKeyToPem = (key: PrivateKeyDer): string => toPem('PRIVATE KEY', key.pkcs8);

/** SPKI for an EC public point given as affine coordinates (COSE_Key EC2, RFC 8152 §13.1.1). */
export function ecPublicKeyFromPoint(curve: Curve, x: Uint8Array, y: Uint8Array): PublicKeyDer {
  const n = FIELD[curve];
  if (x.length !== n || y.length !== n) throw new RangeError(`${curve} coordinates must be ${n} bytes`);
  const prefix = EC_SPKI_PREFIX[curve];
  const spki = new Uint8Array(prefix.length + 1 + 2 * n);
  spki.set(prefix);
  spki[prefix.length] = 4;
  spki.set(x, prefix.length + 1);
  spki.set(y, prefix.length + 1 + n);
  // Validate that the point is on the curve.
  publicKeyInfo({ spki });
  return { spki };
}

/** The affine coordinates of an EC public key. */
export function ecPointOf(key: PublicKeyDer): { curve: Curve; x: Uint8Array; y: Uint8Array } {
  const info = publicKeyInfo(key);
  if (info.kind !== 'ec') throw new TypeError('not an EC key');
  const n = FIELD[info.curve];
  const point = key.spki.subarray(key.spki.length - 2 * n - 1);
  if (point[0] !== 4) throw new TypeError('EC key is not in uncompressed form');
  return { curve: info.curve, x: point.slice(1, 1 + n), y: point.slice(1 + n) };
}

/** SPKI for an RSA public key from its modulus and exponent (COSE_Key RSA, RFC 8230 §4). */
export function rsaPublicKeyFromComponents(n: Uint8Array, e: Uint8Array): PublicKeyDer {
  const key = createPublicKey({
    key: { kty: 'RSA', n: Buffer.from(n).toString('base64url'), e: Buffer.from(e).toString('base64url') },
    format: 'jwk',
  });
  return { spki: u8(key.export({ format: 'der', type: 'spki' })) };
}

/** Modulus and public exponent of an RSA key, big-endian without leading zeros. */
export function rsaComponentsOf(key: PublicKeyDer): { n: Uint8Array; e: Uint8Array } {
  const jwk = createPublicKey({ key: Buffer.from(key.spki), format: 'der', type: 'spki' }).export({ format: 'jwk' });
  if (jwk.kty !== 'RSA' || jwk.n === undefined || jwk.e === undefined) throw new TypeError('not an RSA key');
  return { n: new Uint8Array(Buffer.from(jwk.n, 'base64url')), e: new Uint8Array(Buffer.from(jwk.e, 'base64url')) };
}

const certificateKeys = new KeyCache<PublicKeyDer>();

/**
 * The SPKI of a certificate (DER), e.g. the device certificate TO2 checks ProveDevice with. Cached by
 * the certificate's bytes, and read from the DER structure: a full X.509 parse costs more than the
 * signature check it serves. The key itself is parsed (and so validated) here.
 */
export function publicKeyOfCertificate(certDer: Uint8Array): PublicKeyDer {
  return certificateKeys.get(certDer, (der) => {
    const spki = certificateParts(der)?.spki;
    if (spki === undefined) {
      // Not the structure expected: node:crypto says what is wrong with it.
      const cert = new X509Certificate(Buffer.from(der));
      return { spki: u8(cert.publicKey.export({ format: 'der', type: 'spki' })) };
    }
    const key = { spki: spki.slice() };
    publicKeyObject(key);
    return key;
  });
}
