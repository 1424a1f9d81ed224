import { readFileSync } from 'node:fs';
import t from 'tap';
import { decode, encode, equal, rawArrayItems } from '../../src/cbor/index.js';
import { generateKeyPair, nodeCrypto, pemBlocks } from '../../src/crypto/index.js';
import { MessageBodyError } from '../../src/errors.js';
import { formatGuid } from '../../src/types/guid.js';
import { Hash, HashType } from '../../src/types/hash.js';
import { OVEntry, OVEntryPayload } from '../../src/types/ov-entry.js';
import { OVHeader } from '../../src/types/ov-header.js';
import { PkEnc, PkType, PublicKey } from '../../src/types/public-key.js';
import { RendezvousInfo } from '../../src/types/rv-info.js';

const vectors = new URL('../../../../../shared/interop/go-fdo/', import.meta.url);
const voucherItems = (file: string) => rawArrayItems(pemBlocks(readFileSync(new URL(file, vectors), 'utf8'))[0]!.der);

t.test('interop headers decode with their exact bytes kept', async (t) => {
  const h = OVHeader.decode(decode(voucherItems('ov.pem')[1]!) as Uint8Array);
  t.equal(h.protVer, 101);
  t.equal(h.deviceInfo, 'go.fdo.example');
  t.equal(formatGuid(h.guid), '66b2146f-fec5-3ca6-ad01-7625990572ce');
  t.equal(h.publicKey.type, PkType.SECP384R1);
  t.equal(h.publicKey.encoding, PkEnc.X509);
  t.equal(h.certChainHash?.type, HashType.SHA384);
  t.equal(h.rvInfo.directives.length, 2);
  const inner = decode(voucherItems('ov.pem')[1]!) as Uint8Array;
  t.ok(equal(h.bytes, inner));

  const x = OVHeader.decode(decode(voucherItems('ov_extended.pem')[1]!) as Uint8Array);
  t.equal(x.deviceInfo, 'I am a virtual FIDO Alliance device!');
  t.equal(x.publicKey.type, PkType.RSA2048RESTR);
  t.equal(x.certChainHash?.type, HashType.SHA256);
});

t.test('interop entries decode; payload fields and exact bytes', async (t) => {
  const entries = rawArrayItems(voucherItems('ov_extended.pem')[4]!);
  t.equal(entries.length, 6);
  for (const [i, bytes] of entries.entries()) {
    const e = OVEntry.decode(bytes, `entry ${i}`);
    t.ok(equal(e.bytes, bytes));
    t.ok(equal(e.sign1.encode(), bytes), 'COSE_Sign1 re-encodes identically');
    t.equal(e.payload.prevHash.alg, 'SHA-256');
    t.equal(e.payload.extra, null);
    t.equal(e.payload.publicKey.type, PkType.RSA2048RESTR);
  }
});

t.test('create encodes once and round-trips', async (t) => {
  const key = PublicKey.fromDer(generateKeyPair('ec256').publicKey);
  const guid = nodeCrypto.randomBytes(16);
  const h = OVHeader.create({
    guid,
    rvInfo: RendezvousInfo.fromUrls('http://rv.example:8040'),
    deviceInfo: 'test-device',
    publicKey: key,
    certChainHash: null,
  });
  t.equal(h.protVer, 101);
  t.equal(h.certChainHash, null);
  const again = OVHeader.decode(h.bytes);
  t.ok(equal(again.guid, guid));
  t.ok(again.publicKey.sameKey(key));
  t.same(again.rvInfo.describe(), ['http://rv.example:8040']);
});

t.test('decode rejects bad headers with MessageBodyError naming the field', async (t) => {
  const key = PublicKey.fromDer(generateKeyPair('ec256').publicKey).toCbor();
  const good = [101, new Uint8Array(16), [[[5, encode('x')]]], 'd', key, null];
  t.ok(OVHeader.decode(encode(good)));
  const bad = (i: number, v: unknown) => encode(good.map((g, j) => (j === i ? v : g)));
  t.throws(() => OVHeader.decode(bad(0, 100)), { message: /OVHProtVer: protocol version 100/ });
  t.throws(() => OVHeader.decode(bad(1, new Uint8Array(15))), { message: /OVGuid/ });
  t.throws(() => OVHeader.decode(bad(3, 7)), { message: /OVDeviceInfo/ });
  t.throws(() => OVHeader.decode(bad(4, [11, 1, key[2]])), { message: /OVPubKey: key does not match pkType/ });
  t.throws(() => OVHeader.decode(bad(5, [-16, new Uint8Array(3)])), { message: /OVDevCertChainHash/ });
  t.throws(() => OVHeader.decode(encode(good.slice(0, 5))), MessageBodyError);
});

t.test('OVEntryPayload create with OVEExtra', async (t) => {
  const pk = PublicKey.fromDer(generateKeyPair('ec384').publicKey, PkEnc.COSEKEY);
  const h = Hash.compute(nodeCrypto, 'SHA-384', new Uint8Array(1));
  const p = OVEntryPayload.create({
    prevHash: h,
    hdrInfoHash: h,
    extra: new Map([[-1, Uint8Array.of(1, 2)]]),
    publicKey: pk,
  });
  const back = OVEntryPayload.decode(p.bytes);
  t.same(back.extra, new Map([[-1, Uint8Array.of(1, 2)]]));
  t.ok(back.publicKey.sameKey(pk));
  t.equal(back.publicKey.encoding, PkEnc.COSEKEY);
  const badExtra = encode([h.toCbor(), h.toCbor(), encode(new Map([[1, 'text']])), pk.toCbor()]);
  t.throws(() => OVEntryPayload.decode(badExtra), { message: /OVEExtra\[1\]/ });
});
