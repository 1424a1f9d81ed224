import t from 'tap';
import {
  encodeTO0OwnerSign,
  ErrorCode,
  FdoPeerError,
  formatGuid,
  makeTo0d,
  MsgType,
  nodeCrypto,
  runTO0,
  runTO1,
  RVTO2Addr,
} from '@fdo/protocol';
import { postgresTarget, sqliteTarget, type TestContext } from '@fdo/storage/testing';
import { alternatingTransport, makeDevice, startRendezvous } from './helpers.js';

/** Scale-out is PostgreSQL's job, but two instances on one SQLite file (in one process, here) work too. */
async function sharedDatabases(t: TestContext) {
  const pg = await postgresTarget(t);
  return pg === null ? [sqliteTarget(t)] : [sqliteTarget(t), pg];
}

const owner = [RVTO2Addr.fromUrl('https://owner.example.com:8443')];

t.test('no sticky sessions: two instances on one database, messages alternating between them', async (t) => {
  const devices = await Promise.all([makeDevice(), makeDevice({ ownerKind: 'ec384', deviceKind: 'ec384' })]);
  for (const db of await sharedDatabases(t)) {
    await t.test(db.name, async (t) => {
      const a = await startRendezvous(t, db.url);
      const b = await startRendezvous(t, db.url);
      for (const device of devices) {
        const to0 = alternatingTransport([a.url, b.url]);
        const granted = await runTO0(to0, {
          crypto: nodeCrypto,
          voucher: device.voucher,
          ownerKey: device.ownerKey.privateKey,
          addresses: owner,
          waitSeconds: 600,
        });
        t.equal(granted.waitSeconds, 600);
        t.same(to0.used, [a.url, b.url], 'TO0.Hello on A, TO0.OwnerSign on B');

        const to1 = alternatingTransport([b.url, a.url]);
        const result = await runTO1(to1, { credential: device.credential, deviceKey: device.deviceKey.privateKey });
        t.same(to1.used, [b.url, a.url], 'TO1.HelloRV on B, TO1.ProveToRV on A');
        t.equal(result.addresses[0]!.toUrl(), owner[0]!.toUrl(), `${formatGuid(device.guid)} redirected`);
      }
      const counts = await a.api('GET', '/stats');
      t.same(
        counts.json,
        { registrations: { total: 2, active: 2, expired: 0 } },
        'both instances see every registration',
      );
    });
  }
});

t.test(
  'an OwnerSign replayed on the other instance is refused: the nonce is spent in the shared database',
  async (t) => {
    const device = await makeDevice();
    for (const db of await sharedDatabases(t)) {
      await t.test(db.name, async (t) => {
        const a = await startRendezvous(t, db.url);
        const b = await startRendezvous(t, db.url);
        const session = alternatingTransport([a.url, b.url, b.url]);
        const hello = await session.send(MsgType.TO0Hello, Uint8Array.of(0x80));
        const nonce = hello.body.subarray(2);
        const to0d = makeTo0d(device.voucher.encode(), 600, nonce);
        const { To1d, Hash, signatureAlgorithmByName } = await import('@fdo/protocol');
        const to1d = To1d.sign(nodeCrypto, signatureAlgorithmByName('ES256'), device.ownerKey.privateKey, {
          rv: owner,
          to0dHash: Hash.compute(nodeCrypto, 'SHA-256', to0d.bytes),
        });
        const ownerSign = encodeTO0OwnerSign({ to0d, to1d });
        const accepted = await session.send(MsgType.TO0OwnerSign, ownerSign);
        t.equal(accepted.msgType, MsgType.TO0AcceptOwner, 'accepted on B');
        const replay = await session.send(MsgType.TO0OwnerSign, ownerSign).then(
          () => undefined,
          (e: unknown) => e as FdoPeerError,
        );
        t.type(replay, FdoPeerError);
        t.equal(replay?.error.code, ErrorCode.InvalidJwtToken);
        t.match(replay?.error.message, /already complete/);
      });
    }
  },
);
