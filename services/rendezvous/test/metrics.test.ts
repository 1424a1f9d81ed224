import t from 'tap';
import { registerWithRendezvous } from '@fdo/client-kit';
import { DeviceCredential, RendezvousInfo, RVTO2Addr } from '@fdo/protocol';
import { metricSample } from '@fdo/server-kit';
import { sqliteTarget } from '@fdo/storage/testing';
import { runDeviceTo1 } from '../../../packages/device-client/src/to1.js';
import { makeDevice, startRendezvous } from './helpers.js';

t.test('TO0 registrations, TO1 redirects and refusals show in /metrics (read token)', async (t) => {
  const rv = await startRendezvous(t, sqliteTarget(t).url);
  const reader = await rv.token(['read']);
  const scrape = async () => {
    const res = await fetch(`${rv.url}/metrics`, { headers: { authorization: `Bearer ${reader}` } });
    t.equal(res.status, 200);
    return res.text();
  };
  t.equal((await fetch(`${rv.url}/metrics`)).status, 401, 'no token, no metrics');
  const before = await scrape();
  t.equal(metricSample(before, 'fdo_rv_to1_redirects_total'), 0);
  t.equal(metricSample(before, 'fdo_rv_registrations', { state: 'active' }), 0);

  const device = await makeDevice();
  const stranger = await makeDevice();
  await registerWithRendezvous(rv.url, {
    voucher: device.voucher,
    ownerKey: device.ownerKey.privateKey,
    addresses: [RVTO2Addr.fromUrl('http://127.0.0.1:8042')],
  });
  const credential = new DeviceCredential({ ...device.credential, rvInfo: RendezvousInfo.fromUrls(rv.url) });
  await runDeviceTo1({ credential, deviceKey: device.deviceKey.privateKey });
  const unknown = new DeviceCredential({ ...stranger.credential, rvInfo: RendezvousInfo.fromUrls(rv.url) });
  await t.rejects(runDeviceTo1({ credential: unknown, deviceKey: stranger.deviceKey.privateKey }));

  const after = await scrape();
  t.equal(metricSample(after, 'fdo_rv_to0_registrations_total', { result: 'accepted' }), 1);
  t.equal(metricSample(after, 'fdo_rv_to1_redirects_total'), 1);
  t.equal(metricSample(after, 'fdo_rv_registrations', { state: 'active' }), 1);
  t.equal(metricSample(after, 'fdo_sessions_total', { protocol: 'TO1', outcome: 'started' }), 2);
  t.equal(metricSample(after, 'fdo_sessions_total', { protocol: 'TO1', outcome: 'failed' }), 1);
  t.equal(metricSample(after, 'fdo_messages_total', { msg_type: '30', error_code: '6' }), 1, 'HelloRV: not found');
  t.equal(metricSample(after, 'fdo_session_duration_seconds_count', { protocol: 'TO0', outcome: 'completed' }), 1);
});
