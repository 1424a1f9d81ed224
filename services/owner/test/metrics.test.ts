import { join } from 'node:path';
import t from 'tap';
import { voucherToPem } from '@fdo/protocol';
import { build as buildRendezvous } from '@fdo/rendezvous';
import { metricSample } from '@fdo/server-kit';
import { sqliteTarget } from '@fdo/storage/testing';
import { OwnerKeys } from '../src/index.js';
import { startOwner, tempDir, voucherFactory } from './helpers.js';

t.test('imports, TO0 registrations, renewals and failures, and devices by state show in /metrics', async (t) => {
  const keysDir = tempDir(t, 'fdo-owner-keys-');
  const [ownerKey] = (await OwnerKeys.load({ keysDir, keyKinds: ['ec256'], keyFiles: [] })).list();
  const rvDir = tempDir(t, 'fdo-owner-rv-');
  const rv = buildRendezvous({ databaseUrl: `file:${join(rvDir, 'rv.db')}`, dataDir: rvDir, logger: false });
  const rvUrl = await rv.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => rv.close());

  let clock = Date.now();
  const owner = await startOwner(t, { databaseUrl: sqliteTarget(t).url, keysDir, now: () => clock, random: () => 0 });
  const reader = (await owner.app.owner.tokens.create({ name: 'prometheus', scopes: ['read'] })).token;
  const scrape = async () => {
    const res = await fetch(`${owner.url}/metrics`, { headers: { authorization: `Bearer ${reader}` } });
    t.equal(res.status, 200);
    return res.text();
  };
  t.equal((await fetch(`${owner.url}/metrics`)).status, 401);
  t.equal(metricSample(await scrape(), 'fdo_owner_onboardings_total', { result: 'completed' }), 0, 'declared for TO2');

  const factory = await voucherFactory(ownerKey!.publicKey, { rvUrls: [rvUrl] });
  const [a, b] = [factory.make(), factory.make()];
  const foreign = factory.make({ owner: (await voucherFactory(ownerKey!.publicKey)).manufacturerKey.publicKey });
  const body = [a, b, a, foreign].map(voucherToPem).join('');
  t.match((await owner.api('POST', '/vouchers', { raw: body })).json, { imported: 2, duplicate: 1, rejected: 1 });
  let text = await scrape();
  t.equal(metricSample(text, 'fdo_owner_vouchers_imported_total', { result: 'imported' }), 2);
  t.equal(metricSample(text, 'fdo_owner_vouchers_imported_total', { result: 'duplicate' }), 1);
  t.equal(metricSample(text, 'fdo_owner_vouchers_imported_total', { result: 'rejected' }), 1);
  t.equal(metricSample(text, 'fdo_owner_devices', { state: 'imported' }), 2);

  t.match(await owner.app.owner.scheduler.runOnce(), { registered: 2 });
  clock += 86_400_000;
  t.match(await owner.app.owner.scheduler.runOnce(), { registered: 2 });
  await rv.close();
  clock += 86_400_000;
  t.match(await owner.app.owner.scheduler.runOnce(), { failed: 2 });
  text = await scrape();
  t.equal(metricSample(text, 'fdo_owner_to0_runs_total', { result: 'registered' }), 2);
  t.equal(metricSample(text, 'fdo_owner_to0_runs_total', { result: 'renewed' }), 2);
  t.equal(metricSample(text, 'fdo_owner_to0_runs_total', { result: 'failed' }), 2);
  t.equal(metricSample(text, 'fdo_owner_to0_duration_seconds_count', { result: 'renewed' }), 2);
  t.equal(metricSample(text, 'fdo_owner_devices', { state: 'registered' }), 2);
});
