import t from 'tap';
import { decode, encode, type Tag } from '../../src/cbor/codec.js';
import { CoseEncrypt0, CoseMac0, encryptionAlgorithm, HMAC_256 } from '../../src/cose/index.js';
import { nobleCrypto, nodeCrypto, type CryptoProvider } from '../../src/crypto/index.js';
import { InvalidMessageError, MessageBodyError } from '../../src/errors.js';
import {
  CIPHER_SUITES,
  cipherSuite,
  CipherSuiteId,
  createSessionCrypto,
  kdfPrf,
  KEY_LAYOUTS,
  keyMaterialLength,
  splitKeyMaterial,
  type CipherSuite,
  type SessionCrypto,
} from '../../src/session/index.js';

const providers: readonly CryptoProvider[] = [nodeCrypto, nobleCrypto];
const utf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
const flip = (b: Uint8Array, i: number) => b.map((x, j) => (j === i ? x ^ 0x01 : x));

/** Two ends of one session: same keys, independent state (as device and owner have). */
function pair(provider: CryptoProvider, suite: CipherSuite): [SessionCrypto, SessionCrypto] {
  const keys = splitKeyMaterial(suite, provider.randomBytes(keyMaterialLength(suite)));
  return [createSessionCrypto(provider, suite, keys), createSessionCrypto(provider, suite.id, keys)];
}

t.test('cipher-suite table (FDO 1.1 §3.6.4, §4.4)', async (t) => {
  const expect: Record<number, [prf: string, bytes: number, goFdoBytes: number]> = {
    [CipherSuiteId.A128GCM]: ['SHA-256', 16, 16],
    [CipherSuiteId.A192GCM]: ['SHA-256', 24, 24],
    [CipherSuiteId.A256GCM]: ['SHA-256', 32, 32],
    [CipherSuiteId.AES_CCM_64_128_128]: ['SHA-256', 16, 16],
    [CipherSuiteId.AES_CCM_64_128_256]: ['SHA-256', 32, 32],
    [CipherSuiteId.COSEAES128CBC]: ['SHA-256', 48, 32],
    [CipherSuiteId.COSEAES128CTR]: ['SHA-256', 48, 32],
    [CipherSuiteId.COSEAES256CBC]: ['SHA-384', 96, 64],
    [CipherSuiteId.COSEAES256CTR]: ['SHA-384', 96, 64],
  };
  t.equal(CIPHER_SUITES.length, Object.keys(expect).length);
  for (const suite of CIPHER_SUITES) {
    const [prf, bytes, goFdo] = expect[suite.id]!;
    t.equal(kdfPrf(suite), prf, `${suite.name} PRF`);
    t.equal(keyMaterialLength(suite), bytes, `${suite.name} key material`);
    t.equal(keyMaterialLength(suite, KEY_LAYOUTS['go-fdo']), goFdo, `${suite.name} key material (go-fdo layout)`);
  }
  t.throws(() => cipherSuite(30), InvalidMessageError, 'deprecated AES-CCM-16-128-128 is refused');
  t.throws(() => cipherSuite('A128GCM'), InvalidMessageError);
});

t.test('key split: SVK‖SEK by default, SEK‖SVK for the PRI and go-fdo layouts', async (t) => {
  const suite = cipherSuite(CipherSuiteId.COSEAES128CTR);
  const material = Uint8Array.from({ length: 48 }, (_, i) => i);
  const spec = splitKeyMaterial(suite, material);
  t.same(spec.svk, material.subarray(0, 32));
  t.same(spec.sek, material.subarray(32));
  const pri = splitKeyMaterial(suite, material, KEY_LAYOUTS.pri);
  t.same(pri.sek, material.subarray(0, 16));
  t.same(pri.svk, material.subarray(16));
  const go = splitKeyMaterial(suite, material.subarray(0, 32), KEY_LAYOUTS['go-fdo']);
  t.same(go.sek, material.subarray(0, 16));
  t.same(go.svk, material.subarray(16, 32));
  t.same(splitKeyMaterial(cipherSuite(3), material.subarray(0, 32)), { sek: material.subarray(0, 32) });
  t.throws(() => splitKeyMaterial(suite, material.subarray(0, 47)), RangeError);
});

for (const provider of providers) {
  for (const suite of CIPHER_SUITES) {
    t.test(`${suite.name} session (${provider.name})`, async (t) => {
      const [owner, device] = pair(provider, suite);
      for (const text of ['', 'x', 'TO2.OwnerServiceInfoReady: sixteen+ bytes of CBOR body', 'y'.repeat(1300)]) {
        const m = utf8(text);
        t.same(device.decrypt(owner.encrypt(m)), m, `owner → device, ${m.length} bytes`);
        t.same(owner.decrypt(device.encrypt(m)), m, `device → owner, ${m.length} bytes`);
      }
      const body = utf8('a TO2 message body');
      const wire = owner.encrypt(body);
      const outer = decode(wire) as Tag;
      if (suite.kind === 'aead') {
        t.equal(outer.tag, 16, 'COSE_Encrypt0, tag 16');
        const enc0 = CoseEncrypt0.fromCbor(outer);
        t.equal(enc0.protectedHeaders.get(1), suite.id, 'alg is the suite id, protected');
        t.equal(enc0.iv.length, suite.encryption.ivLength, 'IV length');
        // Flipped ciphertext, tag (last byte) and IV.
        const ct = enc0.ciphertext!;
        for (const [what, mutated] of [
          ['ciphertext', new CoseEncrypt0(enc0.protectedBytes, enc0.protectedHeaders, enc0.unprotected, flip(ct, 0))],
          [
            'tag',
            new CoseEncrypt0(enc0.protectedBytes, enc0.protectedHeaders, enc0.unprotected, flip(ct, ct.length - 1)),
          ],
          ['IV', new CoseEncrypt0(enc0.protectedBytes, enc0.protectedHeaders, new Map([[5, flip(enc0.iv, 0)]]), ct)],
        ] as const) {
          t.throws(() => device.decrypt(mutated.encode()), InvalidMessageError, `flipped ${what}`);
        }
      } else {
        t.equal(outer.tag, 17, 'COSE_Mac0, tag 17');
        const mac0 = CoseMac0.fromCbor(outer);
        t.equal(mac0.alg, suite.mac, 'HMAC alg');
        t.equal(mac0.tag.length, suite.mac.tagLength);
        const innerValue = decode(mac0.payload!);
        t.ok(Array.isArray(innerValue), 'ETMInnerBlock is an untagged COSE_Encrypt0 in the payload');
        const inner = CoseEncrypt0.fromCbor(innerValue);
        t.equal(inner.protectedHeaders.get(1), suite.id, 'AESPlainType is the FDO id');
        t.equal(inner.iv.length, 16);
        const reMac = (e: CoseEncrypt0) =>
          new CoseMac0(
            mac0.protectedBytes,
            mac0.protectedHeaders,
            mac0.unprotected,
            encode(e.untaggedCbor()),
            mac0.tag,
          ).encode();
        const ct = inner.ciphertext!;
        t.throws(
          () =>
            device.decrypt(
              reMac(new CoseEncrypt0(inner.protectedBytes, inner.protectedHeaders, inner.unprotected, flip(ct, 0))),
            ),
          InvalidMessageError,
          'flipped ciphertext',
        );
        t.throws(
          () =>
            device.decrypt(
              reMac(
                new CoseEncrypt0(inner.protectedBytes, inner.protectedHeaders, new Map([[5, flip(inner.iv, 15)]]), ct),
              ),
            ),
          InvalidMessageError,
          'flipped IV',
        );
        t.throws(() => device.decrypt(flip(wire, wire.length - 1)), InvalidMessageError, 'flipped MAC');
      }
      const [stranger] = pair(provider, suite);
      t.throws(() => stranger.decrypt(wire), InvalidMessageError, 'another session key');
      t.throws(() => device.decrypt(wire.subarray(0, wire.length - 1)), MessageBodyError, 'truncated');
      t.throws(() => device.decrypt(utf8('not cbor at all')), MessageBodyError, 'not CBOR');
      t.throws(() => device.decrypt(encode([1, 2, 3])), MessageBodyError, 'wrong structure');
    });
  }
}

t.test('a message of another suite is refused', async (t) => {
  const [a128] = pair(nodeCrypto, cipherSuite(CipherSuiteId.A128GCM));
  const [ccm] = pair(nodeCrypto, cipherSuite(CipherSuiteId.AES_CCM_64_128_128));
  const [ctr] = pair(nodeCrypto, cipherSuite(CipherSuiteId.COSEAES128CTR));
  t.throws(() => ccm.decrypt(a128.encrypt(utf8('x'))), InvalidMessageError, 'GCM message to a CCM session');
  t.throws(() => ctr.decrypt(a128.encrypt(utf8('x'))), MessageBodyError, 'Encrypt0 where a Mac0 is expected');
  t.throws(() => a128.decrypt(ctr.encrypt(utf8('x'))), MessageBodyError, 'Mac0 where an Encrypt0 is expected');
});

t.test('AES-CTR: per-session nonce, counter advances by blocks used, state persists', async (t) => {
  for (const provider of providers) {
    const suite = cipherSuite(CipherSuiteId.COSEAES256CTR);
    const keys = splitKeyMaterial(suite, provider.randomBytes(keyMaterialLength(suite)));
    const owner = createSessionCrypto(provider, suite, keys);
    const device = createSessionCrypto(provider, suite, keys);
    const ivOf = (wire: Uint8Array) => CoseEncrypt0.decode(CoseMac0.decode(wire).payload!).iv;
    const counterOf = (iv: Uint8Array) => new DataView(iv.buffer, iv.byteOffset).getUint32(12);
    const ivs = [utf8('0123456789abcdefXYZ'), utf8('short'), new Uint8Array(0), utf8('z'.repeat(33))].map((m) => {
      const wire = owner.encrypt(m);
      t.same(device.decrypt(wire), m);
      return ivOf(wire);
    });
    t.same(ivs.map(counterOf), [0, 2, 3, 4], `${provider.name}: counter 0, +2 blocks, +1, +1 (empty), then 33 bytes`);
    t.ok(
      ivs.every((iv) => Buffer.from(iv.subarray(0, 12)).equals(Buffer.from(ivs[0]!.subarray(0, 12)))),
      'same nonce',
    );
    const state = owner.ctrState()!;
    t.equal(state.counter, 7);
    const restored = createSessionCrypto(provider, suite, keys, { ctr: state });
    t.equal(counterOf(ivOf(restored.encrypt(utf8('next')))), 7, 'a restored session continues the counter');
    t.not(
      Buffer.from(device.ctrState()!.nonce).toString('hex'),
      Buffer.from(state.nonce).toString('hex'),
      'each side draws its own nonce',
    );
    const exhausted = createSessionCrypto(provider, suite, keys, { ctr: { nonce: state.nonce, counter: 2 ** 32 - 1 } });
    t.throws(() => exhausted.encrypt(utf8('two blocks of plaintext, >16 B')), { name: 'InternalServerError' });
  }
});

t.test('AES-CBC: a fresh random IV per message', async (t) => {
  const [owner, device] = pair(nodeCrypto, cipherSuite(CipherSuiteId.COSEAES128CBC));
  const a = owner.encrypt(utf8('same'));
  const b = owner.encrypt(utf8('same'));
  const ivOf = (wire: Uint8Array) =>
    Buffer.from(CoseEncrypt0.decode(CoseMac0.decode(wire).payload!).iv).toString('hex');
  t.not(ivOf(a), ivOf(b));
  t.same(device.decrypt(b), utf8('same'));
  t.equal(owner.ctrState(), undefined);
});

t.test('accepts the go-fdo shape: RFC 9459 alg id in the unprotected bucket, tagged inner block', async (t) => {
  const suite = cipherSuite(CipherSuiteId.COSEAES128CTR);
  const keys = splitKeyMaterial(suite, nodeCrypto.randomBytes(keyMaterialLength(suite)));
  const inner = CoseEncrypt0.encrypt(nodeCrypto, {
    alg: encryptionAlgorithm(-65534), // A128CTR (RFC 9459)
    key: keys.sek,
    plaintext: utf8('from go-fdo'),
    algHeader: 'unprotected',
  });
  const wire = CoseMac0.create(nodeCrypto, { alg: HMAC_256, key: keys.svk!, payload: inner.encode() }).encode();
  t.same(createSessionCrypto(nodeCrypto, suite, keys).decrypt(wire), utf8('from go-fdo'));
});

t.test('key checks', async (t) => {
  const suite = cipherSuite(CipherSuiteId.COSEAES128CBC);
  t.throws(() => createSessionCrypto(nodeCrypto, suite, { sek: new Uint8Array(16) }), RangeError, 'SVK missing');
  t.throws(() => createSessionCrypto(nodeCrypto, 1, { sek: new Uint8Array(32) }), RangeError, 'SEK size');
  t.throws(
    () => createSessionCrypto(nodeCrypto, 31, { sek: new Uint8Array(32) }),
    InvalidMessageError,
    'unknown suite',
  );
});
