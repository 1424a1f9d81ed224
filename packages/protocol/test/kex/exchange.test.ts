// Key exchange (FDO 1.1 §3.6): every suite, both roles, both providers, stored owner state, bad input.
import t from 'tap';
import { generateKeyPair, nobleCrypto, nodeCrypto, type CryptoProvider, type KeyPair } from '../../src/crypto/index.js';
import { InternalServerError, InvalidMessageError, MessageBodyError } from '../../src/errors.js';
import {
  beginOwner,
  decodeEcdhParam,
  encodeEcdhParam,
  finishOwner,
  kexSuite,
  KEX_SUITE_NAMES,
  KEX_SUITES,
  MODP14_PRIME,
  parseOwnerState,
  respondDevice,
  type KexOwnerState,
  type KexSuiteName,
} from '../../src/kex/index.js';

const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytesOf = (n: bigint, size: number) => new Uint8Array(Buffer.from(n.toString(16).padStart(2 * size, '0'), 'hex'));
const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

const rsa: Record<2048 | 3072, KeyPair> = { 2048: generateKeyPair('rsa2048'), 3072: generateKeyPair('rsa3072') };
const ownerKeyFor = (name: KexSuiteName): KeyPair | undefined =>
  name === 'ASYMKEX2048' ? rsa[2048] : name === 'ASYMKEX3072' ? rsa[3072] : undefined;

/** ShSe and ContextRand sizes per suite (§3.6.2–§3.6.4). */
const SIZES: Record<KexSuiteName, [number, number]> = {
  ECDH256: [32 + 16 + 16, 0],
  ECDH384: [48 + 48 + 48, 0],
  DHKEXid14: [256, 0],
  DHKEXid15: [384, 0],
  ASYMKEX2048: [32, 32],
  ASYMKEX3072: [96, 96],
};

/** The owner state as a database would return it. */
const stored = (state: KexOwnerState): KexOwnerState => JSON.parse(JSON.stringify(state)) as KexOwnerState;

const pairs: [CryptoProvider, CryptoProvider][] = [
  [nodeCrypto, nodeCrypto],
  [nobleCrypto, nobleCrypto],
  [nodeCrypto, nobleCrypto],
  [nobleCrypto, nodeCrypto],
];

for (const name of KEX_SUITE_NAMES) {
  t.test(`${name}: owner and device derive the same ShSe and ContextRand`, async (t) => {
    const ownerKey = ownerKeyFor(name);
    for (const [owner, device] of pairs) {
      const { xA, state } = beginOwner(owner, name);
      const dev = respondDevice(device, name, xA, ownerKey?.publicKey);
      const own = finishOwner(owner, stored(state), dev.xB, ownerKey?.privateKey);
      const label = `owner ${owner.name}, device ${device.name}`;
      t.equal(toHex(own.shSe), toHex(dev.shSe), `ShSe, ${label}`);
      t.equal(toHex(own.contextRand), toHex(dev.contextRand), `ContextRand, ${label}`);
      t.same([own.shSe.length, own.contextRand.length], SIZES[name], `sizes, ${label}`);
    }
  });
}

t.test('ECDH: wire layout and ShSe = X ‖ DeviceRandom ‖ OwnerRandom (§3.6.3)', async (t) => {
  for (const [name, n, r] of [
    ['ECDH256', 32, 16],
    ['ECDH384', 48, 48],
  ] as const) {
    const { xA, state } = beginOwner(nodeCrypto, name);
    t.equal(xA.length, 6 + 2 * n + r);
    t.same([...xA.subarray(0, 2)], [0, n], 'blen(X) is 16-bit big-endian');
    t.same([...xA.subarray(2 + n, 4 + n)], [0, n]);
    t.same([...xA.subarray(4 + 2 * n, 6 + 2 * n)], [0, r]);
    const dev = respondDevice(nobleCrypto, name, xA);
    const ownerRandom = decodeEcdhParam(KEX_SUITES[name], xA, 'xA').random;
    const deviceRandom = decodeEcdhParam(KEX_SUITES[name], dev.xB, 'xB').random;
    t.equal(toHex(dev.shSe.subarray(n)), toHex(concat(deviceRandom, ownerRandom)));
    t.equal(toHex(finishOwner(nodeCrypto, state, dev.xB).shSe), toHex(dev.shSe));
  }
});

t.test('ECDH: malformed or invalid xA / xB are typed errors', async (t) => {
  const suite = KEX_SUITES.ECDH256;
  const { xA, state } = beginOwner(nodeCrypto, 'ECDH256');
  const good = decodeEcdhParam(suite, respondDevice(nodeCrypto, 'ECDH256', xA).xB, 'xB');
  const offCurveY = Uint8Array.from(good.y);
  offCurveY[31]! ^= 1;
  const cases: [string, Uint8Array, typeof MessageBodyError | typeof InvalidMessageError][] = [
    ['empty', new Uint8Array(0), MessageBodyError],
    ['truncated', encodeEcdhParam(good).subarray(0, 85), MessageBodyError],
    ['truncated in a length', encodeEcdhParam(good).subarray(0, 1), MessageBodyError],
    ['trailing byte', concat(encodeEcdhParam(good), Uint8Array.of(0)), MessageBodyError],
    ['15-byte random', encodeEcdhParam({ ...good, random: good.random.subarray(1) }), MessageBodyError],
    ['48-byte random on ECDH256', encodeEcdhParam({ ...good, random: new Uint8Array(48) }), MessageBodyError],
    ['33-byte X', encodeEcdhParam({ ...good, x: concat(Uint8Array.of(1), good.x) }), MessageBodyError],
    ['empty Y', encodeEcdhParam({ ...good, y: new Uint8Array(0) }), MessageBodyError],
    ['point off the curve', encodeEcdhParam({ ...good, y: offCurveY }), InvalidMessageError],
    [
      'P-384 point on ECDH256',
      respondDevice(nodeCrypto, 'ECDH384', beginOwner(nodeCrypto, 'ECDH384').xA).xB,
      MessageBodyError,
    ],
  ];
  for (const p of [nodeCrypto, nobleCrypto]) {
    for (const [what, bad, type] of cases) {
      t.throws(() => finishOwner(p, state, bad), type, `${p.name}: xB ${what}`);
      t.throws(() => respondDevice(p, 'ECDH256', bad), type, `${p.name}: xA ${what}`);
    }
  }
});

t.test('ECDH: coordinates with a sign byte (Java BigInteger) are read as unsigned', async (t) => {
  const { xA, state } = beginOwner(nodeCrypto, 'ECDH256');
  const dev = respondDevice(nodeCrypto, 'ECDH256', xA);
  const p = decodeEcdhParam(KEX_SUITES.ECDH256, dev.xB, 'xB');
  const signed = encodeEcdhParam({ ...p, x: concat(Uint8Array.of(0), p.x) });
  t.equal(toHex(finishOwner(nobleCrypto, state, signed).shSe), toHex(dev.shSe));
});

t.test('DH: out-of-range or malformed public values are typed errors', async (t) => {
  const { xA, state } = beginOwner(nodeCrypto, 'DHKEXid14');
  t.equal(xA.length, 256, 'xA is sent at the modulus size');
  const cases: [string, Uint8Array, typeof MessageBodyError | typeof InvalidMessageError][] = [
    ['empty', new Uint8Array(0), MessageBodyError],
    ['longer than p', concat(Uint8Array.of(1), new Uint8Array(256)), MessageBodyError],
    ['0', Uint8Array.of(0), InvalidMessageError],
    ['1', Uint8Array.of(1), InvalidMessageError],
    ['p - 1', bytesOf(MODP14_PRIME - 1n, 256), InvalidMessageError],
    ['p', bytesOf(MODP14_PRIME, 256), InvalidMessageError],
    ['p + 1', bytesOf(MODP14_PRIME + 1n, 256), InvalidMessageError],
  ];
  for (const p of [nodeCrypto, nobleCrypto]) {
    for (const [what, bad, type] of cases) {
      t.throws(() => finishOwner(p, state, bad), type, `${p.name}: xB ${what}`);
      t.throws(() => respondDevice(p, 'DHKEXid14', bad), type, `${p.name}: xA ${what}`);
    }
  }
  // Minimal (go-fdo) and sign-byte (PRI) encodings of the same value agree with the padded one.
  const dev = respondDevice(nodeCrypto, 'DHKEXid14', xA);
  let minimal = dev.xB;
  while (minimal[0] === 0) minimal = minimal.subarray(1);
  t.equal(toHex(finishOwner(nodeCrypto, state, minimal).shSe), toHex(dev.shSe));
  t.equal(toHex(finishOwner(nodeCrypto, state, concat(Uint8Array.of(0), dev.xB)).shSe), toHex(dev.shSe));
  t.equal(finishOwner(nodeCrypto, state, Uint8Array.of(2)).shSe.length, 256, 'ShSe is padded to the modulus');
});

t.test('ASYMKEX: wrong sizes, wrong keys and bad ciphertexts are typed errors', async (t) => {
  const { xA, state } = beginOwner(nodeCrypto, 'ASYMKEX2048');
  t.equal(xA.length, 32);
  const ec = generateKeyPair('ec256');
  t.throws(() => respondDevice(nodeCrypto, 'ASYMKEX2048', xA.subarray(1), rsa[2048].publicKey), MessageBodyError);
  t.throws(() => respondDevice(nodeCrypto, 'ASYMKEX2048', xA, ec.publicKey), InvalidMessageError, 'EC owner key');
  t.throws(() => respondDevice(nodeCrypto, 'ASYMKEX2048', xA, rsa[3072].publicKey), InvalidMessageError, 'RSA-3072');
  t.throws(() => respondDevice(nodeCrypto, 'ASYMKEX2048', xA), TypeError, 'no owner key');
  const dev = respondDevice(nobleCrypto, 'ASYMKEX2048', xA, rsa[2048].publicKey);
  t.equal(toHex(dev.contextRand), toHex(xA), 'ContextRand = OwnerRandom');
  t.equal(dev.xB.length, 256);
  const flipped = Uint8Array.from(dev.xB);
  flipped[100]! ^= 1;
  t.throws(() => finishOwner(nodeCrypto, state, flipped, rsa[2048].privateKey), InvalidMessageError);
  t.throws(() => finishOwner(nodeCrypto, state, dev.xB.subarray(1), rsa[2048].privateKey), MessageBodyError);
  // checkKexSuite (pairing.ts) keeps an RSA-3072 owner off ASYMKEX2048; if it gets here, decryption fails.
  t.throws(() => finishOwner(nodeCrypto, state, dev.xB, rsa[3072].privateKey), InvalidMessageError, 'other key');
  t.throws(() => finishOwner(nodeCrypto, state, dev.xB), TypeError, 'no owner key');
  // A 16-byte random encrypted to the owner: decrypts, but is not an ASYMKEX2048 DeviceRandom.
  const short = nodeCrypto.rsaOaepEncrypt(rsa[2048].publicKey, new Uint8Array(16));
  t.throws(() => finishOwner(nodeCrypto, state, short, rsa[2048].privateKey), InvalidMessageError);
});

t.test('owner state: JSON only, and corruption is an internal error', async (t) => {
  for (const name of KEX_SUITE_NAMES) {
    const { state } = beginOwner(nodeCrypto, name);
    t.same(stored(state), state, `${name} state survives JSON`);
    t.same(Object.keys(state).sort(), ['secret', 'suite', 'xA']);
  }
  for (const bad of [
    null,
    'x',
    {},
    { suite: 'ECDH999', xA: '', secret: '' },
    { suite: 'ECDH256', xA: 'zz', secret: '' },
  ]) {
    t.throws(() => parseOwnerState(bad), InternalServerError);
  }
  t.throws(
    () => finishOwner(nodeCrypto, { suite: 'ECDH256', xA: '00', secret: '' }, new Uint8Array(0)),
    MessageBodyError,
  );
});

t.test('suite names: unknown names are MessageBodyError', async (t) => {
  t.equal(kexSuite('ECDH384').kind, 'ecdh');
  for (const bad of ['ECDH521', 'ecdh256', '', 'toString', '__proto__']) {
    t.throws(() => kexSuite(bad), MessageBodyError, JSON.stringify(bad));
    t.throws(() => beginOwner(nodeCrypto, bad), MessageBodyError);
  }
});
