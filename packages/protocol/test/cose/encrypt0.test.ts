import t from 'tap';
import { toHex } from '../../src/cbor/bytes.js';
import { encode, Tag } from '../../src/cbor/codec.js';
import {
  bodyProtected,
  CoseEncrypt0,
  ENCRYPTION_ALGORITHMS,
  encryptionAlgorithm,
  encStructure,
} from '../../src/cose/index.js';
import { InvalidMessageError, MessageBodyError } from '../../src/errors.js';
import { algOf, b64url, extraHeaders, hex, providers, utf8, vectors, type CoseWgStructure } from './cose-wg.js';

const suites = [
  ...vectors('encrypted-tests'),
  ...vectors('aes-gcm-examples', /-enc-/),
  ...vectors('aes-ccm-examples', /-enc-/),
];

for (const provider of providers) {
  t.test(`COSE_Encrypt0 vectors (${provider.name})`, async (t) => {
    for (const [name, v] of suites) {
      const source = `cose-wg ${name}`;
      t.test(source, async (t) => {
        const s = v.input['encrypted'] as CoseWgStructure;
        const alg = algOf(s);
        const key = b64url(s.recipients![0]!.key['k']!);
        const aad = s.external === undefined ? new Uint8Array(0) : hex(s.external);
        const expected = hex(v.output.cbor);
        const plaintext = utf8(v.input.plaintext);
        if (v.fail) {
          let decrypted: Uint8Array | undefined;
          try {
            decrypted = CoseEncrypt0.decode(expected).decrypt(provider, key, aad);
          } catch (err) {
            t.ok(err instanceof InvalidMessageError || err instanceof MessageBodyError, `rejected: ${String(err)}`);
          }
          t.equal(decrypted, undefined, 'no plaintext');
          return;
        }
        const enc0 = CoseEncrypt0.decode(expected);
        t.same(enc0.decrypt(provider, key, aad), plaintext, 'expected output decrypts');
        if (v.intermediates?.AAD_hex !== undefined) {
          t.equal(toHex(encStructure(bodyProtected(enc0), aad)), v.intermediates.AAD_hex.toLowerCase(), 'AAD');
        }
        t.throws(() => enc0.decrypt(provider, key, utf8('other aad')), InvalidMessageError, 'AAD is bound');
        if (v.input.failures === undefined) {
          const ours = CoseEncrypt0.encrypt(provider, {
            alg: encryptionAlgorithm(alg.id),
            key,
            plaintext,
            iv: hex(v.input.rng_stream![0]!),
            protected: extraHeaders(s.protected),
            unprotected: extraHeaders(s.unprotected),
            externalAad: aad,
            algHeader: alg.bucket,
          });
          t.equal(toHex(ours.encode()), toHex(expected), 'our output is byte-identical');
        }
      });
    }
  });
}

t.test('every registered algorithm round-trips; tampering is an InvalidMessageError', async (t) => {
  for (const provider of providers) {
    for (const alg of ENCRYPTION_ALGORITHMS) {
      const key = provider.randomBytes(alg.keyLength);
      const plaintext = utf8(`TO2 message body for ${alg.name}, longer than one block`);
      const enc0 = CoseEncrypt0.encrypt(provider, { alg, key, plaintext });
      const bytes = enc0.encode();
      const decoded = CoseEncrypt0.decode(bytes);
      t.equal(decoded.alg, alg, `${provider.name} ${alg.name}: alg`);
      t.equal(decoded.iv.length, alg.ivLength, 'IV length');
      t.same(decoded.decrypt(provider, key), plaintext, 'round trip');
      if (alg.kind === 'cipher') continue; // CTR/CBC carry no integrity: FDO wraps them in COSE_Mac0
      const flipped = new CoseEncrypt0(
        decoded.protectedBytes,
        decoded.protectedHeaders,
        decoded.unprotected,
        decoded.ciphertext!.map((b, i) => (i === 3 ? b ^ 1 : b)),
      );
      t.throws(() => flipped.decrypt(provider, key), InvalidMessageError, 'flipped ciphertext');
      const wrongKey = provider.randomBytes(alg.keyLength);
      t.throws(() => decoded.decrypt(provider, wrongKey), InvalidMessageError, 'other key');
    }
  }
});

t.test('structure errors are MessageBodyErrors', async (t) => {
  const gcm = encryptionAlgorithm(1);
  const key = new Uint8Array(16);
  const ok = CoseEncrypt0.encrypt(providers[0]!, { alg: gcm, key, plaintext: utf8('x') });
  const noIv = new CoseEncrypt0(ok.protectedBytes, ok.protectedHeaders, new Map(), ok.ciphertext);
  t.throws(() => noIv.decrypt(providers[0]!, key), MessageBodyError, 'missing IV');
  const shortIv = new CoseEncrypt0(
    ok.protectedBytes,
    ok.protectedHeaders,
    new Map([[5, new Uint8Array(7)]]),
    ok.ciphertext,
  );
  t.throws(() => shortIv.decrypt(providers[0]!, key), MessageBodyError, 'IV of the wrong size');
  t.throws(() => encryptionAlgorithm(-999), MessageBodyError, 'unknown alg');
  t.throws(() => encryptionAlgorithm('A128GCM'), MessageBodyError, 'text alg');
  t.throws(() => CoseEncrypt0.decode(encode(new Tag([new Uint8Array(0), new Map()], 16))), MessageBodyError, 'arity');
  t.throws(
    () => CoseEncrypt0.decode(encode(new Tag([new Uint8Array(0), new Map(), null], 17))),
    MessageBodyError,
    'wrong tag',
  );
  const detached = new CoseEncrypt0(ok.protectedBytes, ok.protectedHeaders, ok.unprotected, null);
  t.throws(() => detached.decrypt(providers[0]!, key), MessageBodyError, 'nil ciphertext without a detached one');
  t.same(detached.decrypt(providers[0]!, key, undefined, ok.ciphertext!), utf8('x'), 'detached ciphertext');
  t.throws(
    () => CoseEncrypt0.encrypt(providers[0]!, { alg: gcm, key: new Uint8Array(32), plaintext: utf8('x') }),
    RangeError,
    'key size',
  );
  const cbc = encryptionAlgorithm(-17760703);
  t.throws(
    () => CoseEncrypt0.encrypt(providers[0]!, { alg: cbc, key, plaintext: utf8('x'), externalAad: utf8('a') }),
    TypeError,
    'CBC cannot bind external AAD',
  );
  const c = CoseEncrypt0.decode(
    CoseEncrypt0.encrypt(providers[0]!, { alg: cbc, key, plaintext: utf8('x'), iv: new Uint8Array(16) }).encode(),
  );
  const truncated = new CoseEncrypt0(
    c.protectedBytes,
    c.protectedHeaders,
    c.unprotected,
    c.ciphertext!.subarray(0, 15),
  );
  t.throws(() => truncated.decrypt(providers[0]!, key), InvalidMessageError, 'CBC ciphertext not a block multiple');
  const wrongKey = new Uint8Array(16).fill(7);
  t.throws(
    () => c.decrypt(providers[0]!, wrongKey),
    InvalidMessageError,
    'CBC bad padding is an InvalidMessageError (no oracle detail)',
  );
});

t.test('AES-CTR matches NIST SP 800-38A F.5.1 (CTR-AES128.Encrypt)', async (t) => {
  const key = hex('2b7e151628aed2a6abf7158809cf4f3c');
  const iv = hex('f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff');
  const pt = hex('6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51');
  for (const provider of providers) {
    const enc0 = CoseEncrypt0.encrypt(provider, { alg: encryptionAlgorithm(-17760704), key, plaintext: pt, iv });
    t.equal(toHex(enc0.ciphertext!), '874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff', provider.name);
  }
});

t.test('AES-CBC matches NIST SP 800-38A F.2.1 (CBC-AES128.Encrypt) plus a PKCS#7 block', async (t) => {
  const key = hex('2b7e151628aed2a6abf7158809cf4f3c');
  const iv = hex('000102030405060708090a0b0c0d0e0f');
  const pt = hex('6bc1bee22e409f96e93d7e117393172a');
  for (const provider of providers) {
    const enc0 = CoseEncrypt0.encrypt(provider, { alg: encryptionAlgorithm(-17760703), key, plaintext: pt, iv });
    t.equal(enc0.ciphertext!.length, 32, 'a full padding block is added');
    t.equal(toHex(enc0.ciphertext!.subarray(0, 16)), '7649abac8119b246cee98e9b12e9197d', provider.name);
  }
});
