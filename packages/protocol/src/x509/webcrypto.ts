/**
 * The bridge between this project's DER keys (crypto/keys.ts) and @peculiar/x509, which signs and
 * verifies through WebCrypto. Node's WebCrypto (OpenSSL underneath) is installed as the library's
 * provider once, and private keys are imported once per key and cached.
 */
import { webcrypto } from 'node:crypto';
import { x509 } from './peculiar.js';
import { privateKeyInfo, publicKeyInfo, type KeyInfo } from '../crypto/keys.js';
import type { HashAlg, PrivateKeyDer, PublicKeyDer } from '../crypto/provider.js';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type SignParams = webcrypto.EcdsaParams | webcrypto.RsaHashedImportParams;
type ImportParams = webcrypto.EcKeyImportParams | webcrypto.RsaHashedImportParams;
export type { CryptoKey, CryptoKeyPair };

/** Node's WebCrypto, installed as @peculiar/x509's provider and passed to each of its calls. */
export const webCrypto = webcrypto;
x509.cryptoProvider.set(webCrypto);

/** The WebCrypto algorithm a key of this kind signs certificates and CSRs with (SHA-384 for P-384 and RSA ≥ 3072). */
export function signingAlgorithmFor(info: KeyInfo): SignParams {
  if (info.kind === 'ec') return { name: 'ECDSA', hash: info.curve === 'P-384' ? 'SHA-384' : 'SHA-256' };
  return { name: 'RSASSA-PKCS1-v1_5', hash: info.bits >= 3072 ? 'SHA-384' : 'SHA-256' };
}

/**
 * Signature AlgorithmIdentifiers (DER) of what {@link signingAlgorithmFor} signs with, by name and hash:
 * ECDSA without parameters (RFC 5758 §3.2), RSA PKCS#1 v1.5 with NULL parameters (RFC 4055 §5).
 */
export const SIGNATURE_ALGORITHM_IDS: Record<string, Uint8Array> = {
  'ECDSA SHA-256': Uint8Array.from(Buffer.from('300a06082a8648ce3d040302', 'hex')),
  'ECDSA SHA-384': Uint8Array.from(Buffer.from('300a06082a8648ce3d040303', 'hex')),
  'RSASSA-PKCS1-v1_5 SHA-256': Uint8Array.from(Buffer.from('300d06092a864886f70d01010b0500', 'hex')),
  'RSASSA-PKCS1-v1_5 SHA-384': Uint8Array.from(Buffer.from('300d06092a864886f70d01010c0500', 'hex')),
};

/** The hash a key of this kind signs with (FDO 1.1 §3.3.1 strength: 384 for P-384 and RSA ≥ 3072). */
export function hashAlgOf(info: KeyInfo): HashAlg {
  return signingAlgorithmFor(info).hash === 'SHA-384' ? 'SHA-384' : 'SHA-256';
}

function importAlgorithm(info: KeyInfo): ImportParams {
  if (info.kind === 'ec') return { name: 'ECDSA', namedCurve: info.curve };
  return { name: 'RSASSA-PKCS1-v1_5', hash: hashAlgOf(info) };
}

const keyId = (der: Uint8Array): string => Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('latin1');

// Signing keys are few (a CA, a device key): a small cache of import promises, by content.
const privateKeys = new Map<string, Promise<CryptoKey>>();
const PRIVATE_CACHE_SIZE = 64;

/** A WebCrypto signing key for a PKCS#8 private key (EC P-256/P-384 or RSA). */
export function importSigningKey(key: PrivateKeyDer): Promise<CryptoKey> {
  const id = keyId(key.pkcs8);
  let hit = privateKeys.get(id);
  if (hit === undefined) {
    hit = webCrypto.subtle.importKey('pkcs8', key.pkcs8, importAlgorithm(privateKeyInfo(key)), false, ['sign']);
    hit.catch(() => privateKeys.delete(id));
    if (privateKeys.size >= PRIVATE_CACHE_SIZE) privateKeys.delete(privateKeys.keys().next().value!);
    privateKeys.set(id, hit);
  }
  return hit;
}

/** A WebCrypto public key for an SPKI (used as a CSR's or certificate's subject key). */
export function importPublicKey(key: PublicKeyDer): Promise<CryptoKey> {
  return webCrypto.subtle.importKey('spki', key.spki, importAlgorithm(publicKeyInfo(key)), true, ['verify']);
}

/** A CryptoKeyPair from DER halves, as @peculiar/x509's generators take it. */
export async function keyPairOf(privateKey: PrivateKeyDer, publicKey: PublicKeyDer): Promise<CryptoKeyPair> {
  return { privateKey: await importSigningKey(privateKey), publicKey: await importPublicKey(publicKey) };
}

/** Copies DER out of an ArrayBuffer-backed view into a plain Uint8Array. */
export const bytesOf = (buffer: ArrayBuffer): Uint8Array => new Uint8Array(buffer.slice(0));
