import { readFileSync } from 'node:fs';
import t from 'tap';
import { decode, encode, equal, rawArrayItems } from '../../src/cbor/index.js';
import { nodeCrypto, pemBlocks, privateKeyInfo } from '../../src/crypto/index.js';
import { MessageBodyError } from '../../src/errors.js';
import { DeviceCredential, readFdoRsCredential } from '../../src/types/device-credential.js';
import { HMac } from '../../src/types/hash.js';
import { OVHeader } from '../../src/types/ov-header.js';

const vectors = new URL('../../../../../shared/interop/go-fdo/', import.meta.url);
const dcBin = new Uint8Array(readFileSync(new URL('dc.bin', vectors)));
const items = rawArrayItems(pemBlocks(readFileSync(new URL('ov.pem', vectors), 'utf8'))[0]!.der);
const header = OVHeader.decode(decode(items[1]!) as Uint8Array);
const hmac = HMac.fromCbor(decode(items[2]!));

t.test('fdo-rs dc.bin matches ov.pem', async (t) => {
  const { credential, privateKey } = readFdoRsCredential(dcBin);
  t.equal(credential.active, true);
  t.equal(credential.protVer, 101);
  t.equal(credential.deviceInfo, header.deviceInfo);
  t.ok(equal(credential.guid, header.guid));
  t.ok(equal(encode(credential.rvInfo.toCbor()), encode(header.rvInfo.toCbor())));
  t.equal(credential.hmacSecret.length, 32);
  t.ok(hmac.verify(nodeCrypto, credential.hmacSecret, header.bytes), 'header HMAC verifies with the secret');
  t.ok(credential.matchesManufacturerKey(nodeCrypto, header.publicKey), 'DCPubKeyHash names OVPubKey');
  t.same(privateKeyInfo(privateKey), { kind: 'ec', curve: 'P-256' });
});

t.test('spec DeviceCredential round-trips', async (t) => {
  const { credential } = readFdoRsCredential(dcBin);
  const bytes = credential.encode();
  const back = DeviceCredential.decode(bytes);
  t.ok(equal(back.encode(), bytes));
  t.ok(equal(back.hmacSecret, credential.hmacSecret));
  t.equal(back.pubKeyHash.alg, 'SHA-384');
  const arr = decode(bytes) as unknown[];
  t.equal(arr.length, 7);
  t.ok(arr[2] instanceof Uint8Array, 'DCHmacSecret is the third item');
  t.throws(() => DeviceCredential.decode(encode(arr.slice(0, 6))), MessageBodyError);
  t.throws(() => DeviceCredential.decode(encode([1, ...arr.slice(1)])), { message: /DCActive/ });
});

t.test('dc.bin reader rejects unknown key storage', async (t) => {
  const arr = decode(dcBin) as unknown[];
  const other = encode([...arr.slice(0, 6), new Map([['Tpm', new Map()]])]);
  t.throws(() => readFdoRsCredential(other), { message: /only "Plain"/ });
});
