import { readFileSync } from 'node:fs';
import t from 'tap';
import { decode, encode } from '../../src/cbor/index.js';
import { generateKeyPair, nodeCrypto, pemBlocks, type KeyKind } from '../../src/crypto/index.js';
import { MessageBodyError } from '../../src/errors.js';
import { formatGuid, parseGuid } from '../../src/types/guid.js';
import { Hash, hashAlgFor, HMac, HashType } from '../../src/types/hash.js';
import { PkEnc, PkType, PublicKey, keyFromCoseKey, coseKeyOf } from '../../src/types/public-key.js';
import { SigInfo, SgType } from '../../src/types/sig-info.js';

const interop = new URL('../../../../../shared/interop/go-fdo/', import.meta.url);

const kinds: [KeyKind, PkType, string][] = [
  ['ec256', PkType.SECP256R1, 'ES256'],
  ['ec384', PkType.SECP384R1, 'ES384'],
  ['rsa2048', PkType.RSAPKCS, 'RS256'],
  ['rsa3072', PkType.RSAPKCS, 'RS384'],
];

t.test('FDO 1.1 §3.3.4 PublicKey: X509 and COSEKEY encodings round-trip for every key kind', async (t) => {
  for (const [kind, type, alg] of kinds) {
    const { publicKey } = generateKeyPair(kind);
    for (const enc of [PkEnc.X509, PkEnc.COSEKEY]) {
      const pk = PublicKey.fromDer(publicKey, enc);
      t.equal(pk.type, type, `${kind} pkType`);
      const bytes = encode(pk.toCbor());
      const back = PublicKey.fromCborChecked(decode(bytes));
      t.same(Buffer.from(back.toDer().spki), Buffer.from(publicKey.spki), `${kind} enc ${enc} same key`);
      t.same(Buffer.from(encode(back.toCbor())), Buffer.from(bytes), `${kind} enc ${enc} byte-identical`);
      t.equal(back.signatureAlg, alg);
    }
  }
});

t.test('RSA pkTypes RSA2048RESTR and RSAPSS', async (t) => {
  const { publicKey } = generateKeyPair('rsa2048');
  const restr = PublicKey.fromDer(publicKey, PkEnc.X509, PkType.RSA2048RESTR);
  t.equal(restr.type, PkType.RSA2048RESTR);
  t.equal(restr.signatureAlg, 'RS256');
  const pss = PublicKey.fromDer(publicKey, PkEnc.X509, PkType.RSAPSS);
  t.equal(pss.signatureAlg, 'PS256');
  const big = PublicKey.fromDer(generateKeyPair('rsa3072').publicKey, PkEnc.X509, PkType.RSA2048RESTR);
  t.throws(
    () => PublicKey.fromCborChecked(decode(encode(big.toCbor()))),
    MessageBodyError,
    'RSA2048RESTR must be 2048 bits',
  );
});

t.test('X5CHAIN encoding takes the leaf certificate key (go-fdo ov.pem device chain)', async (t) => {
  const ov = decode(pemBlocks(readFileSync(new URL('ov.pem', interop), 'utf8'))[0]!.der) as unknown[];
  const chain = ov[3] as Uint8Array[];
  const pk = PublicKey.fromCertChain(chain);
  t.equal(pk.encoding, PkEnc.X5CHAIN);
  t.equal(pk.certChain?.length, chain.length);
  const back = PublicKey.fromCborChecked(decode(encode(pk.toCbor())));
  t.ok(back.sameKey(pk));
});

t.test('a key that does not match its pkType, or garbage, is a message body error', async (t) => {
  const p256 = PublicKey.fromDer(generateKeyPair('ec256').publicKey);
  const lying = [PkType.SECP384R1, PkEnc.X509, p256.body];
  t.throws(() => PublicKey.fromCborChecked(lying), MessageBodyError);
  t.throws(
    () => PublicKey.fromCborChecked([PkType.SECP256R1, PkEnc.X509, new Uint8Array([1, 2, 3])]),
    MessageBodyError,
  );
  t.throws(() => PublicKey.fromCbor([99, PkEnc.X509, new Uint8Array()]), MessageBodyError);
  t.throws(() => PublicKey.fromCbor([PkType.SECP256R1, 7, new Uint8Array()]), MessageBodyError);
  t.throws(() => keyFromCoseKey(new Map([[1, 9]])), MessageBodyError);
});

t.test('COSE_Key EC2 map carries kty, crv, x, y (RFC 8152 §13.1.1)', async (t) => {
  const { publicKey } = generateKeyPair('ec256');
  const m = coseKeyOf(publicKey);
  t.equal(m.get(1), 2);
  t.equal(m.get(-1), 1);
  t.equal((m.get(-2) as Uint8Array).length, 32);
  t.equal((m.get(-3) as Uint8Array).length, 32);
});

t.test('FDO 1.1 §3.3.1 Hash/HMac encode, check their own lengths, and verify', async (t) => {
  const data = new TextEncoder().encode('abc');
  const h = Hash.compute(nodeCrypto, 'SHA-256', data);
  t.equal(
    Buffer.from(h.value).toString('hex'),
    'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    'FIPS 180-2 "abc"',
  );
  t.ok(Hash.fromCbor(decode(encode(h.toCbor()))).matches(nodeCrypto, data));
  t.throws(() => Hash.fromCbor([HashType.SHA384, h.value]), MessageBodyError, 'SHA-384 id with a 32-byte value');
  t.throws(() => Hash.fromCbor([HashType.HMAC_SHA256, h.value]), MessageBodyError, 'HMAC id in a Hash');
  const mac = HMac.compute(nodeCrypto, 'SHA-384', new Uint8Array(48), data);
  t.equal(mac.type, HashType.HMAC_SHA384);
  t.ok(HMac.fromCbor(decode(encode(mac.toCbor()))).verify(nodeCrypto, new Uint8Array(48), data));
  t.notOk(mac.verify(nodeCrypto, new Uint8Array(48).fill(1), data));
});

t.test('hash selection: SHA-384 only when both keys are of 384-bit strength (go-fdo rule)', async (t) => {
  const p256 = { kind: 'ec', curve: 'P-256' } as const;
  const p384 = { kind: 'ec', curve: 'P-384' } as const;
  t.equal(hashAlgFor(p256, p256), 'SHA-256');
  t.equal(hashAlgFor(p384, p256), 'SHA-256');
  t.equal(hashAlgFor(p384, p384), 'SHA-384');
  t.equal(hashAlgFor(p384, { kind: 'rsa', bits: 3072 }), 'SHA-384');
  t.equal(hashAlgFor({ kind: 'rsa', bits: 2048 }, p384), 'SHA-256');
});

t.test('Guid text form and SigInfo', async (t) => {
  const g = parseGuid('66b2146f-fec5-3ca6-ad01-76259905 72ce'.replace(' ', ''));
  t.equal(formatGuid(g), '66b2146f-fec5-3ca6-ad01-7625990572ce');
  t.same(parseGuid('66b2146ffec53ca6ad017625990572ce'), g);
  t.throws(() => parseGuid('not-a-guid'));
  const si = SigInfo.fromCbor(decode(encode(new SigInfo(SgType.ES384).toCbor())));
  t.equal(si.sgType, SgType.ES384);
  t.equal(si.info.length, 0);
  t.throws(() => SigInfo.fromCbor([12345, new Uint8Array()]), MessageBodyError);
});
