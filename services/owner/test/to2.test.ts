/**
 * TO2 against the owner service over real HTTP on loopback (FDO 1.1 §5.5), on SQLite and PostgreSQL:
 * the device side is the protocol package's `runTO2` through the client-kit transport. What the owner
 * stores is checked through its management API: device status, timeline, and the voucher it keeps for
 * the device's next onboarding.
 */
import { httpTransport } from '@fdo/client-kit';
import {
  CIPHER_SUITES,
  FdoPeerError,
  formatGuid,
  generateKeyPair,
  publicKeyToPem,
  readVoucherPem,
  runTO2,
  verifyVoucher,
  nodeCrypto,
  type DeviceCredential,
  type FdoReply,
  type FdoTransport,
  type KeyKind,
  type TO2Result,
} from '@fdo/protocol';
import { forDevices, type OwnerServiceInfoModule } from '@fdo/protocol/serviceinfo';
import { databaseTargets, sqliteTarget } from '@fdo/storage/testing';
import t, { type Test } from 'tap';
import { OwnerKeys } from '../src/index.js';
import {
  onEachDatabase,
  roundRobin,
  startOwner,
  tempDir,
  voucherFactory,
  type Owner,
  type TestDevice,
} from './helpers.js';

const devmod = { os: 'Linux', arch: 'aarch64', version: 'Debian 12', device: 'gateway', sn: 'SN-7' };

const keysDir = tempDir(t, 'fdo-owner-keys-');
const keys = await OwnerKeys.load({ keysDir, keyKinds: ['ec256', 'ec384', 'rsa2048', 'rsa3072'], keyFiles: [] });
const keyOf = (kind: KeyKind) => keys.list().find((k) => k.kind === kind)!;

async function importDevice(t: Test, owner: Owner, device: TestDevice, tag?: string): Promise<string> {
  const res = await owner.api('POST', `/vouchers${tag === undefined ? '' : `?tag=${tag}`}`, {
    raw: device.voucher.encode(),
    contentType: 'application/cbor',
  });
  t.equal(res.json?.imported, 1, `imported: ${res.text}`);
  return formatGuid(device.voucher.guid);
}

function onboard(
  owner: Owner | string,
  device: { credential: DeviceCredential; deviceKey: TestDevice['deviceKey'] },
  extra: Partial<Parameters<typeof runTO2>[1]> = {},
): Promise<TO2Result> {
  const transport = httpTransport(typeof owner === 'string' ? owner : owner.url);
  return runTO2(transport, {
    credential: device.credential,
    deviceKey: device.deviceKey.privateKey,
    devmod,
    ...extra,
  }).finally(() => transport.close());
}

async function peerError(p: Promise<unknown>): Promise<FdoPeerError | Error> {
  return p.then(
    () => {
      throw new Error('expected TO2 to be refused');
    },
    (err: unknown) => err as Error,
  );
}

onEachDatabase(t, 'TO2 onboards an imported device; the replacement voucher onboards it again', async (t, db) => {
  const owner = await startOwner(t, { databaseUrl: db.url, keysDir, keyKinds: ['ec256'] });
  const factory = await voucherFactory(keyOf('ec256').publicKey);
  const device = factory.device();
  const guid = await importDevice(t, owner, device);

  const result = await onboard(owner, device);
  t.equal(result.credentialReused, false);
  const newGuid = formatGuid(result.replacementCredential.guid);
  t.not(newGuid, guid, 'a new GUID (§5.5.8)');

  const status = await owner.api('GET', `/devices/${newGuid}`);
  t.equal(status.status, 200, status.text);
  t.match(status.json, {
    guid: newGuid,
    state: 'onboarded',
    previousGuid: guid,
    facts: { os: 'Linux', arch: 'aarch64', version: 'Debian 12', serial: 'SN-7' },
  });
  t.ok(status.json.onboardedAt);
  t.match(
    status.json.events.map((e: { step: string; outcome: string }) => `${e.step}:${e.outcome}`),
    ['import:ok', 'to2:info', 'to2:ok'],
    'the timeline moved to the new GUID',
  );
  t.equal((await owner.api('GET', `/devices/${guid}`)).json.guid, newGuid, 'found by its previous GUID too');

  // The stored voucher: the replacement, extended by us to ourselves, valid for the new credential.
  const pem = await owner.api('GET', `/vouchers/${newGuid}?format=pem`);
  const [stored] = readVoucherPem(pem.text).vouchers;
  const verified = verifyVoucher(nodeCrypto, stored!, { hmacSecret: result.replacementCredential.hmacSecret });
  t.equal(verified.entryCount, 1);
  t.same(stored!.ownerPublicKey.toDer().spki, keyOf('ec256').publicKey.spki);

  // The device, reset, onboards again with the credential TO2 gave it; then the previous GUID is gone.
  const again = await onboard(owner, { credential: result.replacementCredential, deviceKey: device.deviceKey });
  const third = formatGuid(again.replacementCredential.guid);
  const after = await owner.api('GET', `/devices/${third}`);
  t.match(after.json, { state: 'onboarded', previousGuid: newGuid });
  t.equal((await owner.api('GET', `/devices/${guid}`)).status, 404, 'the first GUID is forgotten');
  t.equal((await owner.api('GET', '/devices/counts')).json.onboarded, 1, 'still one device');
});

onEachDatabase(t, 'a device that never got TO2.Done2 comes back with its old credential', async (t, db) => {
  const owner = await startOwner(t, { databaseUrl: db.url, keysDir, keyKinds: ['ec256'] });
  const factory = await voucherFactory(keyOf('ec256').publicKey);
  const device = factory.device();
  const guid = await importDevice(t, owner, device);
  // The owner committed at Done; the device "lost" Done2 and keeps its credential.
  const lost = await onboard(owner, device);
  const retry = await onboard(owner, device);
  t.not(formatGuid(retry.replacementCredential.guid), formatGuid(lost.replacementCredential.guid));
  const status = await owner.api('GET', `/devices/${formatGuid(retry.replacementCredential.guid)}`);
  t.match(status.json, { state: 'onboarded', previousGuid: guid });
  // The first replacement was never stored by the device; the owner no longer answers for it.
  const err = await peerError(onboard(owner, { credential: lost.replacementCredential, deviceKey: device.deviceKey }));
  t.match(err, { error: { code: 6 } }, 'unknown GUID: resource not found');
});

onEachDatabase(t, 'credential reuse, opted in per tag: same GUID, the voucher kept, TO0 goes on', async (t, db) => {
  const owner = await startOwner(t, { databaseUrl: db.url, keysDir, keyKinds: ['ec256'] });
  const factory = await voucherFactory(keyOf('ec256').publicKey);
  const device = factory.device();
  const guid = await importDevice(t, owner, device, 'fleet-reuse');
  const reuse = await owner.api('PUT', '/tags/fleet-reuse/credential-reuse', { body: { enabled: true } });
  t.same(reuse.json, { tag: 'fleet-reuse', enabled: true, vouchers: 1 });
  const before = (await owner.api('GET', `/vouchers/${guid}?format=pem`)).text;

  const result = await onboard(owner, device);
  t.equal(result.credentialReused, true);
  t.equal(formatGuid(result.replacementCredential.guid), guid, 'same GUID');
  const status = (await owner.api('GET', `/devices/${guid}`)).json;
  t.match(status, { state: 'onboarded', previousGuid: null, credentialReuse: true });
  t.match(status.rendezvous, [{ state: 'pending' }], 'TO0 keeps the device registered');
  t.equal((await owner.api('GET', `/vouchers/${guid}?format=pem`)).text, before, 'the voucher is unchanged');

  // A device that refuses reuse fails with error 102, and says so.
  const refusing = factory.device();
  const g2 = await importDevice(t, owner, refusing, 'fleet-reuse');
  await owner.api('PUT', '/tags/fleet-reuse/credential-reuse', { body: { enabled: true } });
  const err = await peerError(onboard(owner, refusing, { allowCredentialReuse: false }));
  t.match(err, { fdoCode: 102 });
  t.match((await owner.api('GET', `/devices/${g2}`)).json, { state: 'failed', failedReason: /102/ });
});

onEachDatabase(t, 'every kex suite × cipher suite, P-256/P-384 devices, RSA owners', async (t, db) => {
  const owner = await startOwner(t, {
    databaseUrl: db.url,
    keysDir,
    keyKinds: ['ec256', 'ec384', 'rsa2048', 'rsa3072'],
  });
  const combos: { owner: KeyKind; device: KeyKind; kex: string[] }[] = [
    { owner: 'ec256', device: 'ec256', kex: ['ECDH256'] },
    { owner: 'ec384', device: 'ec384', kex: ['ECDH384'] },
    { owner: 'rsa2048', device: 'ec256', kex: ['DHKEXid14', 'ASYMKEX2048'] },
    { owner: 'rsa3072', device: 'ec384', kex: ['DHKEXid15', 'ASYMKEX3072'] },
  ];
  for (const c of combos) {
    const factory = await voucherFactory(keyOf(c.owner).publicKey, { kind: c.owner, deviceKind: c.device });
    for (const kexSuite of c.kex) {
      for (const suite of CIPHER_SUITES) {
        const device = factory.device();
        const guid = await importDevice(t, owner, device);
        const result = await onboard(owner, device, { kexSuite, cipherSuite: suite.id });
        const newGuid = formatGuid(result.replacementCredential.guid);
        t.equal(
          (await owner.api('GET', `/devices/${newGuid}`)).json.state,
          'onboarded',
          `${c.owner} owner, ${c.device} device, ${kexSuite}, ${suite.name}: ${guid} → ${newGuid}`,
        );
      }
    }
  }
});

onEachDatabase(t, 'resale: onboard to owner A, extend to owner B, onboard to B', async (t, db) => {
  const keysB = tempDir(t, 'fdo-owner-b-keys-');
  const ownerA = await startOwner(t, { databaseUrl: db.url, keysDir, keyKinds: ['ec256'] });
  // B is another company: its own database and keys.
  const ownerB = await startOwner(t, { databaseUrl: sqliteTarget(t).url, keysDir: keysB, keyKinds: ['ec256'] });
  const keyB = ownerB.app.owner.keys.list()[0]!;
  const factory = await voucherFactory(keyOf('ec256').publicKey);
  const device = factory.device();
  await importDevice(t, ownerA, device);
  const atA = await onboard(ownerA, device);
  const guid = formatGuid(atA.replacementCredential.guid);

  const extended = await ownerA.api('POST', `/vouchers/${guid}/extend`, {
    body: { ownerKey: publicKeyToPem(keyB.publicKey) },
  });
  t.equal(extended.status, 200, extended.text);
  t.match(extended.json, { state: 'transferred', entries: 2, transferredTo: keyB.sha256 });
  t.equal(
    (await ownerA.api('POST', `/vouchers/${guid}/extend`, { body: { ownerKey: publicKeyToPem(keyB.publicKey) } }))
      .status,
    200,
    'idempotent',
  );
  const twice = await ownerA.api('POST', `/vouchers/${guid}/extend`, {
    body: { ownerKey: publicKeyToPem(generateKeyPair('ec256').publicKey) },
  });
  t.equal(twice.status, 409, 'a second buyer is refused');
  t.match(twice.json, { error: 'already_transferred' });

  // A no longer answers for the device.
  const refused = await peerError(
    onboard(ownerA, { credential: atA.replacementCredential, deviceKey: device.deviceKey }),
  );
  t.match(refused, { error: { code: 6 } });

  // B imports what A handed over, and the device onboards to B.
  const pem = (await ownerA.api('GET', `/vouchers/${guid}?format=pem`)).text;
  t.equal((await ownerB.api('GET', `/vouchers/${guid}`)).status, 404, 'B had nothing yet');
  t.equal((await ownerB.api('POST', '/vouchers', { raw: pem })).json.imported, 1);
  const atB = await onboard(ownerB, { credential: atA.replacementCredential, deviceKey: device.deviceKey });
  t.match((await ownerB.api('GET', `/devices/${formatGuid(atB.replacementCredential.guid)}`)).json, {
    state: 'onboarded',
  });
});

t.test('TO2 alternating between two owner instances on one database, message by message', async (t) => {
  for (const db of await databaseTargets(t)) {
    await t.test(db.name, async (t) => {
      const a = await startOwner(t, { databaseUrl: db.url, keysDir, keyKinds: ['ec256'] });
      const b = await startOwner(t, { databaseUrl: db.url, keysDir, keyKinds: ['ec256'] });
      const factory = await voucherFactory(keyOf('ec256').publicKey);
      const device = factory.device();
      await importDevice(t, a, device);
      const balancer = await roundRobin(t, [a.url, b.url]);
      const result = await onboard(balancer.url, device);
      t.ok(balancer.served.length >= 6, `${balancer.served.length} messages`);
      t.ok(
        balancer.served.every((u, i) => u === (i % 2 === 0 ? a.url : b.url)),
        'every message went to the other instance than the one before',
      );
      const status = await b.api('GET', `/devices/${formatGuid(result.replacementCredential.guid)}`);
      t.equal(status.json.state, 'onboarded');
    });
  }
});

onEachDatabase(t, 'ServiceInfo modules chosen by tag; ServiceInfo split to fit the device', async (t, db) => {
  const received: string[] = [];
  const big = 'x'.repeat(5000);
  // A module that sends 5000 bytes in chunks that fit the budget the device's limit leaves (§3.9).
  const hello: OwnerServiceInfoModule<{ offset: number }> = {
    name: 'example.hello',
    start: () => ({ offset: 0 }),
    produce: (state, ctx) => {
      if (state.offset >= big.length) return { state, messages: [{ message: 'end', value: true }], done: true };
      const chunk = big.slice(state.offset, state.offset + ctx.budget - 32);
      return {
        state: { offset: state.offset + chunk.length },
        messages: [{ message: 'chunk', value: chunk }],
        done: false,
      };
    },
    receive: (state) => state,
  };
  const owner = await startOwner(t, {
    databaseUrl: db.url,
    keysDir,
    keyKinds: ['ec256'],
    serviceInfoModules: [forDevices(hello, { tags: ['site-a'] })],
  });
  const factory = await voucherFactory(keyOf('ec256').publicKey);
  const tagged = factory.device();
  const untagged = factory.device();
  await importDevice(t, owner, tagged, 'site-a');
  await importDevice(t, owner, untagged);
  let text = '';
  const deviceModule = {
    name: 'example.hello',
    receive(message: string, value: unknown) {
      received.push(message);
      if (message === 'chunk') text += String(value);
    },
  };
  await onboard(owner, untagged, { serviceInfoModules: [deviceModule], maxOwnerServiceInfoSize: 1300 });
  t.same(received, [], 'not for an untagged device');
  await onboard(owner, tagged, { serviceInfoModules: [deviceModule], maxOwnerServiceInfoSize: 1300 });
  t.equal(text, big, 'a 5000-byte value delivered through 1300-byte ServiceInfo');
  t.ok(received.filter((m) => m === 'chunk').length >= 4, `${received.length} messages`);
  t.equal(received.at(-1), 'end');
});

onEachDatabase(t, 'a voucher deleted or transferred during TO2 ends the session in flight', async (t, db) => {
  const owner = await startOwner(t, { databaseUrl: db.url, keysDir, keyKinds: ['ec256'] });
  const factory = await voucherFactory(keyOf('ec256').publicKey);
  const buyer = generateKeyPair('ec256').publicKey;
  for (const [what, act] of [
    ['deleted', (guid: string) => owner.api('DELETE', `/vouchers/${guid}`)],
    [
      'transferred',
      (guid: string) => owner.api('POST', `/vouchers/${guid}/extend`, { body: { ownerKey: publicKeyToPem(buyer) } }),
    ],
  ] as const) {
    const device = factory.device();
    const guid = await importDevice(t, owner, device);
    // The session reads the voucher at HelloDevice and keeps it; changing the voucher ends the session.
    const err = await peerError(
      runTO2(
        meddling(owner.url, async (msgType, body, send) => {
          if (msgType === 64) t.ok([200, 204].includes((await act(guid)).status), `voucher ${what}`);
          return send(msgType, body);
        }),
        { credential: device.credential, deviceKey: device.deviceKey.privateKey, devmod },
      ),
    );
    t.match(err, { error: { code: 1 } }, `${what}: the next message finds no session (error 1)`);
  }
});

/** The device's transport with a hook that may alter, add or reorder what it sends (an attacker or a broken device). */
function meddling(
  url: string,
  hook: (msgType: number, body: Uint8Array, send: FdoTransport['send']) => Promise<FdoReply>,
): FdoTransport {
  const inner = httpTransport(url);
  return { send: (msgType, body) => hook(msgType, body, (m, b) => inner.send(m, b)) };
}

t.test('rejections: error 255, a failed status that says why, and the device can still onboard', async (t) => {
  const [db] = await databaseTargets(t);
  const owner = await startOwner(t, {
    databaseUrl: db!.url,
    keysDir,
    keyKinds: ['ec256'],
    to2: { maxOwnerMessageSize: 4096 },
  });
  const factory = await voucherFactory(keyOf('ec256').publicKey);

  /** Runs TO2 through `hook`; expects error `code` and the failed status; then onboards normally. */
  async function rejected(
    t: Test,
    hook: Parameters<typeof meddling>[1],
    expected: { code: number; step: string; reason: RegExp },
    device = factory.device(),
  ) {
    const guid = await importDevice(t, owner, device);
    const before = Buffer.from(device.credential.encode());
    const err = await peerError(
      runTO2(meddling(owner.url, hook), {
        credential: device.credential,
        deviceKey: device.deviceKey.privateKey,
        devmod,
      }),
    );
    t.ok(err instanceof FdoPeerError, `the owner answered 255: ${err.message}`);
    t.match(err, { error: { code: expected.code } });
    const status = (await owner.api('GET', `/devices/${guid}`)).json;
    t.match(status, { state: 'failed', failedStep: expected.step, failedReason: expected.reason });
    t.same(Buffer.from(device.credential.encode()), before, 'the device keeps its credential');
    const retry = await onboard(owner, device);
    t.match((await owner.api('GET', `/devices/${formatGuid(retry.replacementCredential.guid)}`)).json, {
      state: 'onboarded',
    });
  }

  await t.test('a voucher not extended to us is not imported, and TO2 does not know the device', async (t) => {
    const device = factory.device({ owner: generateKeyPair('ec256').publicKey });
    const res = await owner.api('POST', '/vouchers', { raw: device.voucher.encode(), contentType: 'application/cbor' });
    t.equal(res.json.rejected, 1);
    const err = await peerError(onboard(owner, device));
    t.match(err, { error: { code: 6, message: /no ownership voucher for GUID/ } });
  });

  await t.test('a device that proves with the wrong key', async (t) => {
    const device = factory.device();
    const guid = await importDevice(t, owner, device);
    const err = await peerError(onboard(owner, { ...device, deviceKey: generateKeyPair('ec256') }));
    t.match(err, { error: { code: 101 } });
    t.match((await owner.api('GET', `/devices/${guid}`)).json, {
      state: 'failed',
      failedStep: 'TO2.ProveDevice',
      failedReason: /not signed by the device key of its ownership voucher/,
    });
    const retry = await onboard(owner, device);
    t.ok(retry.replacementCredential, 'with its own key it onboards');
  });

  await t.test('an out-of-order message (ProveDevice before the voucher entries)', (t) =>
    rejected(t, async (msgType, body, send) => (msgType === 62 ? send(64, body) : send(msgType, body)), {
      code: 101,
      step: 'TO2.ProveDevice',
      reason: /out of order/,
    }),
  );

  await t.test('a replayed message (ProveDevice again after SetupDevice)', (t) =>
    rejected(
      t,
      async (msgType, body, send) => {
        const reply = await send(msgType, body);
        if (msgType === 64) {
          const replay = await send(64, body).catch((err: unknown) => err);
          t.match(replay, { error: { code: 101, message: /out of order/ } }, 'the replay is refused');
        }
        return reply;
      },
      // The session ended with the replay: the device's next message finds no session.
      { code: 1, step: 'TO2.ProveDevice', reason: /out of order/ },
    ),
  );

  await t.test('a tampered encrypted message', (t) =>
    rejected(
      t,
      async (msgType, body, send) => {
        if (msgType !== 66) return send(msgType, body);
        const copy = Uint8Array.from(body);
        copy[copy.length - 20]! ^= 0x01;
        return send(msgType, copy);
      },
      { code: 101, step: 'TO2.DeviceServiceInfoReady', reason: /./ },
    ),
  );

  await t.test('a device that exceeds the negotiated message size', (t) =>
    rejected(
      t,
      async (msgType, body, send) => {
        if (msgType !== 64) return send(msgType, body);
        const padded = new Uint8Array(body.length + 5000);
        padded.set(body);
        return send(msgType, padded);
      },
      { code: 100, step: 'TO2.ProveDevice', reason: /larger than the maxOwnerMessageSize of 4096/ },
    ),
  );
});
