/**
 * The crypto provider contract. Every cryptographic operation FDO needs goes through one
 * {@link CryptoProvider}; the protocol layers never import a crypto library themselves.
 *
 * Two implementations pass the same tests: {@link ./node.ts} on node:crypto (OpenSSL, the
 * default: 10–40× faster for ECDSA here) and {@link ./noble.ts} on @noble/curves and @noble/hashes
 * (pure JavaScript EC and hashing; RSA, finite-field DH and AES still come from node:crypto).
 *
 * Keys cross the contract as DER bytes (SPKI for public keys, PKCS#8 for private keys): they are
 * what FDO's X509 encoding carries, they store anywhere, and providers cache the parsed form.
 */

export type HashAlg = 'SHA-256' | 'SHA-384';
export type Curve = 'P-256' | 'P-384';
/** COSE signature algorithms FDO uses (FDO 1.1 §3.3.3, RFC 8152 §8, RFC 8230). */
export type SignatureAlg = 'ES256' | 'ES384' | 'RS256' | 'RS384' | 'PS256' | 'PS384';

/** A public key as DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7). */
export interface PublicKeyDer {
  readonly spki: Uint8Array;
}

/** A private key as DER PKCS#8 PrivateKeyInfo (RFC 5208). */
export interface PrivateKeyDer {
  readonly pkcs8: Uint8Array;
}

/** An ephemeral ECDH key pair (FDO 1.1 §3.6.3): its public point and a derive function. */
export interface EcdhKeyPair {
  readonly curve: Curve;
  /** Affine X and Y, each the curve's field size (32 or 48 bytes). */
  readonly x: Uint8Array;
  readonly y: Uint8Array;
  /** The private scalar, big-endian, field-size bytes: lets a session store the key between messages. */
  readonly privateKey: Uint8Array;
  /** The shared secret: the X coordinate of the product with the peer's point. Throws for an invalid point. */
  derive(peerX: Uint8Array, peerY: Uint8Array): Uint8Array;
}

/** An ephemeral finite-field Diffie-Hellman key (RFC 3526 groups 14 and 15, g = 2; FDO 1.1 §3.6.2). */
export interface DhKeyPair {
  readonly group: 14 | 15;
  /** g^x mod p, big-endian, left-padded to the modulus size. */
  readonly publicValue: Uint8Array;
  /** The private exponent, big-endian: lets a session store the key between messages. */
  readonly privateKey: Uint8Array;
  /** (peer)^x mod p, left-padded to the modulus size. */
  derive(peerPublic: Uint8Array): Uint8Array;
}

/** AES modes as COSE and FDO use them. */
export type AeadMode = 'GCM' | 'CCM';
export interface AeadParams {
  readonly mode: AeadMode;
  /** Tag length in bytes (16 for GCM; 8 or 16 for CCM). */
  readonly tagLength: number;
}

export interface CryptoProvider {
  readonly name: string;
  randomBytes(length: number): Uint8Array;
  digest(alg: HashAlg, data: Uint8Array): Uint8Array;
  hmac(alg: HashAlg, key: Uint8Array, data: Uint8Array): Uint8Array;
  /** Signs `data`; ECDSA signatures are in COSE form (r‖s, RFC 8152 §8.1). */
  sign(alg: SignatureAlg, key: PrivateKeyDer, data: Uint8Array): Uint8Array;
  /** Verifies a signature; returns false (never throws) for a wrong signature or a key of the wrong kind. */
  verify(alg: SignatureAlg, key: PublicKeyDer, data: Uint8Array, signature: Uint8Array): boolean;
  ecdhGenerate(curve: Curve): EcdhKeyPair;
  /** Rebuilds an ECDH key pair from {@link EcdhKeyPair.privateKey}; throws for a scalar out of range. */
  ecdhFromPrivate(curve: Curve, privateKey: Uint8Array): EcdhKeyPair;
  /** A fresh DH key with a random exponent of 32 (group 14) or 96 (group 15) bytes, as go-fdo and PRI use. */
  dhGenerate(group: 14 | 15): DhKeyPair;
  /** Rebuilds a DH key pair from {@link DhKeyPair.privateKey}. */
  dhFromPrivate(group: 14 | 15, privateKey: Uint8Array): DhKeyPair;
  /** RSAES-OAEP with SHA-256 and MGF1-SHA-256 (FDO 1.1 §3.6.4, ASYMKEX). */
  rsaOaepEncrypt(key: PublicKeyDer, plaintext: Uint8Array): Uint8Array;
  rsaOaepDecrypt(key: PrivateKeyDer, ciphertext: Uint8Array): Uint8Array;
  /** AEAD encryption; returns ciphertext ‖ tag. */
  aeadEncrypt(params: AeadParams, key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  /** AEAD decryption of ciphertext ‖ tag; throws when the tag does not verify. */
  aeadDecrypt(params: AeadParams, key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Uint8Array;
  /** AES-CTR (no padding) or AES-CBC (PKCS#7 padding); the key length selects AES-128/192/256. */
  aesEncrypt(mode: 'CTR' | 'CBC', key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array;
  aesDecrypt(mode: 'CTR' | 'CBC', key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array;
}
