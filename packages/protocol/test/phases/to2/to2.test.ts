import t, { type Test } from 'tap';
import { toHex } from '../../../src/cbor/index.js';
import { nodeCrypto, type KeyKind } from '../../../src/crypto/index.js';
import { ErrorCode } from '../../../src/errors.js';
import {
  FdoPeerError,
  OnboardingRefusedError,
  runTO2,
  to2Responder,
  type FdoTransport,
  type Responder,
  type TO2Progress,
} from '../../../src/phases/index.js';
import { CIPHER_SUITES } from '../../../src/session/index.js';
import type { OwnerServiceInfoModule, DeviceServiceInfoModule } from '../../../src/serviceinfo/index.js';
import type { DeviceCredential } from '../../../src/types/device-credential.js';
import { PublicKey } from '../../../src/types/public-key.js';
import { RendezvousInfo } from '../../../src/types/rv-info.js';
import { extendVoucher } from '../../../src/voucher/index.js';
import { keyPair, LoopbackTransport, makeDevice, type TestDevice } from '../to0/fixtures.js';
import { MemoryOwner } from './fixtures.js';
import { signatureAlgorithmByName } from '../../../src/cose/algorithms.js';
import { kdf, respondDevice } from '../../../src/kex/index.js';
import {
  decodeTO2ProveOVHdr,
  encodeTO2DeviceServiceInfo,
  encodeTO2DeviceServiceInfoReady,
  encodeTO2GetOVNextEntry,
  encodeTO2HelloDevice,
  encodeTO2ProveDevice,
  signTO2ProveDevice,
} from '../../../src/messages/index.js';
import { sigInfoFor } from '../../../src/phases/index.js';
import { devmodMessages } from '../../../src/serviceinfo/index.js';
import { cipherSuite, createSessionCrypto, keyMaterialLength, splitKeyMaterial } from '../../../src/session/index.js';
import { newNonce } from '../../../src/types/guid.js';
import { HMac } from '../../../src/types/hash.js';

/** Two responder instances over one store, used alternately message by message (no sticky sessions). */
function alternating(responders: Responder[]): Responder {
  let i = 0;
  return (req) => responders[i++ % responders.length]!(req);
}

function owner(store: MemoryOwner, options: Partial<Parameters<typeof to2Responder>[0]> = {}): Responder {
  const make = () => to2Responder({ crypto: nodeCrypto, state: store, ...options });
  return alternating([make(), make()]);
}

const devmod = { os: 'Linux', arch: 'x86_64', version: '6.1', device: 'test-board', sn: 'SN-1' };

function onboard(
  transport: FdoTransport,
  device: { credential: DeviceCredential; deviceKey: TestDevice['deviceKey'] },
  extra: Partial<Parameters<typeof runTO2>[1]> = {},
) {
  return runTO2(transport, { credential: device.credential, deviceKey: device.deviceKey.privateKey, devmod, ...extra });
}

async function refused(t: Test, p: Promise<unknown>, code: number, message: RegExp) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (err instanceof FdoPeerError) {
    t.equal(err.error.code, code, `error ${code}`);
    t.match(err.error.message, message);
  } else {
    t.match(err, { fdoCode: code, message }, `device refuses with ${code}`);
  }
}

const combos: { ownerKind: KeyKind; deviceKind: KeyKind; kex: string[] }[] = [
  { ownerKind: 'ec256', deviceKind: 'ec256', kex: ['ECDH256'] },
  { ownerKind: 'ec384', deviceKind: 'ec384', kex: ['ECDH384'] },
  { ownerKind: 'rsa2048', deviceKind: 'ec256', kex: ['DHKEXid14', 'ASYMKEX2048'] },
  { ownerKind: 'rsa3072', deviceKind: 'ec384', kex: ['DHKEXid15', 'ASYMKEX3072'] },
];

t.test('FDO 1.1 §5.5: every kex suite × cipher suite, owner alternating between two instances', async (t) => {
  for (const c of combos) {
    const device = await makeDevice({ ownerKind: c.ownerKind, deviceKind: c.deviceKind });
    const store = new MemoryOwner();
    store.add(device.voucher, device.ownerKey.privateKey);
    for (const kex of c.kex) {
      for (const suite of CIPHER_SUITES) {
        const result = await onboard(new LoopbackTransport(owner(store)), device, {
          kexSuite: kex,
          cipherSuite: suite.id,
        });
        t.notSame(toHex(result.replacementCredential.guid), toHex(device.guid), `${kex} ${suite.name}: new GUID`);
      }
    }
    t.equal(store.completed.length, c.kex.length * CIPHER_SUITES.length);
    t.same(store.completed[0]!.outcome.devmod?.os, 'Linux');
    t.equal(store.failed.length, 0);
  }
});

t.test('P-256 device with an RSA owner, P-384 device with a P-256 owner (not recommended, allowed)', async (t) => {
  const device = await makeDevice({ ownerKind: 'ec256', deviceKind: 'ec384' });
  const store = new MemoryOwner();
  store.add(device.voucher, device.ownerKey.privateKey);
  const result = await onboard(new LoopbackTransport(owner(store)), device, { kexSuite: 'ECDH256' });
  t.equal(result.credentialReused, false);
});

t.test('a voucher with several entries; resale: the replacement voucher extended to owner B', async (t) => {
  const device = await makeDevice();
  const middle = keyPair('ec256');
  const last = keyPair('ec256');
  let voucher = extendVoucher(
    nodeCrypto,
    device.voucher,
    device.ownerKey.privateKey,
    PublicKey.fromDer(middle.publicKey),
  );
  voucher = extendVoucher(nodeCrypto, voucher, middle.privateKey, PublicKey.fromDer(last.publicKey));
  const a = new MemoryOwner();
  a.add(voucher, last.privateKey);
  const first = await onboard(new LoopbackTransport(owner(a)), device);
  const outcome = a.completed[0]!.outcome;
  t.ok(outcome.replacementVoucher);
  // Owner A resells: extends the replacement voucher (OVPubKey = A's key) to owner B.
  const ownerB = keyPair('ec256');
  const resold = extendVoucher(
    nodeCrypto,
    outcome.replacementVoucher!,
    outcome.owner2Key,
    PublicKey.fromDer(ownerB.publicKey),
  );
  const b = new MemoryOwner();
  b.add(resold, ownerB.privateKey);
  const second = await onboard(new LoopbackTransport(owner(b)), {
    credential: first.replacementCredential,
    deviceKey: device.deviceKey,
  });
  t.equal(b.completed.length, 1);
  t.notSame(toHex(second.replacementCredential.guid), toHex(first.replacementCredential.guid));
});

t.test('credential reuse: same GUID, RV info and owner key; the device keeps its credential', async (t) => {
  const device = await makeDevice();
  const store = new MemoryOwner();
  store.add(device.voucher, device.ownerKey.privateKey, { credentialReuse: true });
  const events: TO2Progress[] = [];
  const result = await onboard(new LoopbackTransport(owner(store)), device, { onProgress: (e) => events.push(e) });
  t.equal(result.credentialReused, true);
  t.match(events[1], { step: 'setup-device', credentialReused: true, replacementGuid: device.guid });
  t.equal(result.replacementCredential, device.credential);
  t.equal(store.completed[0]!.outcome.replacementVoucher, null);
  await refused(
    t,
    onboard(new LoopbackTransport(owner(store)), device, { allowCredentialReuse: false }),
    ErrorCode.CredReuseError,
    /reuse/,
  );
  t.match(store.failed.at(-1)!.reason, /refused/);
});

t.test('ServiceInfo: small limits split both directions; modules activate, exchange and finish', async (t) => {
  const device = await makeDevice();
  const store = new MemoryOwner();
  store.add(device.voucher, device.ownerKey.privateKey, { tags: ['lab'] });
  const files: OwnerServiceInfoModule<{ sent: number; acks: number }> = {
    name: 'test.files',
    appliesTo: (d) => d.tags.includes('lab') && d.devmod.modules.includes('test.files'),
    start: () => ({ sent: 0, acks: 0 }),
    produce: (s, ctx) => {
      if (s.sent > 0) return { state: s, messages: [], done: s.acks === 20 };
      const chunk = 'x'.repeat(Math.min(100, ctx.budget - 40));
      const messages = Array.from({ length: 20 }, (_, i) => ({ message: 'data', value: `${i}:${chunk}` }));
      return { state: { ...s, sent: 20 }, messages, done: false };
    },
    receive: (s, m) => (m.message === 'ack' ? { ...s, acks: s.acks + 1 } : s),
  };
  const unknown: OwnerServiceInfoModule = {
    name: 'test.absent',
    start: () => null,
    produce: (s) => ({ state: s, messages: [], done: true }),
    receive: (s) => s,
  };
  const got: string[] = [];
  const deviceFiles: DeviceServiceInfoModule = {
    name: 'test.files',
    receive: (message, value) => {
      got.push(String(value));
      return [{ message: 'ack', value: got.length }];
    },
    result: () => got.length,
  };
  const transport = new LoopbackTransport(
    owner(store, { serviceInfoModules: [files, unknown], maxDeviceServiceInfoSize: 128 }),
  );
  const events: TO2Progress[] = [];
  const result = await onboard(transport, device, {
    serviceInfoModules: [deviceFiles],
    maxOwnerServiceInfoSize: 300,
    onProgress: (e) => events.push(e),
  });
  t.equal(got.length, 20);
  t.same(
    events.map((e) => e.step),
    ['owner-proven', 'setup-device', 'service-info-module', 'service-info-module'],
    'progress in protocol order, once per fact',
  );
  t.match(events[0], { ovEntries: 1 });
  t.ok((events[0] as { ownerKey: PublicKey }).ownerKey.sameKey(PublicKey.fromDer(device.ownerKey.publicKey)));
  t.same(events[1], {
    step: 'setup-device',
    replacementGuid: result.replacementCredential.guid,
    credentialReused: false,
  });
  t.same(
    events.slice(2).map((e) => e.step === 'service-info-module' && [e.module, e.requested, e.active]),
    [
      ['test.files', true, true],
      ['test.absent', true, false],
    ],
    'a module the device lacks is reported as refused',
  );
  t.same(result.serviceInfoResults['test.files'], { active: true, result: 20 });
  const si = store.completed[0]!.outcome.serviceInfo;
  t.equal(si['test.files']!.phase, 'done');
  t.equal(si['test.absent']!.phase, 'inactive');
  const ownerSI = transport.sent.filter((m) => m.msgType === 68).length;
  t.ok(ownerSI > 5, `ServiceInfo took ${ownerSI} rounds`);
});

t.test('refusals', async (t) => {
  const device = await makeDevice();
  const store = new MemoryOwner();
  store.add(device.voucher, device.ownerKey.privateKey);

  await t.test('voucher not extended to the key the owner signs with', async (t) => {
    const s = new MemoryOwner();
    s.add(device.voucher, keyPair('ec256').privateKey);
    await refused(
      t,
      onboard(new LoopbackTransport(owner(s)), device),
      ErrorCode.InvalidOwnershipVoucher,
      /not extended/,
    );
    t.match(s.failed.at(-1), { step: 60, reason: /not extended/ });
    // A forged entry (signed by the rogue key itself) passes the owner's check but not the device's.
    const rogue = keyPair('ec256');
    const forged = extendVoucher(
      nodeCrypto,
      device.voucher,
      device.ownerKey.privateKey,
      PublicKey.fromDer(rogue.publicKey),
    );
    const bad = device.voucher.withEntry(
      extendVoucher(nodeCrypto, forged, rogue.privateKey, PublicKey.fromDer(rogue.publicKey)).entries[2]!,
    );
    s.add(bad, rogue.privateKey);
    await refused(
      t,
      onboard(new LoopbackTransport(owner(s)), device),
      ErrorCode.InvalidOwnershipVoucher,
      /not signed by the previous owner/,
    );
    t.match(s.failed.at(-1)!.reason, /device refused/);
  });

  await t.test('device proving with the wrong key', async (t) => {
    const wrong = { credential: device.credential, deviceKey: keyPair('ec256') };
    await refused(
      t,
      onboard(new LoopbackTransport(owner(store)), wrong),
      ErrorCode.InvalidMessageError,
      /not signed by the device key/,
    );
    t.equal(store.failed.at(-1)!.step, 64);
  });

  /** Runs TO2 through a transport that may rewrite message number `n` (0-based). */
  const tampering = (
    responder: Responder,
    edit: (
      n: number,
      type: number,
      body: Uint8Array,
      inner: LoopbackTransport,
    ) => Promise<{ msgType: number; body: Uint8Array } | undefined>,
  ) => {
    const inner = new LoopbackTransport(responder);
    let n = 0;
    return {
      inner,
      async send(type: number, body: Uint8Array) {
        const replaced = await edit(n++, type, body, inner);
        return replaced ?? inner.send(type, body);
      },
    };
  };

  await t.test('out-of-order message', async (t) => {
    const tr = tampering(owner(store), async (n, type, body, inner) => (n === 1 ? inner.send(70, body) : undefined));
    await refused(t, onboard(tr, device), ErrorCode.InvalidMessageError, /out of order/);
  });

  await t.test('replayed message', async (t) => {
    const tr = tampering(owner(store), async (n, type, body, inner) => {
      if (n !== 4) return undefined;
      await inner.send(type, body);
      return inner.send(type, body);
    });
    await refused(t, onboard(tr, device), ErrorCode.InvalidMessageError, /out of order/);
  });

  await t.test('tampered encrypted message', async (t) => {
    const tr = tampering(owner(store), async (n, type, body, inner) => {
      if (type !== 66) return undefined;
      const copy = body.slice();
      copy[copy.length - 3]! ^= 1;
      return inner.send(type, copy);
    });
    await refused(t, onboard(tr, device), ErrorCode.InvalidMessageError, /./);
    t.equal(store.failed.at(-1)!.step, 66);
  });

  await t.test('a token from no session, and no token', async (t) => {
    const r = owner(store);
    await t.rejects(r({ msgType: 62, body: new Uint8Array([0x81, 0x00]), token: 'nope' }), {
      name: 'InvalidTokenError',
    });
    await t.rejects(r({ msgType: 62, body: new Uint8Array([0x81, 0x00]), token: undefined }), {
      name: 'InvalidTokenError',
    });
  });
});

t.test(
  'sizes: the device message limit bounds our ServiceInfo; an oversized device ServiceInfo is refused',
  async (t) => {
    const device = await makeDevice();
    const store = new MemoryOwner();
    store.add(device.voucher, device.ownerKey.privateKey);
    const chatty: OwnerServiceInfoModule<number> = {
      name: 'test.chatty',
      start: () => 0,
      produce: (n, ctx) => ({
        state: n + 1,
        messages:
          n === 0 ? Array.from({ length: 30 }, () => ({ message: 'm', value: 'y'.repeat(ctx.budget - 30) })) : [],
        done: n > 0,
      }),
      receive: (n) => n,
    };
    const sink: DeviceServiceInfoModule = { name: 'test.chatty', receive: () => undefined };
    const transport = new LoopbackTransport(owner(store, { serviceInfoModules: [chatty] }));
    const replies: number[] = [];
    const spy: FdoTransport = {
      async send(type, body) {
        const reply = await transport.send(type, body);
        if (reply.msgType === 69) replies.push(reply.body.length);
        return reply;
      },
    };
    await onboard(spy, device, {
      serviceInfoModules: [sink],
      maxDeviceMessageSize: 700,
      maxOwnerServiceInfoSize: 4000,
    });
    t.ok(replies.length > 30, `${replies.length} OwnerServiceInfo messages`);
    t.ok(Math.max(...replies) <= 700, `largest encrypted OwnerServiceInfo ${Math.max(...replies)} ≤ 700 bytes`);

    // A device that ignores maxDeviceServiceInfoSz (driven by hand up to TO2.DeviceServiceInfo).
    const r = owner(store, { maxDeviceServiceInfoSize: 256 });
    const tr = new LoopbackTransport(r);
    const { tunnel } = await handDevice(tr, device);
    const big = encodeTO2DeviceServiceInfo({
      isMoreServiceInfo: false,
      serviceInfo: devmodMessages({ ...devmod, device: 'z'.repeat(300) }, []),
    });
    await refused(t, tr.send(68, tunnel.encrypt(big)), ErrorCode.InvalidMessageError, /maxDeviceServiceInfoSz of 256/);
    t.match(store.failed.at(-1), { step: 68 });
    // A message above maxOwnerMessageSize is refused before anything is read.
    const small = owner(store, { maxOwnerMessageSize: 300 });
    await t.rejects(small({ msgType: 60, body: new Uint8Array(301), token: undefined }), { name: 'MessageBodyError' });
  },
);

t.test('an interrupted TO2 leaves the device credential as it was and can start again', async (t) => {
  const device = await makeDevice();
  const store = new MemoryOwner();
  store.add(device.voucher, device.ownerKey.privateKey);
  const inner = new LoopbackTransport(owner(store));
  const cut: FdoTransport = {
    async send(type, body) {
      if (type === 68) throw new Error('connection reset');
      return inner.send(type, body);
    },
  };
  await t.rejects(onboard(cut, device), { message: 'connection reset' });
  t.equal(store.completed.length, 0);
  const result = await onboard(new LoopbackTransport(owner(store)), device);
  t.equal(store.completed.length, 1);
  t.notSame(toHex(result.replacementCredential.guid), toHex(device.guid));
});

t.test('RSA device key with an RSA owner (ASYMKEX2048)', async (t) => {
  const device = await makeDevice({ ownerKind: 'rsa2048', deviceKind: 'rsa2048' });
  const store = new MemoryOwner();
  store.add(device.voucher, device.ownerKey.privateKey);
  const result = await onboard(new LoopbackTransport(owner(store)), device, { kexSuite: 'ASYMKEX2048' });
  t.equal(result.credentialReused, false);
});

/** A device driven message by message up to (not including) TO2.DeviceServiceInfo. */
async function handDevice(tr: FdoTransport, device: TestDevice) {
  const hello = encodeTO2HelloDevice({
    maxDeviceMessageSize: 0,
    guid: device.guid,
    nonceTO2ProveOV: newNonce(nodeCrypto),
    kexSuiteName: 'ECDH256',
    cipherSuiteName: 1,
    eASigInfo: sigInfoFor('ES256'),
  });
  const prove = decodeTO2ProveOVHdr((await tr.send(60, hello)).body);
  for (let i = 0; i < prove.payload.numOVEntries; i++) await tr.send(62, encodeTO2GetOVNextEntry({ entryNum: i }));
  const kex = respondDevice(nodeCrypto, 'ECDH256', prove.payload.xAKeyExchange);
  const proof = signTO2ProveDevice(
    nodeCrypto,
    { alg: signatureAlgorithmByName('ES256'), key: device.deviceKey.privateKey },
    {
      guid: device.guid,
      nonceTO2ProveDv: prove.nonceTO2ProveDv,
      nonceTO2SetupDv: newNonce(nodeCrypto),
      xBKeyExchange: kex.xB,
    },
  );
  const suite = cipherSuite(1);
  const keys = splitKeyMaterial(suite, kdf(nodeCrypto, suite.prf, kex.shSe, kex.contextRand, keyMaterialLength(suite)));
  const tunnel = createSessionCrypto(nodeCrypto, suite, keys);
  await tr.send(64, encodeTO2ProveDevice(proof));
  const hmac = HMac.compute(nodeCrypto, 'SHA-256', nodeCrypto.randomBytes(32), new Uint8Array(1));
  const ready = encodeTO2DeviceServiceInfoReady({ replacementHmac: hmac, maxOwnerServiceInfoSz: null });
  await tr.send(66, tunnel.encrypt(ready));
  return { tunnel };
}

t.test('a replacement owner key and RV info chosen by the owner end up in the device credential', async (t) => {
  const device = await makeDevice();
  const store = new MemoryOwner();
  const next = keyPair('ec256');
  const rvInfo = RendezvousInfo.fromUrls('https://rv2.example:8443');
  store.add(device.voucher, device.ownerKey.privateKey, { replacement: { ownerKey: next.privateKey, rvInfo } });
  const result = await onboard(new LoopbackTransport(owner(store)), device);
  const outcome = store.completed[0]!.outcome;
  t.same(outcome.owner2Key, next.privateKey);
  t.ok(outcome.replacementVoucher!.header.publicKey.sameKey(PublicKey.fromDer(next.publicKey)));
  t.ok(result.replacementCredential.matchesManufacturerKey(nodeCrypto, outcome.replacementVoucher!.header.publicKey));
  t.same(result.replacementCredential.rvInfo.toCbor(), rvInfo.toCbor());
  t.ok(
    outcome.replacementVoucher!.hmac.verify(
      nodeCrypto,
      result.replacementCredential.hmacSecret,
      outcome.replacementVoucher!.header.bytes,
    ),
  );
});

t.test(
  'TO2.Done refused by the owner with its own record (OnboardingRefusedError): error 101, no failOnboarding',
  async (t) => {
    const device = await makeDevice();
    const store = new MemoryOwner();
    store.add(device.voucher, device.ownerKey.privateKey);
    store.completeOnboarding = async () => {
      throw new OnboardingRefusedError('the device onboarded in another session that ran at the same time');
    };
    await refused(
      t,
      onboard(new LoopbackTransport(owner(store)), device),
      ErrorCode.InvalidMessageError,
      /another session/,
    );
    t.same(store.failed, [], 'the owner recorded the refusal itself');
    t.equal(store.fence.rows.size, 0, 'the session ended');
  },
);
