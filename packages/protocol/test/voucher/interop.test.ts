import { readFileSync } from 'node:fs';
import t from 'tap';
import { encode, equal } from '../../src/cbor/index.js';
import { generateKeyPair, nodeCrypto, pemBlocks, privateKeyFromPem } from '../../src/crypto/index.js';
import { InvalidOwnershipVoucherError } from '../../src/errors.js';
import { readFdoRsCredential } from '../../src/types/device-credential.js';
import { PkType, PublicKey } from '../../src/types/public-key.js';
import {
  certChainHash,
  extendVoucher,
  OwnershipVoucher,
  readVoucherPem,
  verifyVoucher,
  voucherToPem,
} from '../../src/voucher/index.js';

const vectors = new URL('../../../../../shared/interop/go-fdo/', import.meta.url);
const text = (f: string) => readFileSync(new URL(f, vectors), 'utf8');
const der = (f: string) => pemBlocks(text(f))[0]!.der;
const { credential } = readFdoRsCredential(new Uint8Array(readFileSync(new URL('dc.bin', vectors))));
const secret = credential.hmacSecret;
const mfgKey = privateKeyFromPem(text('mfg_key.pem'));

/** A copy of `bytes` with one bit flipped at `offset` within the first occurrence of `needle`. */
function flip(bytes: Uint8Array, needle: Uint8Array, offset = 0): Uint8Array {
  const copy = Buffer.from(bytes);
  const at = copy.indexOf(Buffer.from(needle));
  if (at < 0) throw new Error('needle not found');
  copy[at + offset]! ^= 0x01;
  return new Uint8Array(copy);
}

t.test('every vector decodes and re-encodes byte for byte', async (t) => {
  for (const f of ['ov.pem', 'ov_extended.pem']) {
    const ov = OwnershipVoucher.decode(der(f));
    t.ok(equal(ov.encode(), der(f)), f);
    t.ok(equal(readVoucherPem(voucherToPem(ov)).vouchers[0]!.encode(), der(f)), `${f} via PEM`);
  }
});

t.test('ov.pem: header HMAC with the dc.bin secret, certificate chain hash, no entries', async (t) => {
  const ov = OwnershipVoucher.decode(der('ov.pem'));
  t.equal(ov.certChain?.length, 2);
  t.equal(ov.entries.length, 0);
  t.ok(ov.header.certChainHash!.equals(certChainHash(nodeCrypto, 'SHA-384', ov.certChain!)));
  const r = verifyVoucher(nodeCrypto, ov, { hmacSecret: secret });
  t.equal(r.hmacChecked, true);
  t.equal(r.hashAlg, null);
  t.ok(r.ownerPublicKey.sameKey(ov.header.publicKey), 'owner is the manufacturer');
  const wrong = Uint8Array.from(secret, (b) => b ^ 0xff);
  t.throws(() => verifyVoucher(nodeCrypto, ov, { hmacSecret: wrong }), {
    name: 'InvalidOwnershipVoucherError',
    message: 'header HMAC does not match the device secret',
  });
});

t.test('ov_extended.pem: six RS256 entries verify, chain of 3', async (t) => {
  const ov = OwnershipVoucher.decode(der('ov_extended.pem'));
  t.equal(ov.certChain?.length, 3);
  t.equal(ov.entries.length, 6);
  t.ok(ov.entries.every((e) => e.sign1.alg.name === 'RS256'));
  const r = verifyVoucher(nodeCrypto, ov);
  t.equal(r.hashAlg, 'SHA-256');
  t.equal(r.entryCount, 6);
  t.ok(r.ownerPublicKey.sameKey(ov.entries[5]!.payload.publicKey));
  t.ok(ov.ownerPublicKey.sameKey(r.ownerPublicKey));
});

t.test('extend ov.pem with the manufacturer key, twice, and verify', async (t) => {
  const ov = OwnershipVoucher.decode(der('ov.pem'));
  const owner1 = generateKeyPair('ec384');
  const owner2 = generateKeyPair('ec384');
  const one = extendVoucher(nodeCrypto, ov, mfgKey, PublicKey.fromDer(owner1.publicKey));
  t.equal(one.entries[0]!.sign1.alg.name, 'ES384');
  t.equal(one.entries[0]!.payload.prevHash.alg, 'SHA-384', 'first entry follows the header HMAC (HMAC-SHA384)');
  const two = extendVoucher(nodeCrypto, one, owner1.privateKey, PublicKey.fromDer(owner2.publicKey));
  const back = OwnershipVoucher.decode(two.encode());
  t.ok(equal(back.encode(), two.encode()));
  const r = verifyVoucher(nodeCrypto, back, { hmacSecret: secret });
  t.equal(r.entryCount, 2);
  t.ok(r.ownerPublicKey.sameKey(PublicKey.fromDer(owner2.publicKey)));
  // The original bytes are kept as a prefix: header, HMAC and chain are untouched.
  t.ok(equal(back.header.bytes, ov.header.bytes));

  t.throws(() => extendVoucher(nodeCrypto, one, mfgKey, PublicKey.fromDer(owner2.publicKey)), {
    name: 'InvalidOwnershipVoucherError',
    message: /signing key is not the current owner key, the key of entry 0/,
  });
  t.throws(() => extendVoucher(nodeCrypto, ov, mfgKey, PublicKey.fromDer(generateKeyPair('ec256').publicKey)), {
    message: /next owner key type EC P-256 differs from the manufacturer key type EC P-384/,
  });
  const mixed = extendVoucher(nodeCrypto, ov, mfgKey, PublicKey.fromDer(generateKeyPair('ec256').publicKey), null, {
    allowMixedKeyTypes: true,
  });
  t.throws(() => verifyVoucher(nodeCrypto, mixed), { message: /^entry 0: owner key type EC P-256 differs/ });
  t.ok(verifyVoucher(nodeCrypto, mixed, { allowMixedKeyTypes: true }));
});

t.test('extending ov_extended needs the last owner key', async (t) => {
  const ov = OwnershipVoucher.decode(der('ov_extended.pem'));
  const rsa = generateKeyPair('rsa2048');
  t.throws(() => extendVoucher(nodeCrypto, ov, rsa.privateKey, PublicKey.fromDer(rsa.publicKey)), {
    message: /not the current owner key, the key of entry 5/,
  });
  t.equal(ov.header.publicKey.type, PkType.RSA2048RESTR);
});

t.test('tampering is caught and named', async (t) => {
  const ext = der('ov_extended.pem');
  const ov = OwnershipVoucher.decode(ext);
  const check = (bytes: Uint8Array, message: string | RegExp, opts = {}) =>
    t.throws(() => verifyVoucher(nodeCrypto, OwnershipVoucher.decode(bytes), opts), {
      name: 'InvalidOwnershipVoucherError',
      message,
    });
  check(flip(ext, ov.header.guid), 'entry 0: OVEHashPrevEntry does not match the hash of OVHeader and OVHeaderHMac');
  check(flip(ext, ov.hmac.value, 5), 'entry 0: OVEHashPrevEntry does not match the hash of OVHeader and OVHeaderHMac');
  check(flip(ext, ov.certChain![1]!, 200), 'certificate chain hash does not match OVDevCertChainHash');
  check(
    flip(ext, ov.entries[3]!.payload.prevHash.value, 7),
    'entry 3: signature does not verify with the key of entry 2',
  );
  check(flip(ext, ov.entries[4]!.sign1.signature, 10), 'entry 4: signature does not verify with the key of entry 3');
  check(flip(ext, ov.entries[0]!.sign1.signature, 0), /^entry 0: signature does not verify with the manufacturer key/);

  const small = der('ov.pem');
  const ov1 = OwnershipVoucher.decode(small);
  const opts = { hmacSecret: secret };
  check(flip(small, ov1.header.guid, 3), 'header HMAC does not match the device secret', opts);
  check(
    flip(small, new TextEncoder().encode('go.fdo.example'), 2),
    'header HMAC does not match the device secret',
    opts,
  );
  check(flip(small, ov1.hmac.value, 47), 'header HMAC does not match the device secret', opts);
  check(flip(small, ov1.certChain![0]!, 300), 'certificate chain hash does not match OVDevCertChainHash', opts);
});

t.test('FDO 1.0 and unknown versions are rejected', async (t) => {
  const ov = OwnershipVoucher.decode(der('ov.pem'));
  const header10 = [100, ov.guid, ov.header.rvInfo.toCbor(), 'x', ov.header.publicKey.toCbor(), null];
  const v10 = encode([header10, ov.hmac.toCbor(), null, []]);
  t.throws(() => OwnershipVoucher.decode(v10), {
    name: 'InvalidOwnershipVoucherError',
    message: /^FDO 1\.0 voucher .* not supported; /,
  });
  t.throws(() => OwnershipVoucher.decode(encode([100, encode(header10), ov.hmac.toCbor(), null, []])), {
    message: /FDO 1\.0 voucher/,
  });
  t.throws(() => OwnershipVoucher.decode(encode([102, ov.header.bytes, ov.hmac.toCbor(), null, []])), {
    name: 'InvalidOwnershipVoucherError',
    message: /OVProtVer: protocol version 102/,
  });
  t.throws(() => OwnershipVoucher.decode(encode([101, ov.header.bytes, ov.hmac.toCbor(), null])), {
    name: 'MessageBodyError',
  });
  t.throws(() => OwnershipVoucher.decode(encode([101, ov.header.bytes, ov.hmac.toCbor(), [], []])), {
    message: /OVDevCertChain/,
  });
  t.ok(new InvalidOwnershipVoucherError('x').fdoCode === 2);
});
