/**
 * {@link CryptoProvider} on node:crypto (OpenSSL). The default for servers: parsed keys are
 * cached, ECDH uses `createECDH` (the fastest path, and free of the key-export deadlock noted in
 * the platform notes).
 */
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createDiffieHellman,
  createECDH,
  createHash,
  createHmac,
  getDiffieHellman,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  randomFillSync,
  sign as nodeSign,
  verify as nodeVerify,
  type ECDH,
  type KeyObject,
} from 'node:crypto';
import { privateKeyObject, publicKeyObject } from './keys.js';
import type { AeadParams, CryptoProvider, Curve, DhKeyPair, EcdhKeyPair, SignatureAlg } from './provider.js';

const nodeHash = { 'SHA-256': 'sha256', 'SHA-384': 'sha384' } as const;
const sigHash: Record<SignatureAlg, string> = {
  ES256: 'sha256',
  ES384: 'sha384',
  RS256: 'sha256',
  RS384: 'sha384',
  PS256: 'sha256',
  PS384: 'sha384',
};
const curveName = { 'P-256': 'prime256v1', 'P-384': 'secp384r1' } as const;
const fieldSize = { 'P-256': 32, 'P-384': 48 } as const;

function u8(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function signOptions(alg: SignatureAlg, key: KeyObject) {
  if (alg.startsWith('ES')) return { key, dsaEncoding: 'ieee-p1363' as const };
  if (alg.startsWith('PS'))
    return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
  return { key, padding: constants.RSA_PKCS1_PADDING };
}

/** The kind of key an algorithm needs, so that a P-384 key is never accepted for ES256. */
function keyFits(alg: SignatureAlg, key: KeyObject): boolean {
  const details = key.asymmetricKeyDetails;
  if (alg === 'ES256') return key.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1';
  if (alg === 'ES384') return key.asymmetricKeyType === 'ec' && details?.namedCurve === 'secp384r1';
  return key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss';
}

function leftPad(b: Uint8Array, length: number): Uint8Array {
  if (b.length >= length) return b;
  const out = new Uint8Array(length);
  out.set(b, length - b.length);
  return out;
}

function aesName(mode: string, keyLength: number): string {
  const bits = keyLength * 8;
  if (bits !== 128 && bits !== 192 && bits !== 256) throw new RangeError(`AES key of ${keyLength} bytes`);
  return `aes-${bits}-${mode.toLowerCase()}`;
}

function ecdhPair(curve: Curve, ecdh: ECDH): EcdhKeyPair {
  const n = fieldSize[curve];
  const point = ecdh.getPublicKey();
  return {
    curve,
    x: u8(point.subarray(1, 1 + n)),
    y: u8(point.subarray(1 + n)),
    privateKey: leftPad(u8(ecdh.getPrivateKey()), n),
    derive(peerX, peerY) {
      if (peerX.length !== n || peerY.length !== n)
        throw new RangeError(`ECDH ${curve} point coordinates must be ${n} bytes`);
      const peer = Buffer.concat([Buffer.of(4), peerX, peerY]);
      return leftPad(u8(ecdh.computeSecret(peer)), n);
    },
  };
}

// Exponent sizes of go-fdo (kex/dh.go) and PRI (DiffieHellman.java): 256 and 768 bits (FDO 1.1 §3.6.2).
const DH_EXPONENT_SIZE = { 14: 32, 15: 96 } as const;
const dhPrimes = new Map<number, Buffer>();

/** A DH key on an explicit private exponent: `getDiffieHellman` groups cannot take one, so the prime is reused. */
function dhPair(group: 14 | 15, privateKey: Uint8Array): DhKeyPair {
  let prime = dhPrimes.get(group);
  if (prime === undefined) {
    prime = getDiffieHellman(group === 14 ? 'modp14' : 'modp15').getPrime();
    dhPrimes.set(group, prime);
  }
  const dh = createDiffieHellman(prime, 2);
  dh.setPrivateKey(Buffer.from(privateKey));
  const size = prime.length;
  const pub = leftPad(u8(dh.generateKeys()), size);
  return {
    group,
    publicValue: pub,
    privateKey: Uint8Array.from(privateKey),
    derive: (peer) => leftPad(u8(dh.computeSecret(Buffer.from(peer))), size),
  };
}

// Small random values (nonces, GUIDs, salts, IVs: several per protocol message) are cut from a pool filled
// 4 KiB at a time: each call into OpenSSL's generator costs more than the bytes (issue 8). Each value is a
// copy, handed out once; node:crypto's randomUUID pools the same way.
const POOL_SIZE = 4096;
const POOLED_MAX = 64;
const pool = new Uint8Array(POOL_SIZE);
let poolUsed = POOL_SIZE;

function pooledRandomBytes(length: number): Uint8Array {
  if (length > POOLED_MAX || !Number.isInteger(length) || length < 0) return u8(randomBytes(length));
  if (poolUsed + length > POOL_SIZE) {
    randomFillSync(pool);
    poolUsed = 0;
  }
  const out = pool.slice(poolUsed, poolUsed + length);
  pool.fill(0, poolUsed, poolUsed + length);
  poolUsed += length;
  return out;
}

export const nodeCrypto: CryptoProvider = {
  name: 'node',

  randomBytes: pooledRandomBytes,

  digest: (alg, data) => u8(createHash(nodeHash[alg]).update(data).digest()),

  hmac: (alg, key, data) => u8(createHmac(nodeHash[alg], key).update(data).digest()),

  sign(alg, key, data) {
    const k = privateKeyObject(key);
    if (!keyFits(alg, k)) throw new TypeError(`${alg} cannot sign with a ${k.asymmetricKeyType} key of this size`);
    return u8(nodeSign(sigHash[alg], data, signOptions(alg, k)));
  },

  verify(alg, key, data, signature) {
    try {
      const k = publicKeyObject(key);
      if (!keyFits(alg, k)) return false;
      // RFC 8230 §2: an RSA signature is exactly k bytes; OpenSSL would also take one with leading zeros dropped.
      const bits = k.asymmetricKeyDetails?.modulusLength;
      if (alg[0] !== 'E' && bits !== undefined && signature.length !== Math.ceil(bits / 8)) return false;
      return nodeVerify(sigHash[alg], data, signOptions(alg, k), signature);
    } catch {
      return false;
    }
  },

  ecdhGenerate(curve: Curve): EcdhKeyPair {
    const ecdh = createECDH(curveName[curve]);
    ecdh.generateKeys();
    return ecdhPair(curve, ecdh);
  },

  ecdhFromPrivate(curve: Curve, privateKey: Uint8Array): EcdhKeyPair {
    const ecdh = createECDH(curveName[curve]);
    ecdh.setPrivateKey(privateKey); // validates 0 < d < n and computes the public point
    return ecdhPair(curve, ecdh);
  },

  dhGenerate(group): DhKeyPair {
    return dhPair(group, u8(randomBytes(DH_EXPONENT_SIZE[group])));
  },

  dhFromPrivate: (group, privateKey) => dhPair(group, privateKey),

  rsaOaepEncrypt: (key, plaintext) =>
    u8(
      publicEncrypt(
        { key: publicKeyObject(key), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
        plaintext,
      ),
    ),

  rsaOaepDecrypt: (key, ciphertext) =>
    u8(
      privateDecrypt(
        { key: privateKeyObject(key), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
        ciphertext,
      ),
    ),

  aeadEncrypt(params: AeadParams, key, iv, plaintext, aad) {
    const name = aesName(params.mode, key.length);
    if (params.mode === 'GCM') {
      const c = createCipheriv(name as 'aes-128-gcm', key, iv, { authTagLength: params.tagLength });
      c.setAAD(aad);
      return u8(Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]));
    }
    const c = createCipheriv(name as 'aes-128-ccm', key, iv, { authTagLength: params.tagLength });
    c.setAAD(aad, { plaintextLength: plaintext.length });
    return u8(Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]));
  },

  aeadDecrypt(params: AeadParams, key, iv, data, aad) {
    if (data.length < params.tagLength) throw new RangeError('ciphertext shorter than its tag');
    const name = aesName(params.mode, key.length);
    const ciphertext = data.subarray(0, data.length - params.tagLength);
    const tag = data.subarray(data.length - params.tagLength);
    if (params.mode === 'GCM') {
      const d = createDecipheriv(name as 'aes-128-gcm', key, iv, { authTagLength: params.tagLength });
      d.setAAD(aad);
      d.setAuthTag(tag);
      return u8(Buffer.concat([d.update(ciphertext), d.final()]));
    }
    const d = createDecipheriv(name as 'aes-128-ccm', key, iv, { authTagLength: params.tagLength });
    d.setAuthTag(tag);
    d.setAAD(aad, { plaintextLength: ciphertext.length });
    const out = d.update(ciphertext);
    d.final();
    return u8(out);
  },

  aesEncrypt(mode, key, iv, plaintext) {
    const c = createCipheriv(aesName(mode, key.length), key, iv);
    return u8(Buffer.concat([c.update(plaintext), c.final()]));
  },

  aesDecrypt(mode, key, iv, ciphertext) {
    const d = createDecipheriv(aesName(mode, key.length), key, iv);
    return u8(Buffer.concat([d.update(ciphertext), d.final()]));
  },
};
