import t, { type Test } from 'tap';
import { decode } from '../../../src/cbor/codec.js';
import { equal } from '../../../src/cbor/index.js';
import { signatureAlgorithmByName } from '../../../src/cose/algorithms.js';
import { nodeCrypto, nobleCrypto, type KeyKind } from '../../../src/crypto/index.js';
import { ErrorCode } from '../../../src/errors.js';
import { encodeTO1HelloRV, encodeTO1ProveToRV, MsgType, To1d } from '../../../src/messages/index.js';
import {
  FdoPeerError,
  runTO0,
  runTO1,
  sendTO1HelloRV,
  sigInfoFor,
  to0Responder,
  to1Responder,
  type To1ResponderOptions,
} from '../../../src/phases/index.js';
import { EntityAttestationToken } from '../../../src/types/eat.js';
import { formatGuid, type Guid } from '../../../src/types/guid.js';
import { RVTO2Addr } from '../../../src/types/rvto2addr.js';
import { SgType, SigInfo } from '../../../src/types/sig-info.js';
import {
  keyPair,
  LoopbackTransport,
  makeDevice,
  MemoryRegistry,
  MemorySealer,
  type TestDevice,
} from '../to0/fixtures.js';

const owner = [RVTO2Addr.fromUrl('https://owner.example:8443'), RVTO2Addr.fromUrl('http://[2001:db8::7]:8042')];

function rendezvous(
  options: Partial<Pick<To1ResponderOptions, 'replayGuard' | 'maxSealedTo1dBytes'>> & { now?: () => number } = {},
) {
  const registry = new MemoryRegistry();
  const now = options.now ?? Date.now;
  const sealer = new MemorySealer(now);
  const to0 = to0Responder({ crypto: nodeCrypto, sealer, registrations: registry, maxWaitSeconds: 3600, now });
  const to1 = to1Responder({ crypto: nodeCrypto, sealer, registrations: registry, now, ...options });
  const register = (device: TestDevice, waitSeconds = 600) =>
    runTO0(new LoopbackTransport(to0), {
      crypto: nodeCrypto,
      voucher: device.voucher,
      ownerKey: device.ownerKey.privateKey,
      addresses: owner,
      waitSeconds,
    });
  return { registry, register, device: () => new LoopbackTransport(to1) };
}

async function refused(t: Test, p: Promise<unknown>, code: number, message: RegExp, prev?: number) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  t.type(err, FdoPeerError);
  const em = (err as FdoPeerError).error;
  t.equal(em.code, code, `error ${code}`);
  t.match(em.message, message);
  if (prev !== undefined) t.equal(em.prevMsgType, prev);
  return em;
}

function proof(device: TestDevice, nonce: Uint8Array, key = device.deviceKey, guid: Guid = device.guid) {
  const eat = EntityAttestationToken.sign(nodeCrypto, {
    alg: signatureAlgorithmByName('ES256'),
    key: key.privateKey,
    guid,
    nonce,
  });
  return encodeTO1ProveToRV({ eat });
}

t.test('FDO 1.1 §5.4: TO0 then TO1 with owner keys of each type; the device learns its owner address', async (t) => {
  for (const kind of ['ec256', 'ec384', 'rsa2048', 'rsa3072'] as KeyKind[]) {
    await t.test(kind, async (t) => {
      const device = await makeDevice({ ownerKind: kind });
      const rv = rendezvous();
      await rv.register(device);
      const transport = rv.device();
      const result = await runTO1(transport, { credential: device.credential, deviceKey: device.deviceKey.privateKey });
      t.same(
        result.addresses.map((a) => a.toUrl()),
        owner.map((a) => a.toUrl()),
      );
      t.ok(result.to1d.verify(nodeCrypto, device.ownerKey.publicKey), 'to1d verifies with the owner key');
      const stored = rv.registry.registrations.values().next().value!;
      t.ok(equal(result.to1d.encode(), stored.to1d), 'RVRedirect is the to1d as registered');
      t.same(
        transport.sent.map((m) => [m.msgType, m.token === undefined]),
        [
          [30, true],
          [32, false],
        ],
      );
    });
  }
});

t.test('device keys of each type, signing with either provider', async (t) => {
  for (const kind of ['ec384', 'rsa2048', 'rsa3072'] as KeyKind[]) {
    const device = await makeDevice({ deviceKind: kind });
    const rv = rendezvous();
    await rv.register(device);
    const result = await runTO1(rv.device(), {
      credential: device.credential,
      deviceKey: device.deviceKey.privateKey,
      provider: kind === 'ec384' ? nobleCrypto : nodeCrypto,
    });
    t.equal(result.addresses.length, 2, kind);
  }
});

t.test('an unknown or expired GUID gets error 6 with a text a device maker can act on', async (t) => {
  let clock = Date.now();
  const rv = rendezvous({ now: () => clock });
  const device = await makeDevice();
  const run = () => runTO1(rv.device(), { credential: device.credential, deviceKey: device.deviceKey.privateKey });
  await refused(
    t,
    run(),
    ErrorCode.ResourceNotFound,
    new RegExp(`^no owner registration for GUID ${formatGuid(device.guid)}: its owner has not run TO0`),
    MsgType.TO1HelloRV,
  );
  await rv.register(device, 60);
  await run();
  clock += 61_000;
  const expiry = new Date(rv.registry.registrations.values().next().value!.expiresAt).toISOString();
  await refused(
    t,
    run(),
    ErrorCode.ResourceNotFound,
    new RegExp(
      `^no owner registration for GUID ${formatGuid(device.guid)} \\(expired at ${expiry.replace(/\./g, '\\.')}\\): its owner must run TO0 again$`,
    ),
    MsgType.TO1HelloRV,
  );
});

t.test('a registration that expires between HelloRV and ProveToRV is refused at ProveToRV', async (t) => {
  let clock = Date.now();
  const rv = rendezvous({ now: () => clock });
  const device = await makeDevice();
  await rv.register(device, 10);
  const s = rv.device();
  const ack = await sendTO1HelloRV(s, device.guid, sigInfoFor('ES256'));
  clock += 11_000;
  await refused(t, s.send(MsgType.TO1ProveToRV, proof(device, ack.nonceTO1Proof)), 6, /expired at/, 32);
});

t.test('refused ProveToRV: another key, another session, another GUID', async (t) => {
  const rv = rendezvous();
  const device = await makeDevice();
  const other = await makeDevice();
  await rv.register(device);
  await rv.register(other);

  const s = rv.device();
  const ack = await sendTO1HelloRV(s, device.guid, sigInfoFor('ES256'));
  await refused(
    t,
    s.send(MsgType.TO1ProveToRV, proof(device, ack.nonceTO1Proof, keyPair('ec256'))),
    ErrorCode.InvalidMessageError,
    /is not signed by the device key of its ownership voucher/,
    32,
  );
  await refused(
    t,
    s.send(MsgType.TO1ProveToRV, proof(device, ack.nonceTO1Proof, other.deviceKey, other.guid)),
    ErrorCode.InvalidMessageError,
    /EAT-UEID names GUID .* but this session is for GUID/,
  );

  // A ProveToRV recorded from an earlier session, replayed in a new one.
  const earlier = rv.device();
  const ack1 = await sendTO1HelloRV(earlier, device.guid, sigInfoFor('ES256'));
  const recorded = proof(device, ack1.nonceTO1Proof);
  await earlier.send(MsgType.TO1ProveToRV, recorded);
  const later = rv.device();
  await sendTO1HelloRV(later, device.guid, sigInfoFor('ES256'));
  await refused(
    t,
    later.send(MsgType.TO1ProveToRV, recorded),
    ErrorCode.InvalidMessageError,
    /EAT-NONCE is not the NonceTO1Proof this session issued/,
  );
});

t.test('with a replay guard, one session is answered once', async (t) => {
  const guarded = rendezvous({ replayGuard: undefined });
  const device = await makeDevice();
  await guarded.register(device);
  const s = guarded.device();
  const ack = await sendTO1HelloRV(s, device.guid, sigInfoFor('ES256'));
  const body = proof(device, ack.nonceTO1Proof);
  await s.send(MsgType.TO1ProveToRV, body);
  const again = await s.send(MsgType.TO1ProveToRV, body);
  t.equal(again.msgType, MsgType.TO1RVRedirect, 'without a guard: the same answer again, within the token lifetime');

  const registry = new MemoryRegistry();
  const rv = rendezvous({ replayGuard: registry });
  await rv.register(device);
  const s2 = rv.device();
  const ack2 = await sendTO1HelloRV(s2, device.guid, sigInfoFor('ES256'));
  const body2 = proof(device, ack2.nonceTO1Proof);
  await s2.send(MsgType.TO1ProveToRV, body2);
  await refused(t, s2.send(MsgType.TO1ProveToRV, body2), ErrorCode.InvalidJwtToken, /already complete/, 32);
});

t.test('HelloRV: eASigInfo must fit the device key; EPID is refused', async (t) => {
  const rv = rendezvous();
  const device = await makeDevice();
  await rv.register(device);
  await refused(
    t,
    sendTO1HelloRV(rv.device(), device.guid, new SigInfo(SgType.ES384)),
    ErrorCode.InvalidMessageError,
    /^eASigInfo ES384 does not fit the device key in the ownership voucher \(EC P-256\)$/,
  );
  await refused(
    t,
    sendTO1HelloRV(rv.device(), device.guid, new SigInfo(SgType.EPID11)),
    ErrorCode.InvalidMessageError,
    /EPID/,
  );
  await refused(t, rv.device().send(MsgType.TO1HelloRV, Uint8Array.of(0x80)), ErrorCode.MessageBodyError, /HelloRV/);
});

t.test('ProveToRV: tokens are checked before anything else', async (t) => {
  const rv = rendezvous();
  const device = await makeDevice();
  await rv.register(device);
  const s = rv.device();
  const ack = await sendTO1HelloRV(s, device.guid, sigInfoFor('ES256'));
  const body = proof(device, ack.nonceTO1Proof);
  const noToken = new LoopbackTransport(s.responder);
  await refused(t, noToken.send(MsgType.TO1ProveToRV, body), ErrorCode.InvalidJwtToken, /no session token/);
  noToken.token = 'forged';
  await refused(t, noToken.send(MsgType.TO1ProveToRV, body), ErrorCode.InvalidJwtToken, /session token refused/);
  await refused(t, s.send(MsgType.TO1ProveToRV, Uint8Array.of(0x80)), ErrorCode.MessageBodyError, /ProveToRV/);
});

t.test('a TO0 token does not open a TO1 session', async (t) => {
  const registry = new MemoryRegistry();
  const sealer = new MemorySealer();
  const to0 = to0Responder({ crypto: nodeCrypto, sealer, registrations: registry, maxWaitSeconds: 60 });
  const to1 = to1Responder({ crypto: nodeCrypto, sealer, registrations: registry });
  const hello = await to0({ msgType: MsgType.TO0Hello, body: Uint8Array.of(0x80), token: undefined });
  const device = await makeDevice();
  await refused(
    t,
    new LoopbackTransport(async (req) => to1({ ...req, token: hello.token })).send(
      MsgType.TO1ProveToRV,
      proof(device, new Uint8Array(16)),
    ),
    ErrorCode.InvalidJwtToken,
    /not for a TO1 session/,
  );
});

t.test('a to1d too large to seal is read again at ProveToRV', async (t) => {
  const rv = rendezvous({ maxSealedTo1dBytes: 0 });
  const device = await makeDevice();
  await rv.register(device);
  const result = await runTO1(rv.device(), { credential: device.credential, deviceKey: device.deviceKey.privateKey });
  t.equal(result.addresses.length, 2);

  const s = rv.device();
  const ack = await sendTO1HelloRV(s, device.guid, sigInfoFor('ES256'));
  rv.registry.registrations.clear();
  await refused(t, s.send(MsgType.TO1ProveToRV, proof(device, ack.nonceTO1Proof)), 6, /any more/);
});

t.test('RVRedirect decodes on the device side as the to1d the owner signed', async (t) => {
  const rv = rendezvous();
  const device = await makeDevice();
  await rv.register(device);
  const s = rv.device();
  const ackBody = await s.send(
    MsgType.TO1HelloRV,
    encodeTO1HelloRV({ guid: device.guid, eASigInfo: sigInfoFor('ES256') }),
  );
  t.equal(ackBody.msgType, MsgType.TO1HelloRVAck);
  const [nonce, eB] = decode(ackBody.body) as [Uint8Array, unknown[]];
  t.same(eB, [SgType.ES256, new Uint8Array(0)], 'eBSigInfo echoes eASigInfo');
  const redirect = await s.send(MsgType.TO1ProveToRV, proof(device, nonce));
  const to1d = To1d.fromCbor(decode(redirect.body));
  t.ok(to1d.verify(nodeCrypto, device.ownerKey.publicKey));
});
