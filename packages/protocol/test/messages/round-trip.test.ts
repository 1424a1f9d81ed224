import t from 'tap';
import { decode, encode, Tag } from '../../src/cbor/codec.js';
import { nodeCrypto } from '../../src/crypto/node.js';
import {
  decodeDIAppStart,
  decodeErrorMessage,
  decodeMessage,
  decodeTO2OVNextEntry,
  deviceMfgInfoOf,
  encodeDIAppStart,
  encodeMessage,
  MESSAGE_CODECS,
  type MessageNumber,
} from '../../src/messages/index.js';
import { MESSAGE_TYPES, messageTypeInfo } from '../../src/messages/message-types.js';
import { MessageBodyError } from '../../src/errors.js';
import { PkType } from '../../src/types/public-key.js';
import { hex, plain } from './normalize.js';
import { guid, keys, MESSAGE_NUMBERS, nonces, ovEntry, ovHeader, sampleBodies, voucherBytes } from './fixtures.js';

const bodies = sampleBodies();

t.test('every message type has a codec and a table entry', async (t) => {
  t.same(
    MESSAGE_NUMBERS,
    MESSAGE_TYPES.map((m) => m.type),
  );
  t.same(Object.keys(MESSAGE_CODECS).map(Number), MESSAGE_NUMBERS);
  t.equal(MESSAGE_NUMBERS.length, 25);
  t.equal(messageTypeInfo(61)?.name, 'TO2.ProveOVHdr');
  t.same(
    MESSAGE_TYPES.filter((m) => m.encrypted).map((m) => m.type),
    [65, 66, 67, 68, 69, 70, 71],
  );
  t.equal(messageTypeInfo(255)?.protocol, 'Error');
  t.equal(messageTypeInfo(33)?.protocol, 'TO1');
});

t.test('every message round trips: encode → decode → same fields, decode → encode → same bytes', async (t) => {
  for (const type of MESSAGE_NUMBERS) {
    const body = bodies[type];
    const bytes = encodeMessage(type, body as never);
    const back = decodeMessage(type as MessageNumber, bytes);
    t.same(plain(back), plain(body), `${type} fields`);
    t.equal(hex(encodeMessage(type, back as never)), hex(bytes), `${type} bytes`);
    t.equal(hex(encode(decode(bytes))), hex(bytes), `${type} is preferred serialization`);
  }
});

t.test('kept bytes: headers, entries, to0d, signatures', async (t) => {
  const m11 = decodeMessage(11, encodeMessage(11, bodies[11]));
  t.equal(hex(m11.ovHeader.bytes), hex(ovHeader.bytes));
  const m22 = decodeMessage(22, encodeMessage(22, bodies[22]));
  t.equal(hex(m22.to0d.voucherBytes), hex(voucherBytes));
  t.ok(m22.to1d.payload.to0dHash.matches(nodeCrypto, m22.to0d.bytes), 'to1dTo0dHash covers to0d bytes');
  t.ok(m22.to1d.verify(nodeCrypto, keys.owner.publicKey));
  t.equal(m22.to1d.payload.rv[0]!.toUrl(), 'https://owner.example:8043');
  t.equal(m22.to0d.waitSeconds, 3600);
  const m33 = decodeMessage(33, encodeMessage(33, bodies[33]));
  t.ok(m33.to1d.verify(nodeCrypto, keys.owner.publicKey));
  const m32 = decodeMessage(32, encodeMessage(32, bodies[32]));
  t.ok(m32.eat.verify(nodeCrypto, keys.device.publicKey));
  t.same(m32.eat.guid, guid);
  const m61 = decodeMessage(61, encodeMessage(61, bodies[61]));
  t.ok(m61.sign1.verify(nodeCrypto, keys.owner.publicKey));
  t.same(m61.nonceTO2ProveDv, nonces.b);
  t.ok(m61.ownerPubKey.sameKey(bodies[61].ownerPubKey));
  t.equal(hex(m61.payload.ovHeader.bytes), hex(ovHeader.bytes));
  t.equal(m61.payload.maxOwnerMessageSize, 65535);
  const m63 = decodeTO2OVNextEntry(encodeMessage(63, bodies[63]));
  t.equal(hex(m63.entry.bytes), hex(ovEntry.bytes));
  const m64 = decodeMessage(64, encodeMessage(64, bodies[64]));
  t.ok(m64.eat.verify(nodeCrypto, keys.device.publicKey));
  t.same(m64.nonceTO2SetupDv, nonces.c);
  t.same(m64.eat.nonce, nonces.b);
  t.equal(m64.xBKeyExchange.length, 100);
  const m65 = decodeMessage(65, encodeMessage(65, bodies[65]));
  t.ok(m65.sign1.verify(nodeCrypto, keys.owner2.publicKey));
  t.same(m65.payload.rendezvousInfo.describe(), bodies[65].payload.rendezvousInfo.describe());
});

t.test('DI.AppStart: bstr-wrapped (go-fdo, Java), inline and null DeviceMfgInfo', async (t) => {
  const wrapped = encodeMessage(10, bodies[10]);
  t.ok(decode(wrapped) instanceof Array && (decode(wrapped) as unknown[])[0] instanceof Uint8Array);
  t.equal(deviceMfgInfoOf(decodeDIAppStart(wrapped)).serialNumber, 'SN-0001');
  const inlineBytes = encode([decode(bodies[10].mfgInfo!)]);
  const inline = decodeDIAppStart(inlineBytes);
  t.equal(inline.inline, true);
  t.equal(deviceMfgInfoOf(inline).keyType, PkType.SECP256R1);
  t.equal(hex(encodeDIAppStart(inline)), hex(inlineBytes));
  const nul = decodeDIAppStart(encode([null]));
  t.same(nul, { mfgInfo: null, inline: false });
  for (const m of [nul, { mfgInfo: encode(['x']), inline: false }]) {
    t.throws(() => deviceMfgInfoOf(m), {
      name: 'MessageBodyError',
      message: /DeviceMfgInfo/,
      fdoCode: 100,
      prevMsgType: 10,
    } as unknown as Error);
  }
});

t.test('DI.SetCredentials accepts an inline header and keeps its bytes', async (t) => {
  const bytes = encode([decode(ovHeader.bytes)]);
  t.equal(hex(decodeMessage(11, bytes).ovHeader.bytes), hex(ovHeader.bytes));
});

t.test('ErrorMessage: pri-fidoiot int, fdo-rs null, tag 1 and tag 0 timestamps', async (t) => {
  const java = encode([101, 61, 'Invalid message', 1700000000, 123456789]);
  t.same(decodeErrorMessage(java), {
    code: 101,
    prevMsgType: 61,
    message: 'Invalid message',
    timestamp: 1700000000,
    correlationId: 123456789,
  });
  const rs = encode([100, 60, 'err', null, null]);
  t.same(decodeErrorMessage(rs).timestamp, null);
  t.same(decodeErrorMessage(rs).correlationId, null);
  const tag1 = encode([1, 62, 'x', new Tag(1700000000, 1), 0]);
  t.same(decodeErrorMessage(tag1).timestamp, { utcInt: 1700000000 });
  t.equal(hex(encodeMessage(255, decodeErrorMessage(tag1))), hex(tag1));
  const tag0 = encode([1, 62, 'x', new Tag('2024-05-01T00:00:00Z', 0), 0]);
  t.same(decodeErrorMessage(tag0).timestamp, { utcStr: '2024-05-01T00:00:00Z' });
  t.equal(hex(encodeMessage(255, decodeErrorMessage(tag0))), hex(tag0));
  t.throws(() => decodeErrorMessage(encode([1, 62, 'x', new Tag(5, 0), 0])), MessageBodyError);
});
