/**
 * {@link CryptoProvider} on @noble/curves and @noble/hashes: the portable implementation of the EC
 * and hash primitives FDO needs (SHA-256/384, HMAC, ES256/ES384, ECDH P-256/P-384; FDO 1.1 §3.3.3,
 * §3.6.3), in pure JavaScript with no native code. EC keys arrive as SPKI / PKCS#8 DER and are parsed
 * by the small reader in `der.ts`, never by node:crypto.
 *
 * RSA (RS256/RS384/PS256/PS384, RSA-OAEP), finite-field Diffie-Hellman and AES come from node:crypto
 * ({@link nodeCrypto}): noble has no RSA, and these are neither hot nor curve-specific.
 */
import { p256, p384 } from '@noble/curves/nist.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha384 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { ecPrivateKeyFromPkcs8, ecPublicKeyFromSpki } from './der.js';
import { KeyCache } from './key-cache.js';
import { nodeCrypto } from './node.js';
import type { CryptoProvider, Curve, EcdhKeyPair, HashAlg, SignatureAlg } from './provider.js';

type NobleCurve = typeof p256;

const curves: Record<Curve, NobleCurve> = { 'P-256': p256, 'P-384': p384 };
const fieldSize: Record<Curve, number> = { 'P-256': 32, 'P-384': 48 };
const hashes = { 'SHA-256': sha256, 'SHA-384': sha384 } as const;

/** ES256 is ECDSA P-256 with SHA-256, ES384 is P-384 with SHA-384 (RFC 8152 §8.1). */
const ecAlgs: Partial<Record<SignatureAlg, { curve: Curve; hash: HashAlg }>> = {
  ES256: { curve: 'P-256', hash: 'SHA-256' },
  ES384: { curve: 'P-384', hash: 'SHA-384' },
};

interface EcPublic {
  readonly curve: Curve;
  readonly point: Uint8Array;
}
interface EcPrivate {
  readonly curve: Curve;
  readonly scalar: Uint8Array;
}

// `null` records "not an EC key of a supported curve" so that RSA keys are parsed once too.
const publicKeys = new KeyCache<EcPublic | null>();
const privateKeys = new KeyCache<EcPrivate | null>(1024);

function ecPublic(spki: Uint8Array): EcPublic | null {
  return publicKeys.get(spki, (der) => {
    const parsed = ecPublicKeyFromSpki(der);
    if (parsed === undefined) return null;
    const curve = curves[parsed.curve];
    // Validate once (on the curve, not the identity); the cache then holds only good points.
    return curve.utils.isValidPublicKey(parsed.point, parsed.point.length === 1 + fieldSize[parsed.curve])
      ? { curve: parsed.curve, point: Uint8Array.from(parsed.point) }
      : null;
  });
}

function ecPrivate(pkcs8: Uint8Array): EcPrivate | null {
  return privateKeys.get(pkcs8, (der) => {
    const parsed = ecPrivateKeyFromPkcs8(der);
    if (parsed === undefined) return null;
    const n = fieldSize[parsed.curve];
    // RFC 5915 says the scalar is ceiling(log2(n)/8) octets; tolerate writers that drop leading zeros.
    if (parsed.scalar.length > n) return null;
    const scalar = new Uint8Array(n);
    scalar.set(parsed.scalar, n - parsed.scalar.length);
    return curves[parsed.curve].utils.isValidSecretKey(scalar) ? { curve: parsed.curve, scalar } : null;
  });
}

function ecdhPair(curve: Curve, secretKey: Uint8Array): EcdhKeyPair {
  const c = curves[curve];
  const n = fieldSize[curve];
  const point = c.getPublicKey(secretKey, false);
  return {
    curve,
    x: point.slice(1, 1 + n),
    y: point.slice(1 + n),
    privateKey: Uint8Array.from(secretKey),
    derive(peerX, peerY) {
      if (peerX.length !== n || peerY.length !== n)
        throw new RangeError(`ECDH ${curve} point coordinates must be ${n} bytes`);
      const peer = new Uint8Array(1 + 2 * n);
      peer[0] = 4;
      peer.set(peerX, 1);
      peer.set(peerY, 1 + n);
      // getSharedSecret validates the peer point; the compressed result is parity ‖ X.
      return c.getSharedSecret(secretKey, peer, true).slice(1);
    },
  };
}

export const nobleCrypto: CryptoProvider = {
  name: 'noble',

  randomBytes: (length) => randomBytes(length),

  digest: (alg, data) => hashes[alg](data),

  hmac: (alg, key, data) => hmac(hashes[alg], key, data),

  sign(alg, key, data) {
    const ec = ecAlgs[alg];
    if (ec === undefined) return nodeCrypto.sign(alg, key, data);
    const k = ecPrivate(key.pkcs8);
    if (k === null || k.curve !== ec.curve) throw new TypeError(`${alg} needs a ${ec.curve} private key`);
    // COSE form r‖s (RFC 8152 §8.1) is noble's 'compact' format; lowS signatures verify everywhere.
    return curves[ec.curve].sign(hashes[ec.hash](data), k.scalar, { prehash: false, format: 'compact' });
  },

  verify(alg, key, data, signature) {
    const ec = ecAlgs[alg];
    try {
      if (ec === undefined) return nodeCrypto.verify(alg, key, data, signature);
      const k = ecPublic(key.spki);
      if (k === null || k.curve !== ec.curve || signature.length !== 2 * fieldSize[ec.curve]) return false;
      // lowS: false, because OpenSSL and Go produce high-S signatures half of the time.
      return curves[ec.curve].verify(signature, hashes[ec.hash](data), k.point, {
        prehash: false,
        lowS: false,
        format: 'compact',
      });
    } catch {
      return false;
    }
  },

  ecdhGenerate: (curve) => ecdhPair(curve, curves[curve].utils.randomSecretKey()),

  ecdhFromPrivate(curve, privateKey) {
    if (privateKey.length !== fieldSize[curve] || !curves[curve].utils.isValidSecretKey(privateKey))
      throw new RangeError(`not a ${curve} private scalar`);
    return ecdhPair(curve, privateKey);
  },

  // node:crypto from here on (see the file header).
  dhGenerate: (group) => nodeCrypto.dhGenerate(group),
  dhFromPrivate: (group, privateKey) => nodeCrypto.dhFromPrivate(group, privateKey),
  rsaOaepEncrypt: (key, plaintext) => nodeCrypto.rsaOaepEncrypt(key, plaintext),
  rsaOaepDecrypt: (key, ciphertext) => nodeCrypto.rsaOaepDecrypt(key, ciphertext),
  aeadEncrypt: (params, key, iv, plaintext, aad) => nodeCrypto.aeadEncrypt(params, key, iv, plaintext, aad),
  aeadDecrypt: (params, key, iv, ciphertext, aad) => nodeCrypto.aeadDecrypt(params, key, iv, ciphertext, aad),
  aesEncrypt: (mode, key, iv, plaintext) => nodeCrypto.aesEncrypt(mode, key, iv, plaintext),
  aesDecrypt: (mode, key, iv, ciphertext) => nodeCrypto.aesDecrypt(mode, key, iv, ciphertext),
};
