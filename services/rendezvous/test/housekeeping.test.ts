import t from 'tap';
import { formatGuid, nodeCrypto, runTO0, runTO1, RVTO2Addr } from '@fdo/protocol';
import { httpTransport } from '@fdo/client-kit';
import { databaseTargets } from '@fdo/storage/testing';
import { makeDevice, rowCounts, startRendezvous } from './helpers.js';

const owner = [RVTO2Addr.fromUrl('https://owner.example.com:8443')];

t.test('an expired registration is refused with its expiry, then purged', async (t) => {
  const device = await makeDevice();
  for (const db of await databaseTargets(t)) {
    await t.test(db.name, async (t) => {
      let clock = Date.now();
      const rv = await startRendezvous(t, db.url, { now: () => clock, purgeGraceSeconds: 600 });
      await runTO0(httpTransport(rv.url), {
        crypto: nodeCrypto,
        voucher: device.voucher,
        ownerKey: device.ownerKey.privateKey,
        addresses: owner,
        waitSeconds: 60,
      });
      const to1 = () =>
        runTO1(httpTransport(rv.url), { credential: device.credential, deviceKey: device.deviceKey.privateKey });
      t.equal((await to1()).addresses.length, 1, 'registered: redirected');

      clock += 61_000;
      const expiresAt = (await rv.app.rendezvous.registrations.status(formatGuid(device.guid)))!.expiresAt;
      const refused = await to1().then(
        () => undefined,
        (e: { error?: { code: number; message: string } }) => e.error,
      );
      t.equal(refused?.code, 6);
      t.equal(
        refused?.message,
        `no owner registration for GUID ${formatGuid(device.guid)} (expired at ${expiresAt.toISOString()}): its owner must run TO0 again`,
      );
      t.equal((await rv.api('GET', `/registrations/${formatGuid(device.guid)}`)).json.state, 'expired');

      t.same(await rv.app.rendezvous.purger.runOnce(), { registrations: 0, nonces: 0 }, 'kept during the grace period');
      clock += 600_000;
      t.same(
        await rv.app.rendezvous.purger.runOnce(),
        { registrations: 1, nonces: 1 },
        'purged after the grace period, with the spent nonce',
      );
      t.same(await rowCounts(rv), { registrations: 0, nonces: 0 });
      t.equal((await rv.api('GET', `/registrations/${formatGuid(device.guid)}`)).json.state, 'none');
    });
  }
});

t.test('the background purge runs on its own', async (t) => {
  const device = await makeDevice();
  const [db] = await databaseTargets(t);
  let clock = Date.now();
  const rv = await startRendezvous(t, db!.url, { now: () => clock, purgeGraceSeconds: 0, purgeIntervalSeconds: 1 });
  await runTO0(httpTransport(rv.url), {
    crypto: nodeCrypto,
    voucher: device.voucher,
    ownerKey: device.ownerKey.privateKey,
    addresses: owner,
    waitSeconds: 5,
  });
  clock += 3_600_000;
  const deadline = Date.now() + 5000;
  while ((await rowCounts(rv)).registrations > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  t.same(await rowCounts(rv), { registrations: 0, nonces: 0 });
});

t.test('request size and rate limits', async (t) => {
  const [db] = await databaseTargets(t);
  const rv = await startRendezvous(t, db!.url, {
    maxMessageBytes: 2048,
    rateLimit: { perSecond: 1, burst: 3, trustProxyHops: 1 },
  });
  const post = (body: Uint8Array, from = '198.51.100.1') =>
    fetch(`${rv.url}/fdo/101/msg/20`, {
      method: 'POST',
      // The trusted proxy appends the address it saw; what the client claimed before it is ignored.
      headers: { 'content-type': 'application/cbor', 'x-forwarded-for': `203.0.113.9, ${from}` },
      body,
    });
  const big = await post(new Uint8Array(4096));
  t.equal(big.status, 500);
  t.equal(big.headers.get('message-type'), '255', 'a body over the limit gets message 255');
  t.equal((await post(Uint8Array.of(0x80))).status, 200);
  t.equal((await post(Uint8Array.of(0x80))).status, 200);
  const limited = await post(Uint8Array.of(0x80));
  t.equal(limited.status, 429);
  t.equal(limited.headers.get('message-type'), '255');
  t.ok(Number(limited.headers.get('retry-after')) >= 1);
  const { decodeErrorMessage } = await import('@fdo/protocol');
  const em = decodeErrorMessage(new Uint8Array(await limited.arrayBuffer()));
  t.equal(em.code, 500);
  t.match(em.message, /^too many requests from 198\.51\.100\.1; retry in \d+ s$/);
  t.equal(
    (await post(Uint8Array.of(0x80), '198.51.100.2')).status,
    200,
    'another device behind the proxy is not limited',
  );
  t.equal((await fetch(`${rv.url}/health`)).status, 200, '/health is never limited');
  const api = await fetch(`${rv.url}/api/v1/stats`, { headers: { 'x-forwarded-for': '198.51.100.1' } });
  t.equal(api.status, 429);
  t.equal(((await api.json()) as { error: string }).error, 'rate_limited');
});
