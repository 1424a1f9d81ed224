// VoucherStore.completeSession ends a DI session and stores its voucher in one write (one statement on
// PostgreSQL, a transaction on SQLite): a session is spent once, an expired one stores nothing, and a
// voucher that cannot be stored leaves the session as it was.
import { openDatabase } from '@fdo/storage';
import { databaseTargets } from '@fdo/storage/testing';
import t from 'tap';
import { VoucherStore, type NewVoucher } from '../src/store/voucher-store.js';

const session = {
  header: new Uint8Array([1, 2, 3]),
  certChain: new Uint8Array([4, 5]),
  serialNumber: 'SN-1',
  deviceKeyType: 10,
  tag: 'PO-1',
};

const voucherFor = (guid: string, entryCount = 0): NewVoucher => ({
  guid,
  serialNumber: 'SN-1',
  deviceInfo: 'sensor',
  tag: 'PO-1',
  deviceKeyType: 10,
  deviceCertSha256: 'ab'.repeat(32),
  voucher: new Uint8Array([0x85, 0x18, 0x65]),
  entryCount,
  ownerKeySha256: entryCount > 0 ? 'cd'.repeat(32) : null,
});

for (const target of await databaseTargets(t)) {
  t.test(target.name, async (t) => {
    const db = await openDatabase({ url: target.url });
    t.teardown(() => db.close());
    const store = new VoucherStore(db.prisma, db.sql);
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const later = new Date(now.getTime() + 60_000);

    await store.createSession('s1', session, later);
    t.ok(await store.completeSession('s1', now, voucherFor('g-1', 1)), 'stored');
    t.equal(await store.countSessions(), 0, 'the session is spent');
    t.notOk(await store.completeSession('s1', now, voucherFor('g-1b')), 'a spent session stores nothing');
    const [stored, ...more] = await store.listVouchers({}, { limit: 10 });
    t.equal(more.length, 0, 'one voucher');
    t.match(stored, {
      guid: 'g-1',
      serialNumber: 'SN-1',
      deviceInfo: 'sensor',
      tag: 'PO-1',
      deviceKeyType: 10,
      deviceCertSha256: 'ab'.repeat(32),
      entryCount: 1,
      ownerKeySha256: 'cd'.repeat(32),
    });
    t.same([...stored!.voucher], [0x85, 0x18, 0x65]);
    t.equal(stored!.createdAt.getTime(), now.getTime(), 'created now');
    t.equal(stored!.extendedAt?.getTime(), now.getTime(), 'extended now');

    await store.createSession('s2', session, later);
    t.notOk(await store.completeSession('s2', later, voucherFor('g-2')), 'an expired session stores nothing');
    t.equal(await store.countSessions(), 1, 'and stays for the sweep');
    t.ok(await store.completeSession('s2', now, voucherFor('g-2')), 'unextended');
    const second = (await store.listVouchers({ guid: 'g-2' }, { limit: 1 }))[0];
    t.equal(second?.extendedAt, null);
    t.equal(second?.ownerKeySha256, null);
    t.equal(second?.tag, 'PO-1');

    // A voucher that cannot be stored (its GUID is taken): the write fails as a whole, the session stays.
    await store.createSession('s3', session, later);
    await t.rejects(store.completeSession('s3', now, voucherFor('g-1')), 'a GUID stored already');
    t.equal(await store.countSessions(), 1, 'the session is not spent');
    t.equal((await store.listVouchers({}, { limit: 10 })).length, 2, 'nothing more stored');
  });
}
