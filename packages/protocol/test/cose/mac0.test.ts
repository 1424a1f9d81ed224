import t from 'tap';
import { toHex } from '../../src/cbor/bytes.js';
import { decode, encode } from '../../src/cbor/codec.js';
import { bodyProtected, CoseMac0, HMAC_256, HMAC_384, macAlgorithm, macStructure } from '../../src/cose/index.js';
import { MessageBodyError } from '../../src/errors.js';
import { algOf, b64url, extraHeaders, hex, providers, utf8, vectors, type CoseWgStructure } from './cose-wg.js';

/** HMAC 256/256 and 384/384 are FDO's (FDO 1.1 §4.4); 256/64 (4) and 512/512 (7) are not. */
const FDO_MACS = new Set([5, 6]);

const suites = [...vectors('mac0-tests'), ...vectors('hmac-examples', /^HMac-enc-/)];

for (const provider of providers) {
  t.test(`COSE_Mac0 vectors (${provider.name})`, async (t) => {
    for (const [name, v] of suites) {
      const s = v.input['mac0'] as CoseWgStructure;
      const alg = algOf(s);
      const source = `cose-wg ${name}`;
      if (!v.fail && alg.id !== undefined && !FDO_MACS.has(alg.id)) {
        t.skip(`${source}: alg ${alg.id} is not used by FDO`, () => {});
        continue;
      }
      t.test(source, async (t) => {
        const key = b64url(s.recipients![0]!.key['k']!);
        const aad = s.external === undefined ? new Uint8Array(0) : hex(s.external);
        const expected = hex(v.output.cbor);
        if (v.fail) {
          let accepted = false;
          try {
            accepted = CoseMac0.decode(expected).verify(provider, key, aad);
          } catch (err) {
            t.type(err, MessageBodyError, 'malformed input is a MessageBodyError');
          }
          t.notOk(accepted, 'rejected');
          return;
        }
        const mac0 = CoseMac0.decode(expected);
        t.ok(mac0.verify(provider, key, aad), 'expected output verifies');
        t.same(mac0.payload, utf8(v.input.plaintext), 'payload');
        if (v.intermediates?.ToMac_hex !== undefined) {
          t.equal(
            toHex(macStructure(bodyProtected(mac0), aad, mac0.payload!)),
            v.intermediates.ToMac_hex.toLowerCase(),
          );
        }
        t.notOk(
          mac0.verify(
            provider,
            key.map((b, i) => (i === 0 ? b ^ 1 : b)),
            aad,
          ),
          'another key fails',
        );
        if (v.input.failures === undefined) {
          const ours = CoseMac0.create(provider, {
            alg: macAlgorithm(alg.id),
            key,
            payload: utf8(v.input.plaintext),
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

t.test('CoseMac0 create/verify round trip and strictness', async (t) => {
  for (const provider of providers) {
    for (const alg of [HMAC_256, HMAC_384]) {
      const key = provider.randomBytes(alg.tagLength);
      const payload = utf8('FDO 1.1 §4.4 ETMOuterBlock');
      const mac0 = CoseMac0.create(provider, { alg, key, payload });
      t.equal(mac0.tag.length, alg.tagLength);
      const decoded = CoseMac0.decode(mac0.encode());
      t.ok(decoded.verify(provider, key), `${provider.name} ${alg.name} verifies`);
      t.same(decoded.protectedBytes, mac0.protectedBytes);
      t.notOk(decoded.verify(provider, key, utf8('x')), 'external AAD is bound');
      const tampered = new CoseMac0(
        decoded.protectedBytes,
        decoded.protectedHeaders,
        decoded.unprotected,
        payload,
        decoded.tag.map((b, i) => (i === 5 ? b ^ 0x80 : b)),
      );
      t.notOk(tampered.verify(provider, key), 'a flipped tag bit fails');
      const short = new CoseMac0(
        decoded.protectedBytes,
        decoded.protectedHeaders,
        decoded.unprotected,
        payload,
        decoded.tag.subarray(0, 16),
      );
      t.notOk(short.verify(provider, key), 'a truncated tag fails');
    }
  }
  t.throws(() => CoseMac0.decode(encode([new Uint8Array(0), new Map(), null])), MessageBodyError, 'wrong arity');
  t.throws(() => macAlgorithm(4), MessageBodyError, 'HMAC 256/64 is not accepted');
  const both = encode([encode(new Map([[1, 5]])), new Map([[1, 5]]), new Uint8Array(1), new Uint8Array(32)]);
  t.throws(() => CoseMac0.decode(both).alg, MessageBodyError, 'alg in both buckets is malformed');
  t.type(
    decode(
      CoseMac0.create(providers[0]!, { alg: HMAC_256, key: new Uint8Array(32), payload: new Uint8Array(0) }).encode(),
    ),
    'object',
  );
});
