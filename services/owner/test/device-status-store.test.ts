// DeviceStatusStore's TO2 reports on SQLite and PostgreSQL (one statement each on PostgreSQL, a
// transaction on SQLite): the device's state and timeline after to2Started, failed and onboarded,
// with its current GUID and with the GUID it held before its last TO2.
import { openDatabase } from '@fdo/storage';
import { databaseTargets } from '@fdo/storage/testing';
import t from 'tap';
import { DeviceStatusStore } from '../src/store/device-status.js';
import { VoucherStore, type NewVoucher } from '../src/store/vouchers.js';

const voucher = (guid: string): NewVoucher => ({
  guid,
  voucher: new Uint8Array([0x85, 0x18, 0x65, 1]),
  deviceInfo: 'sensor',
  ownerKeySha256: 'ab'.repeat(32),
  manufacturerKeySha256: 'cd'.repeat(32),
  entryCount: 1,
  rvUrls: ['http://rv.example:8040'],
});

for (const target of await databaseTargets(t)) {
  t.test(target.name, async (t) => {
    const db = await openDatabase({ url: target.url });
    t.teardown(() => db.close());
    let clock = Date.parse('2026-11-21T10:00:00Z');
    const now = () => clock;
    const vouchers = new VoucherStore(db.prisma, db.sql);
    const devices = new DeviceStatusStore(db.prisma, db.sql, now);
    const guid = `g-${target.name}-1`;
    await vouchers.importBatch([voucher(guid)], [], new Date(clock));

    t.notOk(await devices.to2Started('nobody'), 'an unknown GUID changes nothing');
    const fence = { id: `fence-${target.name}`, expiresAt: new Date(clock + 300_000), state: new Uint8Array([1, 2]) };
    t.notOk(await devices.to2Started('nobody', { ...fence, id: 'never' }), 'and opens no session fence');
    t.notOk(await devices.failed('nobody', 'TO2.HelloDevice', 'x'), 'nor does its failure');

    clock += 1000;
    t.ok(await devices.to2Started(guid, fence), 'TO2 began, and its session fence opened in the same write');
    t.match(await devices.get(guid), { state: 'to2-started', to2StartedAt: new Date(clock) });
    const fences = await db.sql.query<{ id: string; guid: string; version: number; state: Uint8Array | null }>(
      `SELECT "id", "guid", "version", "state" FROM "owner_to2_session"`,
    );
    t.match(fences, [{ id: fence.id, guid, version: 1, state: fence.state }]);
    t.match((await devices.events(guid)).at(-1), { step: 'to2', outcome: 'info', message: 'TO2 started' });

    clock += 1000;
    t.ok(await devices.failed(guid, 'TO2.ProveDevice', 'error 101: bad signature'));
    t.match(await devices.get(guid), {
      state: 'failed',
      failedAt: new Date(clock),
      failedStep: 'TO2.ProveDevice',
      failedReason: 'error 101: bad signature',
    });
    t.match((await devices.events(guid)).at(-1), {
      step: 'TO2.ProveDevice',
      outcome: 'error',
      message: 'error 101: bad signature',
    });
    // A device's own words may hold U+0000, which PostgreSQL's text cannot (fuzz finding, message 255).
    t.ok(await devices.failed(guid, 'TO2.HelloDeviceAck', 'the device\u0000refused'));
    t.match(await devices.get(guid), { failedReason: 'the device\uFFFDrefused' });

    // Onboarded with a replacement GUID: the device's row and timeline move to it.
    clock += 1000;
    const startedAt = new Date(clock);
    t.ok(await devices.to2Started(guid));
    const next = `g-${target.name}-2`;
    const replacement = { guid: next, voucher: new Uint8Array([9]), entryCount: 1, ownerKeySha256: 'ef'.repeat(32) };
    clock += 1000;
    const done = await devices.onboarded(guid, { os: 'Linux' }, replacement, 'onboarded', {
      serviceInfo: [],
      profile: null,
      sessionStartedAt: startedAt,
    });
    t.match(done, { onboarded: true, guid: next });
    t.match(await devices.get(next), { state: 'onboarded', previousGuid: guid });
    t.same(
      (await devices.events(next)).slice(-4).map((e) => e.message),
      ['error 101: bad signature', 'the device\uFFFDrefused', 'TO2 started', 'onboarded'],
      'the timeline moved with the device',
    );
    t.same(await devices.events(guid), [], 'nothing left under the presented GUID');
    t.match(await devices.rendezvous(next), [{ state: 'stopped' }], 'TO0 stopped (no credential reuse)');
    const onboardedAt = new Date(clock);

    // A second session that started before that onboarding (a retry race, or a clone) stores nothing.
    clock += 1000;
    t.same(
      await devices.onboarded(guid, { os: 'Other' }, { ...replacement, guid: `g-${target.name}-3` }, 'clone', {
        serviceInfo: [],
        profile: null,
        sessionStartedAt: startedAt,
      }),
      { onboarded: false, guid: next, supersededAt: onboardedAt },
    );
    t.match(await devices.get(next), { facts: { os: 'Linux' }, onboardedAt });

    // The device comes back with its previous GUID (it never stored the replacement).
    clock += 1000;
    t.ok(await devices.to2Started(guid), 'found by its previous GUID');
    t.match((await devices.events(next)).at(-1), { message: /with its previous GUID/ });
    t.match(await devices.get(next), { state: 'to2-started', previousGuid: guid });
    // And then with the new one: the previous GUID is forgotten.
    clock += 1000;
    t.ok(await devices.to2Started(next));
    t.match(await devices.get(next), { state: 'to2-started', previousGuid: null });
    t.match((await devices.events(next)).at(-1), { message: 'TO2 started' });

    // Credential reuse (§5.5.9): no replacement, the GUID stays, TO0 goes on.
    t.ok(await vouchers.setCredentialReuse(next, true, new Date(clock)));
    clock += 1000;
    const reuseStartedAt = new Date(clock);
    t.ok(await devices.to2Started(next));
    await db.sql.execute(`UPDATE "owner_rv_registration" SET "state" = 'registered'`);
    clock += 1000;
    t.match(
      await devices.onboarded(next, { os: 'Linux', version: '7' }, null, 'onboarded, credential reused', {
        serviceInfo: [{ module: 'devmod', result: 'ok' }],
        profile: null,
        sessionStartedAt: reuseStartedAt,
      }),
      { onboarded: true, guid: next },
    );
    t.match(await devices.get(next), {
      state: 'onboarded',
      facts: { version: '7' },
      serviceInfo: [{ module: 'devmod', result: 'ok' }],
    });
    t.match(await devices.rendezvous(next), [{ state: 'registered' }], 'TO0 goes on');
  });
}
