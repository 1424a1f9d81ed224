/**
 * Device status, the owner's main view, as TO2 will report it (DeviceStatusStore) and as the API shows
 * it: state filters, counts, search, and each device's timeline.
 */
import t from 'tap';
import { formatGuid, voucherToPem } from '@fdo/protocol';
import { OwnerKeys } from '../src/index.js';
import { onEachDatabase, startOwner, tempDir, voucherFactory, type Json } from './helpers.js';

const keysDir = tempDir(t, 'fdo-owner-keys-');
const [ownerKey] = (await OwnerKeys.load({ keysDir, keyKinds: ['ec256'], keyFiles: [] })).list();
const factory = await voucherFactory(ownerKey!.publicKey);

onEachDatabase(
  t,
  'TO2 reports move devices through their states; the API lists, counts and explains them',
  async (t, db) => {
    const owner = await startOwner(t, { databaseUrl: db.url, keysDir });
    const vouchers = Array.from({ length: 6 }, (_, i) => factory.make({ deviceInfo: `model-${i % 2}` }));
    await owner.api('POST', '/vouchers?tag=site-1', { raw: vouchers.map(voucherToPem).join('') });
    const [g0, g1, g2] = vouchers.map((v) => formatGuid(v.guid));
    const { devices } = owner.app.owner;

    t.ok(await devices.to2Started(g0!));
    t.ok(
      await devices.onboarded(
        g0!,
        { os: 'Linux', arch: 'x86_64', version: '6.1', serial: 'SN-0001' },
        null,
        'onboarded',
      ),
    );
    t.ok(await devices.to2Started(g1!));
    t.ok(
      await devices.failed(g1!, 'TO2.ProveDevice', 'the device signature does not verify with the voucher device key'),
    );
    t.ok(await devices.to2Started(g2!));
    t.notOk(await devices.to2Started('00000000-0000-0000-0000-000000000000'), 'an unknown GUID changes nothing');

    t.same((await owner.api('GET', '/devices/counts')).json, {
      imported: 3,
      registered: 0,
      'to2-started': 1,
      onboarded: 1,
      failed: 1,
      transferred: 0,
      total: 6,
    });
    t.equal((await owner.api('GET', '/devices/counts?tag=other')).json.total, 0);

    const failed: Json = await owner.api('GET', '/devices?state=failed');
    t.match(failed.json.devices, [
      { guid: g1, failedStep: 'TO2.ProveDevice', failedReason: /does not verify/, failedAt: /Z$/ },
    ]);
    t.equal(failed.json.devices.length, 1);
    t.same(
      (await owner.api('GET', '/devices?q=SN-0001')).json.devices.map((d: Json) => d.guid),
      [g0],
      'found by serial number',
    );
    t.same(
      (await owner.api('GET', `/devices?q=${g2!.slice(0, 8)}`)).json.devices.map((d: Json) => d.guid),
      [g2],
      'found by GUID prefix',
    );
    t.equal((await owner.api('GET', '/devices?q=model-1&tag=site-1')).json.devices.length, 3, 'found by device info');
    t.equal((await owner.api('GET', '/devices?state=sleeping')).status, 400);

    const onboarded: Json = (await owner.api('GET', `/devices/${g0}`)).json;
    t.match(onboarded, {
      guid: g0,
      state: 'onboarded',
      facts: { os: 'Linux', arch: 'x86_64', version: '6.1', serial: 'SN-0001' },
      to2StartedAt: /Z$/,
      onboardedAt: /Z$/,
    });
    t.same(
      onboarded.events.map((e: Json) => [e.step, e.outcome]),
      [
        ['import', 'ok'],
        ['to2', 'info'],
        ['to2', 'ok'],
      ],
      'the timeline, oldest first',
    );
    t.equal((await owner.api('GET', '/devices/00000000000000000000000000000000')).status, 404);

    const page1: Json = (await owner.api('GET', '/devices?limit=4')).json;
    const page2: Json = (await owner.api('GET', `/devices?limit=4&cursor=${page1.nextCursor}`)).json;
    t.equal(page1.devices.length + page2.devices.length, 6);
    t.equal(page2.nextCursor, null);
  },
);
