// The CryptoProvider contract: one suite, run for every provider, plus cross-provider checks.
import t from 'tap';
import {
  generateKeyPair,
  nobleCrypto,
  nodeCrypto,
  type CryptoProvider,
  type KeyKind,
  type KeyPair,
  type SignatureAlg,
} from '../../src/crypto/index.js';
import { MODP14_PRIME } from '../../src/kex/index.js';

const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const utf8 = (s: string) => new TextEncoder().encode(s);
const concatHex = (...parts: string[]) => hex(parts.join(''));
const providers: CryptoProvider[] = [nodeCrypto, nobleCrypto];

const keys = new Map<KeyKind, KeyPair>();
const keyOf = (kind: KeyKind): KeyPair => {
  let k = keys.get(kind);
  if (k === undefined) keys.set(kind, (k = generateKeyPair(kind)));
  return k;
};

// FIPS 180-2 Appendix B/D example messages ("abc", the 448-bit and 896-bit two-block messages) and "".
const SHA_VECTORS: [string, string, string][] = [
  ['SHA-256', '', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  ['SHA-256', 'abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
  [
    'SHA-256',
    'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
    '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
  ],
  ['SHA-384', '', '38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b'],
  [
    'SHA-384',
    'abc',
    'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7',
  ],
  [
    'SHA-384',
    'abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu',
    '09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712fcc7c71a557e2db966c3e9fa91746039',
  ],
];

// RFC 4231 §4.2 (test case 1), §4.3 (test case 2) and §4.7 (test case 6).
const HMAC_VECTORS: { key: Uint8Array; data: Uint8Array; sha256: string; sha384: string }[] = [
  {
    key: new Uint8Array(20).fill(0x0b),
    data: utf8('Hi There'),
    sha256: 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
    sha384: 'afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6',
  },
  {
    key: utf8('Jefe'),
    data: utf8('what do ya want for nothing?'),
    sha256: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    sha384: 'af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649',
  },
  {
    key: new Uint8Array(131).fill(0xaa),
    data: utf8('Test Using Larger Than Block-Size Key - Hash Key First'),
    sha256: '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
    sha384: '4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952',
  },
];

const SIGNERS: [SignatureAlg, KeyKind][] = [
  ['ES256', 'ec256'],
  ['ES384', 'ec384'],
  ['RS256', 'rsa2048'],
  ['RS384', 'rsa3072'],
  ['PS256', 'rsa2048'],
  ['PS384', 'rsa3072'],
];

/** Keys that must not verify a signature of `alg`: another key of the same kind, another curve, another family. */
const WRONG_KEYS: Record<SignatureAlg, KeyKind[]> = {
  ES256: ['ec384', 'rsa2048'],
  ES384: ['ec256', 'rsa3072'],
  RS256: ['ec256'],
  RS384: ['ec384'],
  PS256: ['ec256'],
  PS384: ['ec384'],
};

for (const p of providers) {
  t.test(`${p.name}: digest matches FIPS 180-2 example vectors`, async (t) => {
    for (const [alg, msg, want] of SHA_VECTORS) {
      t.equal(toHex(p.digest(alg as 'SHA-256' | 'SHA-384', utf8(msg))), want, `${alg}(${msg.slice(0, 8)}…)`);
    }
  });

  t.test(`${p.name}: hmac matches RFC 4231 test cases 1, 2 and 6`, async (t) => {
    for (const v of HMAC_VECTORS) {
      t.equal(toHex(p.hmac('SHA-256', v.key, v.data)), v.sha256);
      t.equal(toHex(p.hmac('SHA-384', v.key, v.data)), v.sha384);
    }
  });

  t.test(`${p.name}: randomBytes`, async (t) => {
    const a = p.randomBytes(32);
    t.equal(a.length, 32);
    t.not(toHex(a), toHex(p.randomBytes(32)));
    // node's small values come from a pool: each is its own copy, handed out once, across refills.
    const lengths = [1, 12, 16, 32, 63, 64, 65];
    const values = Array.from({ length: 2000 }, (_, i) => p.randomBytes(lengths[i % lengths.length]!));
    for (const v of values.filter((_, i) => i % 3 === 0)) v.fill(0); // a caller writing to its value
    t.same(
      values.map((v) => v.length),
      values.map((_, i) => lengths[i % lengths.length]),
      'the lengths asked for',
    );
    t.ok(
      values.every((v) => v.byteOffset === 0 && v.buffer.byteLength === v.length),
      'each its own copy, not a view into shared memory',
    );
    const fresh = Array.from({ length: 1000 }, () => toHex(p.randomBytes(16)));
    t.equal(new Set(fresh).size, fresh.length, 'no value twice, across refills, after callers wrote to theirs');
    t.equal(p.randomBytes(0).length, 0);
    t.equal(p.randomBytes(5000).length, 5000);
  });

  t.test(`${p.name}: sign → verify for every algorithm, and every corruption fails`, async (t) => {
    const data = utf8('FDO 1.1 §3.3.3 COSE signature');
    for (const [alg, kind] of SIGNERS) {
      const k = keyOf(kind);
      const sig = p.sign(alg, k.privateKey, data);
      if (alg === 'ES256') t.equal(sig.length, 64, 'ES256 is r‖s');
      if (alg === 'ES384') t.equal(sig.length, 96, 'ES384 is r‖s');
      t.ok(p.verify(alg, k.publicKey, data, sig), `${alg} verifies`);
      const flipped = Uint8Array.from(sig);
      flipped[flipped.length >> 1]! ^= 1;
      t.notOk(p.verify(alg, k.publicKey, data, flipped), `${alg} flipped signature byte`);
      t.notOk(p.verify(alg, k.publicKey, utf8('other data'), sig), `${alg} other data`);
      t.notOk(p.verify(alg, k.publicKey, data, sig.subarray(1)), `${alg} truncated signature`);
      t.notOk(p.verify(alg, k.publicKey, data, new Uint8Array(0)), `${alg} empty signature`);
      t.notOk(
        p.verify(alg, generateKeyPair(kind === 'rsa3072' ? 'rsa2048' : kind).publicKey, data, sig),
        `${alg} other key`,
      );
      for (const wrong of WRONG_KEYS[alg]) {
        t.notOk(p.verify(alg, keyOf(wrong).publicKey, data, sig), `${alg} with a ${wrong} key is false`);
        t.throws(() => p.sign(alg, keyOf(wrong).privateKey, data), `${alg} refuses to sign with ${wrong}`);
      }
      t.notOk(p.verify(alg, { spki: hex('3000') }, data, sig), `${alg} garbage SPKI is false, not a throw`);
    }
  });

  t.test(`${p.name}: ECDH both sides agree, and keys survive export`, async (t) => {
    for (const curve of ['P-256', 'P-384'] as const) {
      const n = curve === 'P-256' ? 32 : 48;
      const a = p.ecdhGenerate(curve);
      const b = p.ecdhGenerate(curve);
      t.equal(a.x.length, n);
      t.equal(a.privateKey.length, n);
      const ab = a.derive(b.x, b.y);
      t.equal(ab.length, n);
      t.equal(toHex(ab), toHex(b.derive(a.x, a.y)), `${curve} agree`);
      const a2 = p.ecdhFromPrivate(curve, a.privateKey);
      t.equal(toHex(a2.x) + toHex(a2.y), toHex(a.x) + toHex(a.y), `${curve} same public point from the private key`);
      t.equal(toHex(a2.derive(b.x, b.y)), toHex(ab));
      const offCurve = Uint8Array.from(b.y);
      offCurve[n - 1]! ^= 1;
      t.throws(() => a.derive(b.x, offCurve), `${curve} point off the curve`);
      t.throws(() => a.derive(b.x.subarray(1), b.y), `${curve} short coordinate`);
      t.throws(() => p.ecdhFromPrivate(curve, new Uint8Array(n)), `${curve} zero scalar`);
    }
  });

  t.test(`${p.name}: DH groups 14 and 15 agree`, async (t) => {
    for (const group of [14, 15] as const) {
      const size = group === 14 ? 256 : 384;
      const a = p.dhGenerate(group);
      const b = p.dhGenerate(group);
      t.equal(a.publicValue.length, size);
      t.equal(a.privateKey.length, group === 14 ? 32 : 96);
      const ab = a.derive(b.publicValue);
      t.equal(ab.length, size);
      t.equal(toHex(ab), toHex(b.derive(a.publicValue)), `group ${group} agree`);
      t.equal(
        toHex(p.dhFromPrivate(group, a.privateKey).publicValue),
        toHex(a.publicValue),
        'same public from private',
      );
    }
    // g^x mod p computed independently, for group 14.
    const a = p.dhGenerate(14);
    let r = 1n;
    let base = 2n;
    for (let e = BigInt(`0x${toHex(a.privateKey)}`); e > 0n; e >>= 1n) {
      if (e & 1n) r = (r * base) % MODP14_PRIME;
      base = (base * base) % MODP14_PRIME;
    }
    t.equal(BigInt(`0x${toHex(a.publicValue)}`), r, 'publicValue = 2^x mod p (RFC 3526 group 14)');
  });

  t.test(`${p.name}: RSA-OAEP round trip`, async (t) => {
    for (const kind of ['rsa2048', 'rsa3072'] as const) {
      const k = keyOf(kind);
      const msg = p.randomBytes(kind === 'rsa2048' ? 32 : 96);
      const ct = p.rsaOaepEncrypt(k.publicKey, msg);
      t.equal(ct.length, kind === 'rsa2048' ? 256 : 384);
      t.equal(toHex(p.rsaOaepDecrypt(k.privateKey, ct)), toHex(msg));
      const bad = Uint8Array.from(ct);
      bad[10]! ^= 1;
      t.throws(() => p.rsaOaepDecrypt(k.privateKey, bad), 'corrupted ciphertext');
    }
  });

  t.test(`${p.name}: AEAD and AES round trips`, async (t) => {
    const plaintext = utf8('TO2 message body, FDO 1.1 §4.4');
    const aad = utf8('Enc_structure');
    for (const [mode, tagLength, ivLength] of [
      ['GCM', 16, 12],
      ['CCM', 8, 7],
      ['CCM', 16, 7],
    ] as const) {
      for (const keyLength of [16, 32]) {
        const key = p.randomBytes(keyLength);
        const iv = p.randomBytes(ivLength);
        const params = { mode, tagLength };
        const ct = p.aeadEncrypt(params, key, iv, plaintext, aad);
        t.equal(ct.length, plaintext.length + tagLength);
        t.equal(
          toHex(p.aeadDecrypt(params, key, iv, ct, aad)),
          toHex(plaintext),
          `${mode}-${keyLength * 8}/${tagLength}`,
        );
        const bad = Uint8Array.from(ct);
        bad[0]! ^= 1;
        t.throws(() => p.aeadDecrypt(params, key, iv, bad, aad), `${mode} tampered ciphertext`);
        t.throws(() => p.aeadDecrypt(params, key, iv, ct, utf8('other aad')), `${mode} other AAD`);
      }
    }
    for (const mode of ['CTR', 'CBC'] as const) {
      for (const keyLength of [16, 32]) {
        const key = p.randomBytes(keyLength);
        const iv = p.randomBytes(16);
        const ct = p.aesEncrypt(mode, key, iv, plaintext);
        if (mode === 'CTR') t.equal(ct.length, plaintext.length);
        else t.equal(ct.length % 16, 0);
        t.equal(toHex(p.aesDecrypt(mode, key, iv, ct)), toHex(plaintext), `AES-${keyLength * 8}-${mode}`);
      }
    }
  });
}

t.test('cross-provider: each verifies what the other signs', async (t) => {
  const data = utf8('cross');
  for (const [alg, kind] of SIGNERS) {
    const k = keyOf(kind);
    for (const [a, b] of [
      [nodeCrypto, nobleCrypto],
      [nobleCrypto, nodeCrypto],
    ] as const) {
      t.ok(
        b.verify(alg, k.publicKey, data, a.sign(alg, k.privateKey, data)),
        `${a.name} signs ${alg}, ${b.name} verifies`,
      );
    }
  }
});

t.test('cross-provider: high-S ECDSA signatures (as OpenSSL and Go produce) verify in both', async (t) => {
  const orders = {
    ES256: BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551'),
    ES384: BigInt('0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973'),
  };
  for (const [alg, kind, n] of [
    ['ES256', 'ec256', 32],
    ['ES384', 'ec384', 48],
  ] as const) {
    const k = keyOf(kind);
    const data = utf8('malleable');
    const sig = nobleCrypto.sign(alg, k.privateKey, data);
    const s = BigInt(`0x${toHex(sig.subarray(n))}`);
    const highS = hex((orders[alg] - s).toString(16).padStart(2 * n, '0'));
    const sig2 = new Uint8Array(2 * n);
    sig2.set(sig.subarray(0, n));
    sig2.set(highS, n);
    for (const p of providers) t.ok(p.verify(alg, k.publicKey, data, sig2), `${p.name} accepts (r, n-s) for ${alg}`);
  }
});

t.test('cross-provider: ECDH and DH agree', async (t) => {
  for (const curve of ['P-256', 'P-384'] as const) {
    const a = nodeCrypto.ecdhGenerate(curve);
    const b = nobleCrypto.ecdhGenerate(curve);
    t.equal(toHex(a.derive(b.x, b.y)), toHex(b.derive(a.x, a.y)), curve);
    const a2 = nobleCrypto.ecdhFromPrivate(curve, a.privateKey);
    t.equal(toHex(a2.x), toHex(a.x), `${curve} node key rebuilt by noble`);
  }
  for (const group of [14, 15] as const) {
    const a = nodeCrypto.dhGenerate(group);
    const b = nobleCrypto.dhGenerate(group);
    t.equal(toHex(a.derive(b.publicValue)), toHex(b.derive(a.publicValue)), `group ${group}`);
  }
});

t.test('an RSA signature must be exactly k bytes (RFC 8230 §2), even when it starts with 0x00', async (t) => {
  const k = keyOf('rsa2048');
  const data = utf8('leading zero');
  let sig = nodeCrypto.sign('PS256', k.privateKey, data);
  for (let i = 0; i < 5000 && sig[0] !== 0; i++) sig = nodeCrypto.sign('PS256', k.privateKey, data); // random salt
  t.equal(sig[0], 0, 'found a signature with a leading zero byte');
  for (const p of providers) {
    t.ok(p.verify('PS256', k.publicKey, data, sig), `${p.name} full length`);
    t.notOk(p.verify('PS256', k.publicKey, data, sig.subarray(1)), `${p.name} leading zero dropped`);
  }
});

t.test('noble reads minimal EC PKCS#8 (no [0] params, no [1] public key) that other tools write', async (t) => {
  // RFC 5208 PrivateKeyInfo { 0, { id-ecPublicKey, prime256v1 }, OCTET STRING { ECPrivateKey { 1, d } } }.
  const d = nobleCrypto.ecdhGenerate('P-256');
  const pkcs8 = concatHex(
    '304102010030130607',
    '2a8648ce3d0201',
    '0608',
    '2a8648ce3d030107',
    '0427302502010104',
    '20',
    toHex(d.privateKey),
  );
  const spki = concatHex('3059301306072a8648ce3d020106082a8648ce3d030107034200', '04', toHex(d.x), toHex(d.y));
  const data = utf8('minimal');
  t.ok(nodeCrypto.verify('ES256', { spki }, data, nobleCrypto.sign('ES256', { pkcs8 }, data)));
  t.ok(nobleCrypto.verify('ES256', { spki }, data, nodeCrypto.sign('ES256', { pkcs8 }, data)));
});

t.test('cross-provider: OAEP', async (t) => {
  const k = keyOf('rsa2048');
  const msg = utf8('device random');
  t.equal(toHex(nobleCrypto.rsaOaepDecrypt(k.privateKey, nodeCrypto.rsaOaepEncrypt(k.publicKey, msg))), toHex(msg));
  t.equal(toHex(nodeCrypto.rsaOaepDecrypt(k.privateKey, nobleCrypto.rsaOaepEncrypt(k.publicKey, msg))), toHex(msg));
});
