import t, { type Test } from 'tap';
import type { OwnershipVoucher } from '@fdo/protocol';
import {
  encodeTO0OwnerSign,
  encodeTO1ProveToRV,
  EntityAttestationToken,
  extendVoucher,
  ErrorCode,
  FdoPeerError,
  formatGuid,
  Hash,
  makeTo0d,
  MsgType,
  nodeCrypto,
  PublicKey,
  runTO0,
  runTO1,
  RVTO2Addr,
  sendTO0Hello,
  sendTO1HelloRV,
  sigInfoFor,
  signatureAlgorithmByName,
  To1d,
  toPem,
  type FdoTransport,
  type KeyPair,
} from '@fdo/protocol';
import { httpTransport } from '@fdo/client-kit';
import { databaseTargets } from '@fdo/storage/testing';
import { keyPair, makeCa, makeDevice, rowCounts, startRendezvous, type Instance, type TestDevice } from './helpers.js';

const owner = [RVTO2Addr.fromUrl('https://owner.example.com:8443')];

async function refusal(p: Promise<unknown>): Promise<{ code: number; message: string; prevMsgType: number }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof FdoPeerError)) throw new Error(`expected message 255, got ${String(err)}`);
  return err.error;
}

function ownerSign(device: TestDevice, nonce: Uint8Array, o: { signer?: KeyPair; hashOver?: Uint8Array } = {}) {
  const to0d = makeTo0d(device.voucher.encode(), 600, nonce);
  const signer = o.signer ?? device.ownerKey;
  const to1d = To1d.sign(
    nodeCrypto,
    signatureAlgorithmByName(PublicKey.fromDer(signer.publicKey).signatureAlg),
    signer.privateKey,
    { rv: owner, to0dHash: Hash.compute(nodeCrypto, 'SHA-256', o.hashOver ?? to0d.bytes) },
  );
  return encodeTO0OwnerSign({ to0d, to1d });
}

const register = (rv: Instance, device: TestDevice, transport: FdoTransport = httpTransport(rv.url)) =>
  runTO0(transport, {
    crypto: nodeCrypto,
    voucher: device.voucher,
    ownerKey: device.ownerKey.privateKey,
    addresses: owner,
  });

async function nothingStored(t: Test, rv: Instance) {
  t.same(await rowCounts(rv), { registrations: 0, nonces: 0 }, 'nothing stored');
}

t.test('TO0 refusals: the right error, and nothing stored', async (t) => {
  const device = await makeDevice();
  for (const db of await databaseTargets(t)) {
    await t.test(db.name, async (t) => {
      const rv = await startRendezvous(t, db.url);
      const session = async () => {
        const transport = httpTransport(rv.url);
        return { transport, nonce: await sendTO0Hello(transport) };
      };

      let s = await session();
      let e = await refusal(
        s.transport.send(MsgType.TO0OwnerSign, ownerSign(device, s.nonce, { signer: keyPair('ec256') })),
      );
      t.equal(e.code, ErrorCode.InvalidOwnerSignBody, 'voucher chain does not end at the to1d signer: 3');
      t.match(e.message, /not signed by the voucher's owner key/);

      s = await session();
      e = await refusal(s.transport.send(MsgType.TO0OwnerSign, ownerSign(device, nodeCrypto.randomBytes(16))));
      t.equal(e.code, ErrorCode.InvalidMessageError, 'wrong nonce: 101');

      s = await session();
      e = await refusal(
        s.transport.send(MsgType.TO0OwnerSign, ownerSign(device, s.nonce, { hashOver: Uint8Array.of(0) })),
      );
      t.equal(e.code, ErrorCode.InvalidOwnerSignBody, 'to1dTo0dHash mismatch: 3');
      t.equal(e.prevMsgType, MsgType.TO0OwnerSign);

      e = await refusal(httpTransport(rv.url).send(MsgType.TO0OwnerSign, ownerSign(device, s.nonce)));
      t.equal(e.code, ErrorCode.InvalidJwtToken, 'no token: 1');
      await nothingStored(t, rv);

      // Reused nonce: the session's OwnerSign, sent twice.
      s = await session();
      const body = ownerSign(device, s.nonce);
      await s.transport.send(MsgType.TO0OwnerSign, body);
      const stored = await rowCounts(rv);
      e = await refusal(s.transport.send(MsgType.TO0OwnerSign, body));
      t.equal(e.code, ErrorCode.InvalidJwtToken, 'reused nonce: 1');
      t.same(await rowCounts(rv), stored, 'nothing more stored');
    });
  }
});

t.test('trust policy: allow-lists and the deny-list refuse with error 3 and store nothing', async (t) => {
  const ca = await makeCa();
  const [trusted, stranger, denied, fromTrustedCa] = await Promise.all([
    makeDevice(),
    makeDevice(),
    makeDevice(),
    makeDevice({ ca }),
  ]);
  const [db] = await databaseTargets(t);
  const rv = await startRendezvous(t, db!.url);

  const put = await rv.api('PUT', `/deny-list/${formatGuid(denied.guid)}`, { body: { reason: 'stolen' } });
  t.equal(put.status, 200);
  let e = await refusal(register(rv, denied));
  t.equal(e.code, ErrorCode.InvalidOwnerSignBody);
  t.match(e.message, /is on this rendezvous server's deny-list/);
  await nothingStored(t, rv);

  const add = await rv.api('POST', '/trust/owner', {
    body: { pem: toPem('PUBLIC KEY', trusted.ownerKey.publicKey.spki), label: 'ACME owner' },
  });
  t.equal(add.status, 201);
  e = await refusal(register(rv, stranger));
  t.equal(e.code, ErrorCode.InvalidOwnerSignBody, 'untrusted owner with an allow-list set: 3');
  t.match(e.message, /is not on this rendezvous server's owner allow-list/);
  await nothingStored(t, rv);
  await register(rv, trusted);
  t.equal((await rowCounts(rv)).registrations, 1, 'the trusted owner registers');

  // Device origin: a device CA on the list admits devices it issued, whoever their manufacturer.
  t.equal((await rv.api('DELETE', `/trust/owner/${add.json.fingerprint}`)).status, 204);
  t.equal((await rv.api('POST', '/trust/device-ca', { body: { pem: toPem('CERTIFICATE', ca.cert) } })).status, 201);
  e = await refusal(register(rv, stranger));
  t.match(e.message, /nor the device certificate chain is trusted/);
  await register(rv, fromTrustedCa);
  t.equal((await rowCounts(rv)).registrations, 2);
});

t.test('TO1 refusals: another key, a replayed ProveToRV, unknown GUID', async (t) => {
  const device = await makeDevice();
  const [db] = await databaseTargets(t);
  const rv = await startRendezvous(t, db!.url);
  await register(rv, device);

  const prove = (nonce: Uint8Array, key = device.deviceKey) =>
    encodeTO1ProveToRV({
      eat: EntityAttestationToken.sign(nodeCrypto, {
        alg: signatureAlgorithmByName('ES256'),
        key: key.privateKey,
        guid: device.guid,
        nonce,
      }),
    });

  let s = httpTransport(rv.url);
  let ack = await sendTO1HelloRV(s, device.guid, sigInfoFor('ES256'));
  let e = await refusal(s.send(MsgType.TO1ProveToRV, prove(ack.nonceTO1Proof, keyPair('ec256'))));
  t.equal(e.code, ErrorCode.InvalidMessageError, 'signed by another key: 101');

  const earlier = httpTransport(rv.url);
  ack = await sendTO1HelloRV(earlier, device.guid, sigInfoFor('ES256'));
  const recorded = prove(ack.nonceTO1Proof);
  t.equal((await earlier.send(MsgType.TO1ProveToRV, recorded)).msgType, MsgType.TO1RVRedirect);
  s = httpTransport(rv.url);
  await sendTO1HelloRV(s, device.guid, sigInfoFor('ES256'));
  e = await refusal(s.send(MsgType.TO1ProveToRV, recorded));
  t.equal(e.code, ErrorCode.InvalidMessageError, 'ProveToRV from an earlier session: 101');
  t.match(e.message, /EAT-NONCE/);

  const other = await makeDevice();
  e = await refusal(
    runTO1(httpTransport(rv.url), { credential: other.credential, deviceKey: other.deviceKey.privateKey }),
  );
  t.equal(e.code, ErrorCode.ResourceNotFound);
  t.equal(
    e.message,
    `no owner registration for GUID ${formatGuid(other.guid)}: its owner has not run TO0 with this rendezvous server`,
  );
});

t.test('a registration is replaced only by a renewal, an extension of its chain, or after it expires', async (t) => {
  for (const db of await databaseTargets(t)) {
    await t.test(db.name, async (t) => {
      let clock = Date.now();
      const rv = await startRendezvous(t, db.url, { now: () => clock });
      const device = await makeDevice();
      const registeredKey = async () =>
        ((await rv.api('GET', `/registrations/${formatGuid(device.guid)}`)).json as { ownerKeyFingerprint: string })
          .ownerKeyFingerprint;
      const as = (voucher: OwnershipVoucher, ownerKey: KeyPair) =>
        runTO0(httpTransport(rv.url), { crypto: nodeCrypto, voucher, ownerKey: ownerKey.privateKey, addresses: owner });

      await register(rv, device);
      const first = await registeredKey();
      await register(rv, device);
      t.equal(await registeredKey(), first, 'the same voucher renews its registration');

      // A double extension: the manufacturer extends the unextended voucher to a second owner.
      const rogue = keyPair('ec256');
      const twice = extendVoucher(
        nodeCrypto,
        device.unextended,
        device.manufacturerKey.privateKey,
        PublicKey.fromDer(rogue.publicKey),
      );
      const e = await refusal(as(twice, rogue));
      t.equal(e.code, ErrorCode.InvalidOwnershipVoucher, 'a chain that does not extend the registered one: 2');
      t.match(e.message, new RegExp(`registered until .* \\(owner key SHA-256 ${first}\\)`));
      t.equal(await registeredKey(), first, 'the registration stands');

      // A resale: the owner extends its voucher to a buyer, whose TO0 replaces the registration.
      const buyer = keyPair('ec256');
      const resold = extendVoucher(
        nodeCrypto,
        device.voucher,
        device.ownerKey.privateKey,
        PublicKey.fromDer(buyer.publicKey),
      );
      await as(resold, buyer);
      const second = await registeredKey();
      t.not(second, first, 'the buyer, whose voucher extends the registered one, replaces it');
      const back = await refusal(register(rv, device));
      t.equal(back.code, ErrorCode.InvalidOwnershipVoucher, 'the seller cannot take the device back');
      t.equal(await registeredKey(), second);

      clock += 31 * 86_400_000; // past the registration (runTO0 asks for 30 days)
      await as(twice, rogue);
      t.not(await registeredKey(), second, 'an expired registration is replaced by any verified voucher');
    });
  }
});
