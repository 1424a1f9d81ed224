import t from 'tap';
import { FdoPeerError, formatGuid, nodeCrypto, RendezvousInfo, RVTO2Addr, type KeyKind } from '@fdo/protocol';
import { registerWithRendezvous } from '@fdo/client-kit';
import { databaseTargets } from '@fdo/storage/testing';
import { DeviceCredential } from '@fdo/protocol';
import { runDeviceTo1 } from '../../../packages/device-client/src/to1.js';
import { makeDevice, startRendezvous, type TestDevice } from './helpers.js';

const ownerAddresses = [
  RVTO2Addr.fromUrl('https://owner.example.com:8443'),
  RVTO2Addr.fromUrl('http://192.0.2.10:8042'),
];

/** The device's credential, pointing at the rendezvous server under test (as DI would have set DCRVInfo). */
function credentialFor(device: TestDevice, rvUrl: string): DeviceCredential {
  return new DeviceCredential({ ...device.credential, rvInfo: RendezvousInfo.fromUrls(rvUrl) });
}

t.test('TO0 then TO1 over HTTP with owner keys of each type; the device client learns the owner address', async (t) => {
  const kinds: KeyKind[] = ['ec256', 'ec384', 'rsa2048', 'rsa3072'];
  const devices = await Promise.all(kinds.map((ownerKind) => makeDevice({ ownerKind })));
  for (const db of await databaseTargets(t)) {
    await t.test(db.name, async (t) => {
      const rv = await startRendezvous(t, db.url, { maxWaitSeconds: 86_400 });
      for (const [i, device] of devices.entries()) {
        const granted = await registerWithRendezvous(rv.url, {
          voucher: device.voucher,
          ownerKey: device.ownerKey.privateKey,
          addresses: ownerAddresses,
        });
        t.equal(granted.waitSeconds, 86_400, `${kinds[i]}: WaitSeconds capped at the configured maximum`);
        const result = await runDeviceTo1({
          credential: credentialFor(device, rv.url),
          deviceKey: device.deviceKey.privateKey,
        });
        t.equal(result.rendezvousUrl, rv.url);
        t.same(
          result.addresses.map((a) => a.toUrl()),
          ownerAddresses.map((a) => a.toUrl()),
          `${kinds[i]}: redirected to the owner`,
        );
        t.ok(result.to1d.verify(nodeCrypto, device.ownerKey.publicKey), `${kinds[i]}: to1d signed by the owner`);
      }
      const state = await rv.api('GET', `/registrations/${formatGuid(devices[0]!.guid)}`);
      t.equal(state.status, 200);
      t.equal(state.json.state, 'registered');
      t.notOk('to1d' in state.json || 'voucher' in state.json, 'the admin view never shows the voucher or to1d');
    });
  }
});

t.test('the device client tries the next rendezvous server when one does not know the device', async (t) => {
  const [db] = await databaseTargets(t);
  const [other] = await databaseTargets(t);
  const device = await makeDevice();
  const empty = await startRendezvous(t, other!.url);
  const rv = await startRendezvous(t, db!.url);
  await registerWithRendezvous(rv.url, {
    voucher: device.voucher,
    ownerKey: device.ownerKey.privateKey,
    addresses: ownerAddresses,
  });
  const result = await runDeviceTo1({
    credential: device.credential,
    deviceKey: device.deviceKey.privateKey,
    rendezvousUrls: [empty.url, rv.url],
  });
  t.equal(result.rendezvousUrl, rv.url);
  const failure = await runDeviceTo1({
    credential: device.credential,
    deviceKey: device.deviceKey.privateKey,
    rendezvousUrls: [empty.url],
  }).then(
    () => new Error('TO1 succeeded'),
    (e: unknown) => e as Error,
  );
  t.match(failure.message, `no owner registration for GUID ${formatGuid(device.guid)}`);
  t.type((failure as { attempts?: { error: unknown }[] }).attempts?.[0]?.error, FdoPeerError);
});
