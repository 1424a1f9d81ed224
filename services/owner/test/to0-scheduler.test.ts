/**
 * TO0 automation against a real rendezvous service: two owner instances on one PostgreSQL database
 * share the work (each voucher registered exactly once per round), renew when due, back off while the
 * rendezvous server is down (the error on the device's timeline), recover when it is back, and stop
 * once a device has onboarded.
 */
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { formatGuid, voucherToPem } from '@fdo/protocol';
import { build as buildRendezvous } from '@fdo/rendezvous';
import { postgresTarget, sqliteTarget } from '@fdo/storage/testing';
import type { FastifyInstance } from 'fastify';
import { OwnerKeys } from '../src/index.js';
import { startOwner, tempDir, voucherFactory, type Json } from './helpers.js';

const keysDir = tempDir(t, 'fdo-owner-keys-');
const [ownerKey] = (await OwnerKeys.load({ keysDir, keyKinds: ['ec256'], keyFiles: [] })).list();
const WAIT = 3600;

/** A rendezvous service on `port` (0: any) that counts the TO0.OwnerSign messages it answers. */
async function startRendezvous(dir: string, port = 0) {
  const app: FastifyInstance = buildRendezvous({
    databaseUrl: `file:${join(dir, 'rv.db')}`,
    dataDir: dir,
    logger: false,
  });
  const counter = { ownerSign: 0 };
  app.addHook('onResponse', async (request, reply) => {
    if (request.url === '/fdo/101/msg/22' && reply.statusCode === 200) counter.ownerSign++;
  });
  await app.listen({ port, host: '127.0.0.1' });
  return { app, port: (app.server.address() as AddressInfo).port, counter };
}

t.test('two owner instances on one PostgreSQL database share TO0 against a real rendezvous service', async (t) => {
  const db = (await postgresTarget(t)) ?? sqliteTarget(t);
  t.comment(`owners on ${db.name}`);
  const rvDir = tempDir(t, 'fdo-owner-rv-');
  let rv = await startRendezvous(rvDir);
  t.teardown(() => rv.app.close());
  const rvUrl = `http://127.0.0.1:${rv.port}`;

  let clock = Date.now();
  const common = {
    databaseUrl: db.url,
    keysDir,
    now: () => clock,
    random: () => 0,
    to0: { waitSeconds: WAIT, renewFraction: 0.8, backoffSeconds: 30, backoffMaxSeconds: 600, batchSize: 5 },
  };
  const a = await startOwner(t, common);
  const b = await startOwner(t, common);
  const both = async () => {
    const [ra, rb] = await Promise.all([a.app.owner.scheduler.runOnce(), b.app.owner.scheduler.runOnce()]);
    return { registered: ra.registered + rb.registered, failed: ra.failed + rb.failed, a: ra, b: rb };
  };

  const factory = await voucherFactory(ownerKey!.publicKey, { rvUrls: [rvUrl] });
  const N = 24;
  const vouchers = Array.from({ length: N }, () => factory.make());
  const imported = await a.api('POST', '/vouchers', { raw: vouchers.map(voucherToPem).join('') });
  t.equal(imported.json.imported, N);

  // Round 1: every voucher registered once, the work split between the instances.
  const round1 = await both();
  t.equal(round1.registered, N, 'every voucher registered');
  t.equal(rv.counter.ownerSign, N, 'exactly one TO0.OwnerSign per voucher at the rendezvous server');
  t.equal(await rv.app.rendezvous.db.prisma.rvRegistration.count(), N);
  t.comment(`instance A registered ${round1.a.registered}, instance B ${round1.b.registered}`);
  const counts = await b.api('GET', '/devices/counts');
  t.match(counts.json, { registered: N, imported: 0, total: N });
  const device: Json = (await a.api('GET', `/devices/${formatGuid(vouchers[0]!.guid)}`)).json;
  t.equal(device.registeredUntil, new Date(clock + WAIT * 1000).toISOString());
  t.match(device.rendezvous, [{ url: rvUrl, state: 'registered', failures: 0 }]);
  t.match(device.events.at(-1), { step: 'to0', outcome: 'ok', message: new RegExp(`registered at ${rvUrl}`) });

  // Nothing is due until 80% of the grant has passed; then each is renewed once.
  t.equal((await both()).registered, 0, 'nothing due yet');
  clock += WAIT * 0.8 * 1000 + 1000;
  t.equal((await both()).registered, N, 'renewed');
  t.equal(rv.counter.ownerSign, 2 * N, 'still exactly once per voucher per round');

  // The rendezvous server goes away: every attempt fails, is recorded, and backs off.
  await rv.app.close();
  clock += WAIT * 1000;
  const down = await both();
  t.match(down, { registered: 0, failed: N });
  const failing: Json = (await a.api('GET', `/devices/${formatGuid(vouchers[1]!.guid)}`)).json;
  t.match(failing.rendezvous, [{ state: 'failing', failures: 1, lastError: /./ }]);
  t.equal(failing.rendezvous[0].nextAttemptAt, new Date(clock + 15_000).toISOString(), 'half of 30 s with jitter 0');
  t.match(failing.events.at(-1), { step: 'to0', outcome: 'error', message: new RegExp(`^${rvUrl}: `) });
  t.match((await a.api('GET', '/rendezvous')).json, { servers: [{ url: rvUrl, failing: N, registered: 0 }] });
  t.equal((await both()).failed, 0, 'no retry before the backoff has passed');
  clock += 16_000;
  t.equal((await both()).failed, N, 'retried once the backoff passed');
  const twice: Json = (await a.api('GET', `/devices/${formatGuid(vouchers[1]!.guid)}`)).json;
  t.equal(twice.rendezvous[0].nextAttemptAt, new Date(clock + 30_000).toISOString(), 'the delay doubles');

  // Back on the same port: the next due round succeeds.
  rv = await startRendezvous(rvDir, rv.port);
  clock += 31_000;
  t.equal((await both()).registered, N, 'registered again');
  t.equal(rv.counter.ownerSign, N);
  t.match((await a.api('GET', '/rendezvous')).json, { servers: [{ url: rvUrl, failing: 0, registered: N }] });

  // An onboarded device is no longer registered; with credential reuse it is.
  const [done, reused] = [formatGuid(vouchers[2]!.guid), formatGuid(vouchers[3]!.guid)];
  await a.api('PUT', `/vouchers/${reused}/credential-reuse`, { body: { enabled: true } });
  t.ok(await a.app.owner.devices.onboarded(done, { os: 'Linux' }, null, 'onboarded'));
  t.ok(await a.app.owner.devices.onboarded(reused, { os: 'Linux' }, null, 'onboarded'));
  clock += WAIT * 1000;
  t.equal((await both()).registered, N - 1, 'all but the onboarded device without credential reuse');
  t.match((await a.api('GET', '/rendezvous')).json, { servers: [{ url: rvUrl, stopped: 1, registered: N - 1 }] });

  // Re-register on request: due at once.
  const again = await a.api('POST', `/vouchers/${done}/register`);
  t.match(again, { status: 202, json: { guid: done, rendezvous: 1 } });
});

t.test('backoff grows exponentially with jitter, up to the maximum', async (t) => {
  const db = sqliteTarget(t);
  let r = 0;
  const owner = await startOwner(t, {
    databaseUrl: db.url,
    keysDir,
    random: () => r,
    to0: { backoffSeconds: 10, backoffMaxSeconds: 100 },
  });
  const s = owner.app.owner.scheduler;
  t.same(
    [1, 2, 3, 4, 5, 9].map((n) => s.backoffMs(n)),
    [5000, 10_000, 20_000, 40_000, 50_000, 50_000],
  );
  r = 0.999999;
  t.same(
    [1, 2, 5].map((n) => Math.round(s.backoffMs(n) / 1000)),
    [10, 20, 100],
  );
});
