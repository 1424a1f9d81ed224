// publicKeyObject builds plain P-256 keys from their coordinates (JWK) rather than parsing the DER (issue 8):
// the key must be the same one, refused points refused with DER parsing's own error, and the key info the same.
import { createPublicKey } from 'node:crypto';
import t from 'tap';
import {
  ecPublicKeyFromPoint,
  generateKeyPair,
  nodeCrypto,
  publicKeyInfo,
  publicKeyObject,
  storedKeyInfo,
  type KeyInfo,
  type KeyKind,
} from '../../src/crypto/index.js';

const derError = (spki: Uint8Array): string => {
  try {
    createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch (err) {
    return (err as Error).message;
  }
  return 'accepted';
};

t.test('every key kind: the same key as a DER parse gives, and the same facts about it', async (t) => {
  const expected: Partial<Record<KeyKind, KeyInfo>> = {
    ec256: { kind: 'ec', curve: 'P-256' },
    ec384: { kind: 'ec', curve: 'P-384' },
    rsa2048: { kind: 'rsa', bits: 2048 },
  };
  for (const kind of ['ec256', 'ec384', 'rsa2048'] as const) {
    const { privateKey, publicKey } = generateKeyPair(kind);
    const object = publicKeyObject({ spki: new Uint8Array(publicKey.spki) });
    const byDer = createPublicKey({ key: Buffer.from(publicKey.spki), format: 'der', type: 'spki' });
    t.ok(object.equals(byDer), `${kind}: equal to the DER-parsed key`);
    t.same([...object.export({ format: 'der', type: 'spki' })], [...publicKey.spki], `${kind}: exports the same SPKI`);
    t.same(object.asymmetricKeyDetails, byDer.asymmetricKeyDetails, `${kind}: same details`);
    t.same(publicKeyInfo(publicKey), expected[kind], `${kind}: publicKeyInfo`);
    t.same(storedKeyInfo({ spki: new Uint8Array(publicKey.spki) }), expected[kind], `${kind}: storedKeyInfo`);
    // And it verifies what the private half signed (a fresh copy of the bytes: no cached object).
    const data = new TextEncoder().encode(`signed by ${kind}`);
    const alg = kind === 'ec256' ? 'ES256' : kind === 'ec384' ? 'ES384' : 'RS256';
    const signature = nodeCrypto.sign(alg, privateKey, data);
    t.ok(nodeCrypto.verify(alg, { spki: new Uint8Array(publicKey.spki) }, data, signature), `${kind}: verifies`);
  }
});

t.test('P-256 points that are not on the curve are refused with the DER parser error', async (t) => {
  const { publicKey } = generateKeyPair('ec256');
  const spoilt = new Uint8Array(publicKey.spki);
  spoilt[spoilt.length - 1]! ^= 0x01;
  const zero = new Uint8Array(publicKey.spki);
  zero.fill(0, zero.length - 64);
  // x = p (out of range, and not a canonical coordinate)
  const xIsP = new Uint8Array(publicKey.spki);
  xIsP.set(Buffer.from('ffffffff00000001000000000000000000000000ffffffffffffffffffffffff', 'hex'), xIsP.length - 64);
  for (const [name, spki] of [
    ['a changed y', spoilt],
    ['(0, 0)', zero],
    ['x = p', xIsP],
  ] as const) {
    const message = derError(spki);
    t.not(message, 'accepted', `${name}: DER parsing refuses it`);
    t.throws(() => publicKeyObject({ spki }), { message }, `${name}: publicKeyObject`);
    t.throws(() => publicKeyInfo({ spki }), { message }, `${name}: publicKeyInfo`);
    t.notOk(nodeCrypto.verify('ES256', { spki }, new Uint8Array(1), new Uint8Array(64)), `${name}: verify is false`);
  }
  t.throws(() => ecPublicKeyFromPoint('P-256', spoilt.subarray(-64, -32), spoilt.subarray(-32)), 'from a point');
});

t.test('other SPKI forms of P-256 keys are parsed as DER', async (t) => {
  const { publicKey } = generateKeyPair('ec256');
  const x = publicKey.spki.subarray(-64, -32);
  const y = publicKey.spki.subarray(-32);
  // The compressed point (RFC 5480 §2.2 allows it): not the plain form, so DER parsing reads it.
  const compressed = Uint8Array.from([
    ...Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex'),
    2 + (y[31]! & 1),
    ...x,
  ]);
  const object = publicKeyObject({ spki: compressed });
  t.ok(object.equals(publicKeyObject(publicKey)), 'the same key');
  t.same(publicKeyInfo({ spki: compressed }), { kind: 'ec', curve: 'P-256' });
  t.same(storedKeyInfo({ spki: compressed }), { kind: 'ec', curve: 'P-256' });
  // Whatever DER parsing makes of these (a trailing byte after the SPKI; the P-256 prefix with a P-384
  // sized point and the other way round), publicKeyObject makes the same.
  const p384 = generateKeyPair('ec384').publicKey.spki;
  for (const [name, spki] of [
    ['a trailing byte', Uint8Array.from([...publicKey.spki, 0])],
    ['P-256 prefix, P-384 point', Uint8Array.from([...publicKey.spki.subarray(0, 27), ...p384.subarray(-96)])],
    ['P-384 prefix, P-256 point', Uint8Array.from([...p384.subarray(0, 24), ...publicKey.spki.subarray(-64)])],
  ] as const) {
    const message = derError(spki);
    if (message === 'accepted') {
      const byDer = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
      t.ok(publicKeyObject({ spki }).equals(byDer), `${name}: the key DER parsing reads`);
    } else {
      t.throws(() => publicKeyObject({ spki }), { message }, `${name}: refused as DER parsing refuses it`);
    }
  }
});
