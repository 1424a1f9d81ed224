/**
 * Protocol attacks on the whole platform over real HTTP (issue 9; threat model in docs/threat-model.md):
 * replay, reordering, token theft (one session's token with another's message), nonce reuse, a cipher
 * suite downgraded in flight, and a voucher extended twice to different owners. Each test names the
 * check that stops the attack.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { fingerprint } from '@fdo/protocol/x509';
import { httpTransport, registerWithRendezvous } from '@fdo/client-kit';
import {
  CipherSuiteId,
  decodeErrorMessage,
  decodeMessage,
  encodeMessage,
  ErrorCode,
  FdoPeerError,
  extendVoucher,
  formatGuid,
  generateKeyPair,
  nodeCrypto,
  OwnershipVoucher,
  privateKeyFromPem,
  PublicKey,
  runDI,
  runTO0,
  runTO1,
  runTO2,
  voucherToPem,
  type FdoTransport,
} from '@fdo/protocol';
import { sqliteTarget } from '@fdo/storage/testing';
import {
  captureBefore,
  post,
  RecordingTransport,
  type RawReply,
  manufacture,
  manufactureAndImport,
  ownerKeyOf,
  register,
  startPlatform,
  tableDigest,
  to2AddressesOf,
} from '../harness/index.js';

const devmod = { os: 'Linux', arch: 'x86_64', version: '6.1', device: 'attack', sn: 'SN-ATTACK' };

/** The FDO error code of a refusal (message 255), or a description of what came instead. */
function refusal(reply: RawReply): number | string {
  if (reply.status !== 500 || reply.msgType !== 255) return `HTTP ${reply.status}, message ${reply.msgType}`;
  return decodeErrorMessage(reply.body).code;
}

const p = await startPlatform(t, sqliteTarget(t));
const onboard = (d: Awaited<ReturnType<typeof manufacture>>, transport: FdoTransport = httpTransport(p.owner.url)) =>
  runTO2(transport, { credential: d.credential, deviceKey: d.deviceKey.privateKey, devmod });

t.test('replay: an answered message sent again is refused', async (t) => {
  // DI.SetHMAC: the session is spent when the voucher is stored (ManufacturerDiState.completeSession).
  const setHmac = await captureBefore(p.manufacturer.url, 12, async (tr) => {
    return runDI(tr, { crypto: nodeCrypto, deviceKey: generateKeyPair('ec256'), serialNumber: 'SN-REPLAY' });
  });
  t.equal((await post(p.manufacturer.url, 12, setHmac.body, setHmac.token)).status, 200);
  const vouchers = await tableDigest(p, ['mfgVouchers']);
  t.equal(refusal(await post(p.manufacturer.url, 12, setHmac.body, setHmac.token)), 1, 'DI.SetHMAC again: error 1');
  t.equal(await tableDigest(p, ['mfgVouchers']), vouchers, 'no second voucher');

  // TO1.ProveToRV: the nonce is spent on first use (replay guard, to1/prove-to-rv.ts).
  const device = await manufacture(p);
  await register(p, device);
  const prove = await captureBefore(p.rendezvous.url, 32, (tr) =>
    runTO1(tr, { credential: device.credential, deviceKey: device.deviceKey.privateKey }),
  );
  t.equal((await post(p.rendezvous.url, 32, prove.body, prove.token)).status, 200);
  t.equal(refusal(await post(p.rendezvous.url, 32, prove.body, prove.token)), 1, 'TO1.ProveToRV again: error 1');

  // TO2.ProveDevice after it was answered: the session expects DeviceServiceInfoReady (to2/responder.ts advance).
  const d2 = await manufactureAndImport(p);
  const recorder = new RecordingTransport(p.owner.url);
  await onboard(d2, recorder);
  const proveDevice = recorder.sent.find((m) => m.msgType === 64)!;
  t.equal(refusal(await post(p.owner.url, 64, proveDevice.body, proveDevice.token)), 1, 'the ended session is gone');
  const done = recorder.sent.find((m) => m.msgType === 70)!;
  t.equal(refusal(await post(p.owner.url, 70, done.body, done.token)), 1, 'TO2.Done again: error 1');
});

t.test('reordering: a message before its turn is refused and ends the session', async (t) => {
  t.equal(refusal(await post(p.manufacturer.url, 12, new Uint8Array([0x81, 0x40]))), 1, 'DI.SetHMAC first');
  t.equal(refusal(await post(p.rendezvous.url, 32, new Uint8Array([0x80]))), 1, 'TO1.ProveToRV first');
  const d = await manufactureAndImport(p);
  const at62 = await captureBefore(p.owner.url, 62, (tr) => onboard(d, tr));
  t.equal(refusal(await post(p.owner.url, 66, at62.body, at62.token)), 101, 'DeviceServiceInfoReady at step 62');
  t.equal(refusal(await post(p.owner.url, 62, at62.body, at62.token)), 1, 'and the session is over');
});

t.test('token theft: a session token works only for its own session', async (t) => {
  // TO2: device A's session token with device B's ProveDevice (to2/prove-device.ts checks the EAT's
  // nonce and the device key of A's voucher).
  const a = await manufactureAndImport(p);
  const b = await manufactureAndImport(p);
  const atA = await captureBefore(p.owner.url, 64, (tr) => onboard(a, tr));
  const atB = await captureBefore(p.owner.url, 64, (tr) => onboard(b, tr));
  t.equal(refusal(await post(p.owner.url, 64, atB.body, atA.token)), 101, "B's proof in A's session");
  const own = await post(p.owner.url, 64, atB.body, atB.token);
  t.match(own, { status: 200, msgType: 65 }, "B's own session is not disturbed by the attempt");

  // TO1: device A's sealed token with device B's ProveToRV (the token binds the GUID and nonce).
  const c = await manufacture(p);
  const e = await manufacture(p);
  await register(p, c);
  await register(p, e);
  const proveC = await captureBefore(p.rendezvous.url, 32, (tr) =>
    runTO1(tr, { credential: c.credential, deviceKey: c.deviceKey.privateKey }),
  );
  const proveE = await captureBefore(p.rendezvous.url, 32, (tr) =>
    runTO1(tr, { credential: e.credential, deviceKey: e.deviceKey.privateKey }),
  );
  const swapped = refusal(await post(p.rendezvous.url, 32, proveE.body, proveC.token));
  t.ok(swapped === 1 || swapped === 101, `E's proof with C's token: error ${swapped}`);

  // A TO1 token at TO0.OwnerSign: sealed for another message, refused (SealedTokens context and shape).
  const ownerSign = await captureBefore(p.rendezvous.url, 22, async (tr) => {
    return runTO0(tr, {
      crypto: nodeCrypto,
      voucher: c.voucher,
      ownerKey: ownerKeyOf(p, c.voucher),
      addresses: to2AddressesOf(p),
    });
  });
  t.equal(refusal(await post(p.rendezvous.url, 22, ownerSign.body, proveC.token)), 1, 'TO1 token at TO0: error 1');
});

t.test('nonce reuse: a proof signed over another session nonce is refused', async (t) => {
  const d = await manufactureAndImport(p);
  const old = await captureBefore(p.owner.url, 64, (tr) => onboard(d, tr));
  const fresh = await captureBefore(p.owner.url, 64, (tr) => onboard(d, tr));
  t.equal(refusal(await post(p.owner.url, 64, old.body, fresh.token)), 101, 'TO2.ProveDevice of an earlier session');

  const r = await manufacture(p);
  await register(p, r);
  const first = await captureBefore(p.rendezvous.url, 32, (tr) =>
    runTO1(tr, { credential: r.credential, deviceKey: r.deviceKey.privateKey }),
  );
  const second = await captureBefore(p.rendezvous.url, 32, (tr) =>
    runTO1(tr, { credential: r.credential, deviceKey: r.deviceKey.privateKey }),
  );
  t.not(refusal(await post(p.rendezvous.url, 32, first.body, second.token)), 200);
  t.type(refusal(await post(p.rendezvous.url, 32, first.body, second.token)), 'number', 'TO1 proof over an old nonce');
});

t.test('downgrade: a cipher suite changed in flight is caught by the device (helloDeviceHash, §5.5.3)', async (t) => {
  const d = await manufactureAndImport(p);
  const inner = httpTransport(p.owner.url);
  t.teardown(() => inner.close());
  const mitm: FdoTransport = {
    send: (msgType, body) => {
      if (msgType !== 60) return inner.send(msgType, body);
      const hello = decodeMessage(60, body);
      // The device asked for A256GCM; the attacker asks for A128GCM on its behalf.
      return inner.send(60, encodeMessage(60, { ...hello, cipherSuiteName: CipherSuiteId.A128GCM }));
    },
  };
  await t.rejects(
    runTO2(mitm, {
      credential: d.credential,
      deviceKey: d.deviceKey.privateKey,
      devmod,
      cipherSuite: CipherSuiteId.A256GCM,
    }),
    { message: /helloDeviceHash/ },
  );
  // And the owner refuses a suite it does not know (kex/suites, session/cipher-suites tables).
  const hello = await captureBefore(p.owner.url, 60, (tr) => onboard(d, tr));
  const weak = encodeMessage(60, { ...decodeMessage(60, hello.body), cipherSuiteName: 0 });
  const code = refusal(await post(p.owner.url, 60, weak));
  t.ok(code === 100 || code === 101, `an unknown cipher suite: error ${code}`);
  const result = await onboard(d);
  t.ok(result.replacementCredential, 'the device still onboards without the attacker');
});

t.test('double extension: one voucher extended to two owners', async (t) => {
  // A manufacturer (or a thief of its key) extends the same voucher to a second owner key.
  const d = await manufacture(p);
  const rogueOwner = generateKeyPair('ec256');
  const unextended = OwnershipVoucher.create({
    header: d.voucher.header,
    hmac: d.voucher.hmac,
    certChain: d.voucher.certChain,
  });
  t.equal(unextended.entries.length, 0);
  // The second chain needs the manufacturer's private key: the platform keeps it in its key folder.
  const mfgPem = readFileSync(join(p.dir, 'mfg-keys', 'manufacturer-ec256.key.pem'), 'utf8');
  const twice = extendVoucher(
    nodeCrypto,
    unextended,
    privateKeyFromPem(mfgPem),
    PublicKey.fromDer(rogueOwner.publicKey),
  );
  t.not(Buffer.from(twice.entries[0]!.bytes).toString('hex'), Buffer.from(d.voucher.entries[0]!.bytes).toString('hex'));

  // The owner: imports the first; a second, different voucher for the same GUID is refused
  // (VoucherStore.importBatch), whichever owner key it names.
  const first = await p.api(p.owner, 'POST', '/vouchers', voucherToPem(d.voucher));
  t.equal(first.json.imported, 1, first.text);
  const again = await p.api(p.owner, 'POST', '/vouchers', voucherToPem(twice));
  t.equal(again.json.imported, 0, `the second chain is not imported: ${again.text}`);

  // The rendezvous server: both chains verify, so only the chain can tell a resale from a double
  // extension. The registration stands until it expires; the second chain does not extend it (another
  // first entry) and is refused with error 2, naming the registered owner key.
  await register(p, d);
  const rogue = registerWithRendezvous(p.rendezvous.url, {
    voucher: twice,
    ownerKey: rogueOwner.privateKey,
    addresses: to2AddressesOf(p),
    waitSeconds: 60,
  });
  const refused = await rogue.then(
    () => null,
    (err: unknown) => err,
  );
  t.ok(refused instanceof FdoPeerError, `the second chain's TO0 is refused: ${String(refused)}`);
  t.equal((refused as FdoPeerError).error.code, ErrorCode.InvalidOwnershipVoucher);
  t.match((refused as FdoPeerError).message, /from a voucher this one does not extend/);
  const reg = await p.api(p.rendezvous, 'GET', `/registrations/${formatGuid(d.credential.guid)}`);
  t.equal(reg.status, 200, reg.text);
  t.equal(
    reg.json.ownerKeyFingerprint,
    fingerprint(d.voucher.ownerPublicKey.toDer().spki),
    'the first registration stands: the device is still sent to its owner',
  );
});
