import t, { type Test } from 'tap';
import { equal, rawArrayItems } from '../../../src/cbor/index.js';
import { signatureAlgorithmByName } from '../../../src/cose/algorithms.js';
import { nodeCrypto, type KeyKind } from '../../../src/crypto/index.js';
import { ErrorCode } from '../../../src/errors.js';
import { encodeTO0OwnerSign, makeTo0d, MsgType, To1d } from '../../../src/messages/index.js';
import {
  FdoPeerError,
  keyFingerprint,
  runTO0,
  sendTO0Hello,
  to0Responder,
  type To0TrustPolicy,
} from '../../../src/phases/index.js';
import { Hash } from '../../../src/types/hash.js';
import { PublicKey } from '../../../src/types/public-key.js';
import { RVTO2Addr } from '../../../src/types/rvto2addr.js';
import { extendVoucher, OwnershipVoucher } from '../../../src/voucher/index.js';
import { keyPair, LoopbackTransport, makeDevice, MemoryRegistry, MemorySealer, type TestDevice } from './fixtures.js';

const owner = [RVTO2Addr.fromUrl('https://owner.example:8443'), RVTO2Addr.fromUrl('http://192.0.2.7:8042')];

function rendezvous(options: { maxWaitSeconds?: number; trust?: To0TrustPolicy; now?: () => number } = {}) {
  const registry = new MemoryRegistry();
  const now = options.now ?? Date.now;
  const responder = to0Responder({
    crypto: nodeCrypto,
    sealer: new MemorySealer(now),
    registrations: registry,
    maxWaitSeconds: options.maxWaitSeconds ?? 3600,
    now,
    ...(options.trust === undefined ? {} : { trust: options.trust }),
  });
  return { registry, session: () => new LoopbackTransport(responder) };
}

/** TO0.OwnerSign built by hand, so that a test can get any part wrong. */
function ownerSign(
  device: TestDevice,
  nonce: Uint8Array,
  opts: { voucher?: OwnershipVoucher; signer?: TestDevice['ownerKey']; hashOver?: Uint8Array; wait?: number } = {},
) {
  const voucher = opts.voucher ?? device.voucher;
  const signer = opts.signer ?? device.ownerKey;
  const to0d = makeTo0d(voucher.encode(), opts.wait ?? 600, nonce);
  const alg = PublicKey.fromDer(signer.publicKey).signatureAlg;
  const to1d = To1d.sign(nodeCrypto, signatureAlgorithmByName(alg), signer.privateKey, {
    rv: owner,
    to0dHash: Hash.compute(nodeCrypto, 'SHA-256', opts.hashOver ?? to0d.bytes),
  });
  return encodeTO0OwnerSign({ to0d, to1d });
}

async function refused(t: Test, p: Promise<unknown>, code: number, message: RegExp) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  t.type(err, FdoPeerError);
  const em = (err as FdoPeerError).error;
  t.equal(em.code, code, `error ${code}`);
  t.match(em.message, message);
  return em;
}

t.test('FDO 1.1 §5.3: TO0 with owner keys of each type stores only what TO1 needs', async (t) => {
  for (const kind of ['ec256', 'ec384', 'rsa2048', 'rsa3072'] as KeyKind[]) {
    await t.test(kind, async (t) => {
      const device = await makeDevice({ ownerKind: kind });
      const { registry, session } = rendezvous({ maxWaitSeconds: 3600 });
      const transport = session();
      const before = Date.now();
      const result = await runTO0(transport, {
        crypto: nodeCrypto,
        voucher: device.voucher,
        ownerKey: device.ownerKey.privateKey,
        addresses: owner,
        waitSeconds: 120,
      });
      t.equal(result.waitSeconds, 120, 'asked for less than the maximum: granted as asked');
      t.same(
        transport.sent.map((m) => [m.msgType, m.token === undefined]),
        [
          [20, true],
          [22, false],
        ],
        'Hello carries no token; OwnerSign carries the one HelloAck set',
      );
      const reg = registry.registrations.values().next().value!;
      t.equal(registry.registrations.size, 1);
      t.ok(equal(reg.guid, device.guid));
      t.ok(equal(reg.to1d, rawArrayItems(transport.sent[1]!.body)[1]!), 'to1d stored exactly as received');
      t.ok(equal(reg.deviceKey.spki, device.deviceKey.publicKey.spki), 'device key from the certificate chain');
      t.equal(reg.ownerKeyFingerprint, keyFingerprint(nodeCrypto, device.ownerKey.publicKey));
      t.ok(equal(reg.voucherHeaderHash, nodeCrypto.digest('SHA-256', device.voucher.header.bytes)));
      t.ok(equal(reg.voucherEntryHash, nodeCrypto.digest('SHA-256', device.voucher.entries[0]!.bytes)));
      t.equal(reg.waitSeconds, 120);
      t.ok(reg.expiresAt.getTime() >= before + 120_000 && reg.expiresAt.getTime() <= Date.now() + 120_000);
      t.notOk('voucher' in reg, 'the voucher is not kept');
      const to1d = To1d.fromCbor(decodeTagged(reg.to1d));
      t.ok(to1d.verify(nodeCrypto, device.ownerKey.publicKey), 'to1d signed by the owner key');
      t.same(
        to1d.payload.rv.map((a) => a.toUrl()),
        owner.map((a) => a.toUrl()),
      );
    });
  }
});

import { decode } from '../../../src/cbor/codec.js';
const decodeTagged = (b: Uint8Array): unknown => decode(b);

t.test('WaitSeconds granted is min(asked, maximum); a new registration replaces the old', async (t) => {
  const device = await makeDevice();
  const { registry, session } = rendezvous({ maxWaitSeconds: 300 });
  const first = await runTO0(session(), {
    crypto: nodeCrypto,
    voucher: device.voucher,
    ownerKey: device.ownerKey.privateKey,
    addresses: [owner[0]!],
  });
  t.equal(first.waitSeconds, 300, 'default request (uint32 max) is capped');
  const second = await runTO0(session(), {
    crypto: nodeCrypto,
    voucher: device.voucher,
    ownerKey: device.ownerKey.privateKey,
    addresses: [owner[1]!],
    waitSeconds: 60,
  });
  t.equal(second.waitSeconds, 60);
  t.equal(registry.registrations.size, 1);
  const reg = registry.registrations.values().next().value!;
  t.equal(reg.waitSeconds, 60);
  t.equal(To1d.fromCbor(decode(reg.to1d)).payload.rv[0]!.toUrl(), owner[1]!.toUrl());
});

t.test('refused with the right error, and nothing stored', async (t) => {
  const device = await makeDevice();
  const { registry, session } = rendezvous();

  await t.test('a voucher whose chain does not end at the to1d signer: error 3', async (t) => {
    const s = session();
    const nonce = await sendTO0Hello(s);
    const other = keyPair('ec256');
    await refused(
      t,
      s.send(MsgType.TO0OwnerSign, ownerSign(device, nonce, { signer: other })),
      ErrorCode.InvalidOwnerSignBody,
      /not signed by the voucher's owner key/,
    );
    // Signed by the manufacturer: a key of the chain, but not the last one.
    const s2 = session();
    const nonce2 = await sendTO0Hello(s2);
    await refused(
      t,
      s2.send(MsgType.TO0OwnerSign, ownerSign(device, nonce2, { signer: device.manufacturerKey })),
      ErrorCode.InvalidOwnerSignBody,
      /not signed by the voucher's owner key/,
    );
  });

  await t.test('a voucher that does not verify: error 2', async (t) => {
    const bytes = Buffer.from(device.voucher.encode());
    const sig = device.voucher.entries[0]!.sign1.signature;
    bytes[bytes.indexOf(Buffer.from(sig)) + 5]! ^= 0x01;
    const tampered = OwnershipVoucher.decode(bytes);
    const s = session();
    const nonce = await sendTO0Hello(s);
    await refused(
      t,
      s.send(MsgType.TO0OwnerSign, ownerSign(device, nonce, { voucher: tampered })),
      ErrorCode.InvalidOwnershipVoucher,
      /entry 0: signature does not verify/,
    );
    const s2 = session();
    const nonce2 = await sendTO0Hello(s2);
    await refused(
      t,
      s2.send(
        MsgType.TO0OwnerSign,
        ownerSign(device, nonce2, { voucher: device.unextended, signer: device.manufacturerKey }),
      ),
      ErrorCode.InvalidOwnershipVoucher,
      /has no entries: extend it/,
    );
  });

  await t.test('a wrong nonce: error 101', async (t) => {
    const s = session();
    await sendTO0Hello(s);
    await refused(
      t,
      s.send(MsgType.TO0OwnerSign, ownerSign(device, nodeCrypto.randomBytes(16))),
      ErrorCode.InvalidMessageError,
      /NonceTO0Sign is not the nonce this session issued/,
    );
  });

  await t.test('to1dTo0dHash that does not match to0d: error 3', async (t) => {
    const s = session();
    const nonce = await sendTO0Hello(s);
    await refused(
      t,
      s.send(MsgType.TO0OwnerSign, ownerSign(device, nonce, { hashOver: Uint8Array.of(1, 2, 3) })),
      ErrorCode.InvalidOwnerSignBody,
      /to1dTo0dHash does not match/,
    );
  });

  await t.test('WaitSeconds 0: error 3', async (t) => {
    const s = session();
    const nonce = await sendTO0Hello(s);
    await refused(
      t,
      s.send(MsgType.TO0OwnerSign, ownerSign(device, nonce, { wait: 0 })),
      ErrorCode.InvalidOwnerSignBody,
      /WaitSeconds is 0/,
    );
  });

  await t.test('no token, a forged token, a malformed body', async (t) => {
    const s = session();
    const nonce = await sendTO0Hello(s);
    const body = ownerSign(device, nonce);
    const noToken = new LoopbackTransport(s.responder);
    await refused(t, noToken.send(MsgType.TO0OwnerSign, body), ErrorCode.InvalidJwtToken, /no session token/);
    noToken.token = 'forged';
    await refused(t, noToken.send(MsgType.TO0OwnerSign, body), ErrorCode.InvalidJwtToken, /session token refused/);
    await refused(t, s.send(MsgType.TO0OwnerSign, Uint8Array.of(0x82, 0x01)), ErrorCode.MessageBodyError, /./);
    await refused(t, s.send(MsgType.TO0Hello, Uint8Array.of(0x81, 0x01)), ErrorCode.MessageBodyError, /TO0.Hello/);
  });

  t.equal(registry.registrations.size, 0, 'nothing stored');
  t.equal(registry.usedNonces.size, 0, 'no nonce spent');
});

t.test('a replayed OwnerSign (its nonce already used) cannot roll a registration back', async (t) => {
  const device = await makeDevice();
  const { registry, session } = rendezvous();
  const first = session();
  await runTO0(first, {
    crypto: nodeCrypto,
    voucher: device.voucher,
    ownerKey: device.ownerKey.privateKey,
    addresses: [owner[0]!],
    waitSeconds: 600,
  });
  await runTO0(session(), {
    crypto: nodeCrypto,
    voucher: device.voucher,
    ownerKey: device.ownerKey.privateKey,
    addresses: [owner[1]!],
    waitSeconds: 600,
  });
  const replay = new LoopbackTransport(first.responder);
  replay.token = first.sent[1]!.token;
  await refused(
    t,
    replay.send(MsgType.TO0OwnerSign, first.sent[1]!.body),
    ErrorCode.InvalidJwtToken,
    /already complete/,
  );
  const reg = registry.registrations.values().next().value!;
  t.equal(To1d.fromCbor(decode(reg.to1d)).payload.rv[0]!.toUrl(), owner[1]!.toUrl(), 'the newer registration stays');
});

t.test('an expired session token is refused (error 1)', async (t) => {
  let clock = Date.now();
  const device = await makeDevice();
  const { session } = rendezvous({ now: () => clock });
  const s = session();
  const nonce = await sendTO0Hello(s);
  clock += 121_000;
  await refused(t, s.send(MsgType.TO0OwnerSign, ownerSign(device, nonce)), ErrorCode.InvalidJwtToken, /expired/);
});

t.test('the trust policy refuses an owner with error 3 and its reason', async (t) => {
  const trusted = keyPair('ec256');
  const policy: To0TrustPolicy = {
    async evaluate(c) {
      return c.ownerKey.sameKey(PublicKey.fromDer(trusted.publicKey)) ? null : 'owner key is not on the allow-list';
    },
  };
  const { registry, session } = rendezvous({ trust: policy });
  const stranger = await makeDevice();
  await refused(
    t,
    runTO0(session(), {
      crypto: nodeCrypto,
      voucher: stranger.voucher,
      ownerKey: stranger.ownerKey.privateKey,
      addresses: owner,
    }),
    ErrorCode.InvalidOwnerSignBody,
    /^owner key is not on the allow-list$/,
  );
  t.equal(registry.registrations.size, 0);
  const friend = await makeDevice({ ownerKey: trusted });
  await runTO0(session(), {
    crypto: nodeCrypto,
    voucher: friend.voucher,
    ownerKey: trusted.privateKey,
    addresses: owner,
  });
  t.equal(registry.registrations.size, 1);
});

t.test('the owner client refuses to sign with a key the voucher does not name', async (t) => {
  const device = await makeDevice();
  const { session } = rendezvous();
  await t.rejects(
    runTO0(session(), {
      crypto: nodeCrypto,
      voucher: device.voucher,
      ownerKey: keyPair('ec256').privateKey,
      addresses: owner,
    }),
    /not the key named by the last entry/,
  );
  await t.rejects(
    runTO0(session(), {
      crypto: nodeCrypto,
      voucher: device.unextended,
      ownerKey: device.manufacturerKey.privateKey,
      addresses: owner,
    }),
    /has no entries/,
  );
  const next = keyPair('ec256');
  const twice = extendVoucher(
    nodeCrypto,
    device.voucher,
    device.ownerKey.privateKey,
    PublicKey.fromDer(next.publicKey),
  );
  const r = await runTO0(session(), {
    crypto: nodeCrypto,
    voucher: twice,
    ownerKey: next.privateKey,
    addresses: owner,
  });
  t.equal(r.waitSeconds, 3600, 'a voucher extended twice registers with its last owner key');
});
