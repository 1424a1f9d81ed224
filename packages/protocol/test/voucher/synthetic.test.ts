import t from 'tap';
import { encode, equal } from '../../src/cbor/index.js';
import {
  generateKeyPair,
  nodeCrypto,
  privateKeyToPem,
  toPem,
  type KeyKind,
  type KeyPair,
} from '../../src/crypto/index.js';
import { createPrivateKey } from 'node:crypto';
import { Hash, HMac } from '../../src/types/hash.js';
import { OVHeader } from '../../src/types/ov-header.js';
import { PkEnc, PublicKey } from '../../src/types/public-key.js';
import { RendezvousInfo } from '../../src/types/rv-info.js';
import {
  extendVoucher,
  OwnershipVoucher,
  readVoucherPem,
  verifyVoucher,
  voucherToPem,
} from '../../src/voucher/index.js';

const secret = nodeCrypto.randomBytes(32);

function manufacture(kind: KeyKind, opts: { certChainHash?: Hash | null; certChain?: Uint8Array[] | null } = {}) {
  const mfg = generateKeyPair(kind);
  const header = OVHeader.create({
    guid: nodeCrypto.randomBytes(16),
    rvInfo: RendezvousInfo.fromUrls('https://rv.example.com'),
    deviceInfo: 'synthetic-device',
    publicKey: PublicKey.fromDer(mfg.publicKey),
    certChainHash: opts.certChainHash ?? null,
  });
  // DI.SetHMAC: the device computes the HMAC with its secret (§5.2.3).
  const hmac = HMac.compute(nodeCrypto, 'SHA-256', secret, header.bytes);
  return { mfg, ov: OwnershipVoucher.create({ header, hmac, certChain: opts.certChain ?? null }) };
}

t.test('a fresh voucher verifies with the device secret and round-trips', async (t) => {
  const { ov } = manufacture('ec256');
  const r = verifyVoucher(nodeCrypto, ov, { hmacSecret: secret });
  t.equal(r.entryCount, 0);
  const back = OwnershipVoucher.decode(ov.encode());
  t.ok(equal(back.encode(), ov.encode()));
  t.ok(equal(back.header.bytes, ov.header.bytes));
});

t.test('extended three times across P-256, P-384 and RSA owners', async (t) => {
  const { mfg, ov } = manufacture('ec256');
  const owners: KeyPair[] = [generateKeyPair('ec384'), generateKeyPair('rsa2048'), generateKeyPair('ec256')];
  let v = ov;
  let signer = mfg.privateKey;
  for (const o of owners) {
    v = extendVoucher(nodeCrypto, v, signer, PublicKey.fromDer(o.publicKey), null, { allowMixedKeyTypes: true });
    signer = o.privateKey;
  }
  t.same(
    v.entries.map((e) => e.sign1.alg.name),
    ['ES256', 'ES384', 'RS256'],
  );
  const back = OwnershipVoucher.decode(v.encode());
  const r = verifyVoucher(nodeCrypto, back, { hmacSecret: secret, allowMixedKeyTypes: true });
  t.equal(r.entryCount, 3);
  t.equal(r.hashAlg, 'SHA-256');
  t.ok(r.ownerPublicKey.sameKey(PublicKey.fromDer(owners[2]!.publicKey)));
  t.throws(() => verifyVoucher(nodeCrypto, back), { message: /^entry 0: owner key type EC P-384 differs/ });
  const sig = back.entries[1]!.sign1.signature;
  const tampered = Buffer.from(back.encode());
  tampered[tampered.indexOf(Buffer.from(sig)) + 3]! ^= 0x80;
  t.throws(() => verifyVoucher(nodeCrypto, OwnershipVoucher.decode(tampered), { allowMixedKeyTypes: true }), {
    message: 'entry 1: signature does not verify with the key of entry 0',
  });
});

t.test('same-type chains: P-384 with SHA-384, RSA 3072 with RS384, COSE_Key and OVEExtra', async (t) => {
  const { mfg, ov } = manufacture('ec384');
  const a = generateKeyPair('ec384');
  const b = generateKeyPair('ec384');
  const v1 = extendVoucher(nodeCrypto, ov, mfg.privateKey, PublicKey.fromDer(a.publicKey, PkEnc.COSEKEY), null, {
    hashAlg: 'SHA-384',
  });
  const extra = new Map([[1, Uint8Array.of(9, 9)]]);
  const v2 = extendVoucher(nodeCrypto, v1, a.privateKey, PublicKey.fromDer(b.publicKey), extra, { hashAlg: 'SHA-256' });
  t.equal(v2.entries[1]!.payload.prevHash.alg, 'SHA-384', 'later entries keep entry 0 algorithm');
  t.same(OwnershipVoucher.decode(v2.encode()).entries[1]!.payload.extra, extra);
  t.ok(verifyVoucher(nodeCrypto, v2, { hmacSecret: secret }));

  const rsa = manufacture('rsa3072');
  const next = generateKeyPair('rsa3072');
  const r1 = extendVoucher(nodeCrypto, rsa.ov, rsa.mfg.privateKey, PublicKey.fromDer(next.publicKey));
  t.equal(r1.entries[0]!.sign1.alg.name, 'RS384');
  t.ok(verifyVoucher(nodeCrypto, r1));
});

t.test('more than 23 entries (two-byte array head) re-encode identically', async (t) => {
  const { mfg, ov } = manufacture('ec256');
  let v = ov;
  let signer = mfg.privateKey;
  for (let i = 0; i < 25; i++) {
    const next = generateKeyPair('ec256');
    v = extendVoucher(nodeCrypto, v, signer, PublicKey.fromDer(next.publicKey));
    signer = next.privateKey;
  }
  const bytes = v.encode();
  const back = OwnershipVoucher.decode(bytes);
  t.ok(equal(back.encode(), bytes));
  t.equal(verifyVoucher(nodeCrypto, back).entryCount, 25);
});

t.test('certificate chain and OVDevCertChainHash must both be present or both null', async (t) => {
  const fakeChain = [Uint8Array.of(0x30, 1, 2, 3)];
  const h = Hash.compute(nodeCrypto, 'SHA-256', fakeChain[0]!);
  t.ok(verifyVoucher(nodeCrypto, manufacture('ec256', { certChainHash: h, certChain: fakeChain }).ov));
  t.throws(() => verifyVoucher(nodeCrypto, manufacture('ec256', { certChainHash: h }).ov), {
    message: 'OVDevCertChainHash is set but OVDevCertChain is null',
  });
  t.throws(() => verifyVoucher(nodeCrypto, manufacture('ec256', { certChain: fakeChain }).ov), {
    message: 'OVDevCertChain is present but OVDevCertChainHash is null',
  });
});

t.test('PEM: bundles and a trailing private key under any of the three labels', async (t) => {
  const one = manufacture('ec256');
  const two = manufacture('rsa2048');
  const bundle = voucherToPem(one.ov) + voucherToPem(two.ov);
  const r = readVoucherPem(bundle);
  t.equal(r.vouchers.length, 2);
  t.equal(r.privateKey, null);
  t.ok(equal(r.vouchers[1]!.encode(), two.ov.encode()));

  const pkcs8 = one.mfg.privateKey.pkcs8;
  const sec1 = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' }).export({
    format: 'der',
    type: 'sec1',
  });
  const pkcs1 = createPrivateKey({ key: Buffer.from(two.mfg.privateKey.pkcs8), format: 'der', type: 'pkcs8' }).export({
    format: 'der',
    type: 'pkcs1',
  });
  const cases: [string, Uint8Array][] = [
    [privateKeyToPem(one.mfg.privateKey), pkcs8],
    [toPem('EC PRIVATE KEY', sec1), pkcs8],
    [toPem('EC PRIVATE KEY', pkcs8), pkcs8],
    [toPem('RSA PRIVATE KEY', pkcs1), two.mfg.privateKey.pkcs8],
    [toPem('RSA PRIVATE KEY', two.mfg.privateKey.pkcs8), two.mfg.privateKey.pkcs8],
  ];
  for (const [keyPem, expected] of cases) {
    const got = readVoucherPem(voucherToPem(one.ov) + keyPem).privateKey;
    t.ok(got !== null && equal(got.pkcs8, expected), keyPem.split('\n')[0]!);
  }
  t.throws(() => readVoucherPem(privateKeyToPem(one.mfg.privateKey)), { message: /no OWNERSHIP VOUCHER block/ });
  t.throws(() => readVoucherPem(voucherToPem(one.ov) + cases[0]![0] + cases[1]![0]), {
    message: /more than one private key/,
  });
  t.throws(() => readVoucherPem(toPem('OWNERSHIP VOUCHER', encode([1, 2]))), { name: 'MessageBodyError' });
});
