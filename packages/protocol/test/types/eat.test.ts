import t from 'tap';
import { decode, encode, Tag } from '../../src/cbor/codec.js';
import { signatureAlgorithmByName } from '../../src/cose/algorithms.js';
import { HeaderLabel } from '../../src/cose/headers.js';
import { CoseSign1 } from '../../src/cose/sign1.js';
import { generateKeyPair } from '../../src/crypto/keys.js';
import { nodeCrypto } from '../../src/crypto/node.js';
import { MessageBodyError } from '../../src/errors.js';
import { EatClaim, EntityAttestationToken, ueidOf } from '../../src/types/eat.js';

const device = generateKeyPair('ec256');
const guid = new Uint8Array(16).fill(7);
const nonce = new Uint8Array(16).fill(1);
const setupNonce = new Uint8Array(16).fill(2);
const alg = signatureAlgorithmByName('ES256');

t.test('§3.3.8 EAT: sign, decode, verify', async (t) => {
  const eat = EntityAttestationToken.sign(nodeCrypto, {
    alg,
    key: device.privateKey,
    guid,
    nonce,
    fdo: [new Uint8Array([9, 9])],
    euphNonce: setupNonce,
  });
  const bytes = eat.encode();
  const back = EntityAttestationToken.decode(bytes);
  t.same(back.guid, guid);
  t.same(back.nonce, nonce);
  t.same(back.fdo, [new Uint8Array([9, 9])]);
  t.same(back.euphNonce, setupNonce);
  t.equal(back.maroePrefix, null);
  t.ok(back.isFor(guid));
  t.ok(back.verify(nodeCrypto, device.publicKey));
  t.notOk(back.verify(nodeCrypto, generateKeyPair('ec256').publicKey));
  t.same(back.encode(), bytes);
  const claims = decode(back.sign1.payload!) as Map<number, unknown>;
  t.same(claims.get(EatClaim.Ueid), ueidOf(guid));
  t.equal((claims.get(EatClaim.Ueid) as Uint8Array)[0], 1);
});

t.test('EAT without EAT-FDO, with MAROE prefix, inside a CWT tag', async (t) => {
  const eat = EntityAttestationToken.sign(nodeCrypto, {
    alg,
    key: device.privateKey,
    guid,
    nonce,
    maroePrefix: new Uint8Array([1]),
  });
  t.equal(eat.fdo, undefined);
  t.equal(eat.euphNonce, null);
  t.same(eat.maroePrefix, new Uint8Array([1]));
  const wrapped = encode(new Tag(eat.toCbor(), 61));
  t.same(EntityAttestationToken.decode(wrapped).nonce, nonce);
});

t.test('bad claims are message body errors', async (t) => {
  const make = (claims: unknown, unprotected = new Map()) =>
    CoseSign1.sign(nodeCrypto, { alg, key: device.privateKey, payload: encode(claims), unprotected });
  const cases: [string, CoseSign1][] = [
    ['payload not a map', make([1])],
    ['no UEID', make(new Map([[10, nonce]]))],
    [
      'short UEID',
      make(
        new Map<number, unknown>([
          [10, nonce],
          [256, guid],
        ]),
      ),
    ],
    [
      'UEID type byte',
      make(
        new Map<number, unknown>([
          [10, nonce],
          [256, new Uint8Array(17)],
        ]),
      ),
    ],
    [
      'short nonce',
      make(
        new Map<number, unknown>([
          [10, new Uint8Array(15)],
          [256, ueidOf(guid)],
        ]),
      ),
    ],
    [
      'bad EUPHNonce',
      make(
        new Map<number, unknown>([
          [10, nonce],
          [256, ueidOf(guid)],
        ]),
        new Map([[HeaderLabel.EUPHNonce, 5]]),
      ),
    ],
  ];
  for (const [name, s] of cases) t.throws(() => EntityAttestationToken.fromSign1(s), MessageBodyError, name);
  const detached = new CoseSign1(new Uint8Array(0), new Map(), new Map(), null, new Uint8Array(0));
  t.throws(() => EntityAttestationToken.fromSign1(detached), MessageBodyError);
});
