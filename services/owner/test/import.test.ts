import t from 'tap';
import {
  formatGuid,
  generateKeyPair,
  OwnershipVoucher,
  privateKeyToPem,
  readVoucherPem,
  RendezvousInfo,
  RVVariable,
  voucherToPem,
} from '@fdo/protocol';
import { certificatesToPem } from '@fdo/protocol/x509';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OwnerKeys } from '../src/index.js';
import { onEachDatabase, startOwner, tempDir, voucherFactory, type Json } from './helpers.js';

// The owner's key is made once per file; every instance reads it from the same keys folder.
const keysDir = tempDir(t, 'fdo-owner-keys-');
const [ownerKey] = (await OwnerKeys.load({ keysDir, keyKinds: ['ec256'], keyFiles: [] })).list();
const factory = await voucherFactory(ownerKey!.publicKey);
const stranger = generateKeyPair('ec256');

onEachDatabase(t, 'import one voucher (PEM, CBOR), idempotently, and reject what is not ours', async (t, db) => {
  const owner = await startOwner(t, { databaseUrl: db.url, keysDir });
  const ov = factory.make();
  const guid = formatGuid(ov.guid);

  const first = await owner.api('POST', '/vouchers?tag=PO-1', { raw: voucherToPem(ov) });
  t.equal(first.status, 200, first.text);
  t.same(first.json, { imported: 1, duplicate: 0, rejected: 0, results: [{ index: 0, guid, result: 'imported' }] });
  const again = await owner.api('POST', '/vouchers', { raw: ov.encode(), contentType: 'application/cbor' });
  t.same(again.json.results, [{ index: 0, guid, result: 'duplicate' }], 'the same voucher as CBOR is a duplicate');

  const got = await owner.api('GET', `/vouchers/${guid.replaceAll('-', '')}`);
  t.match(got.json, { guid, state: 'imported', entries: 1, ownerKeySha256: ownerKey!.sha256, tags: ['PO-1'] });
  const pem = await owner.api('GET', `/vouchers/${guid}?format=pem`);
  t.equal(pem.headers.get('content-type'), 'application/x-pem-file');
  t.same(readVoucherPem(pem.text).vouchers[0]!.encode(), ov.encode(), 'the voucher comes back byte for byte');
  const cbor = await fetch(`${owner.url}/api/v1/vouchers/${guid}?format=cbor`, {
    headers: { authorization: `Bearer ${owner.admin}` },
  });
  t.same(new Uint8Array(await cbor.arrayBuffer()), ov.encode());

  // Not ours, unextended, tampered, and another voucher under a GUID we hold: rejected, nothing stored.
  const notOurs = factory.make({ owner: stranger.publicKey });
  const unextended = factory.make({ extend: false });
  const tamperedBytes = factory.make().encode();
  tamperedBytes[tamperedBytes.length - 5]! ^= 0x01; // inside the entry's signature
  const bundle =
    [notOurs, unextended].map(voucherToPem).join('') + voucherToPem(OwnershipVoucher.decode(tamperedBytes));
  const bad = await owner.api('POST', '/vouchers', { raw: bundle });
  t.equal(bad.status, 200);
  t.match(bad.json, { imported: 0, duplicate: 0, rejected: 3 });
  t.match(
    bad.json.results[0].reason,
    /^not extended to this owner: its owner key \(EC P-256 SHA256:[0-9a-f]{64}\) is not one of ours/,
  );
  t.match(bad.json.results[1].reason, /no entries/);
  t.match(bad.json.results[2].reason, /^does not verify: entry 0: signature/);
  t.equal(bad.json.results[0].guid, formatGuid(notOurs.guid));
  const list = await owner.api('GET', '/vouchers');
  t.equal(list.json.vouchers.length, 1, 'only the good voucher is stored');

  const garbage = await owner.api('POST', '/vouchers', { raw: 'hello' });
  t.equal(garbage.status, 400);
  t.equal(garbage.json.error, 'no_voucher');
  const badBlock = await owner.api('POST', '/vouchers', {
    raw: '-----BEGIN OWNERSHIP VOUCHER-----\nAAEC\n-----END OWNERSHIP VOUCHER-----\n',
  });
  t.match(badBlock.json, {
    rejected: 1,
    results: [{ guid: null, result: 'rejected', reason: /^not a valid ownership voucher/ }],
  });
  const noAuth = await owner.api('POST', '/vouchers', { raw: voucherToPem(ov), token: null });
  t.equal(noAuth.status, 401);
});

onEachDatabase(t, 'the interop format (voucher + owner private key) imports, the key is ignored', async (t, db) => {
  const owner = await startOwner(t, { databaseUrl: db.url, keysDir });
  const vouchers = [factory.make(), factory.make()];
  const text = vouchers.map(voucherToPem).join('\n') + privateKeyToPem(stranger.privateKey);
  const res = await owner.api('POST', '/vouchers?details=problems', { raw: text });
  t.same(res.json, { imported: 2, duplicate: 0, rejected: 0, results: [] });
  const stored = await owner.api('GET', `/vouchers/${formatGuid(vouchers[1]!.guid)}?format=pem`);
  t.notMatch(stored.text, /PRIVATE KEY/, 'no private key is stored or returned');
});

onEachDatabase(t, 'list with filters and cursor paging; tags; delete', async (t, db) => {
  const owner = await startOwner(t, { databaseUrl: db.url, keysDir });
  const a = Array.from({ length: 5 }, () => factory.make());
  const b = Array.from({ length: 3 }, () => factory.make());
  await owner.api('POST', '/vouchers?tag=A&tag=site-1', { raw: a.map(voucherToPem).join('') });
  await owner.api('POST', '/vouchers?tag=B', { raw: b.map(voucherToPem).join('') });

  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page: Json = await owner.api('GET', `/vouchers?limit=3${cursor === null ? '' : `&cursor=${cursor}`}`);
    seen.push(...page.json.vouchers.map((v: Json) => v.guid));
    cursor = page.json.nextCursor;
  } while (cursor !== null);
  t.same(
    seen,
    [...a, ...b].map((v) => formatGuid(v.guid)),
    'every voucher once, in import order',
  );
  t.equal((await owner.api('GET', '/vouchers?tag=B')).json.vouchers.length, 3);
  t.equal((await owner.api('GET', '/vouchers?tag=site-1&state=imported')).json.vouchers.length, 5);
  t.equal((await owner.api('GET', '/vouchers?state=onboarded')).json.vouchers.length, 0);
  t.equal(
    (await owner.api('GET', `/vouchers?to=${new Date(Date.now() - 60_000).toISOString()}`)).json.vouchers.length,
    0,
  );
  t.equal((await owner.api('GET', '/vouchers?from=yesterday')).status, 400);

  const guid = formatGuid(a[0]!.guid);
  const tagged = await owner.api('PUT', `/vouchers/${guid}/tags`, { body: { tags: ['B', 'rack-7'] } });
  t.same(tagged.json.tags, ['B', 'rack-7']);
  t.equal((await owner.api('GET', '/vouchers?tag=B')).json.vouchers.length, 4);
  t.equal((await owner.api('PUT', `/vouchers/${guid}/tags`, { body: { tags: ['x'] }, token: null })).status, 401);

  t.equal((await owner.api('DELETE', `/vouchers/${guid}`)).status, 204);
  t.equal((await owner.api('GET', `/vouchers/${guid}`)).status, 404);
  t.equal((await owner.api('DELETE', `/vouchers/${guid}`)).status, 404);
  t.equal((await owner.api('GET', '/vouchers/not-a-guid')).json.error, 'invalid_guid');
  const back = await owner.api('POST', '/vouchers', { raw: voucherToPem(a[0]!) });
  t.equal(back.json.imported, 1, 'a deleted voucher can be imported again');
});

onEachDatabase(t, 'a bundle of 5,000 vouchers streams in, with exact counts', async (t, db) => {
  const owner = await startOwner(t, { databaseUrl: db.url, keysDir });
  const N = 5000;
  const vouchers = Array.from({ length: N }, () => factory.make());
  const alreadyThere = vouchers.slice(0, 10);
  await owner.api('POST', '/vouchers', { raw: alreadyThere.map(voucherToPem).join('') });
  const foreign = factory.make({ owner: stranger.publicKey });
  // Sent as a stream, in chunks that cut PEM blocks anywhere.
  const text = vouchers.map(voucherToPem).join('') + voucherToPem(foreign) + voucherToPem(vouchers[42]!);
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      const size = 1000 + ((offset * 7) % 9000);
      controller.enqueue(bytes.subarray(offset, offset + size));
      offset += size;
    },
  });
  const res = await owner.api('POST', '/vouchers?tag=BULK&details=problems', { raw: stream });
  t.equal(res.status, 200, res.text);
  t.match(res.json, { imported: N - 10, duplicate: 11, rejected: 1 });
  t.same(
    res.json.results.map((r: Json) => r.index),
    [N],
    'the foreign voucher is the one rejected, by position',
  );
  const counts = await owner.api('GET', '/devices/counts?tag=BULK');
  t.equal(counts.json.total, N - 10, 'tagged on import: the vouchers this upload imported');
  t.equal((await owner.api('GET', '/devices/counts')).json.imported, N);
});

onEachDatabase(t, 'with device CAs configured, a chain from another CA is rejected', async (t, db) => {
  const dir = tempDir(t);
  const caFile = join(dir, 'device-ca.pem');
  writeFileSync(caFile, certificatesToPem([factory.deviceCa]));
  const owner = await startOwner(t, { databaseUrl: db.url, keysDir, deviceCaFiles: [caFile] });
  const otherFactory = await voucherFactory(ownerKey!.publicKey);
  const res = await owner.api('POST', '/vouchers', {
    raw: voucherToPem(factory.make()) + voucherToPem(otherFactory.make()),
  });
  t.match(res.json, { imported: 1, rejected: 1 });
  t.match(res.json.results[1].reason, /leads to none of the configured device CAs/);
});

onEachDatabase(t, 'TO0 targets: owner-side rendezvous directives, not RVBypass (the owner itself)', async (t, db) => {
  const owner = await startOwner(t, { databaseUrl: db.url, keysDir });
  const [rv] = RendezvousInfo.fromUrls('http://rv.example:8040').directives;
  const [direct] = RendezvousInfo.fromUrls('http://owner.example:8042').directives;
  const [devOnly] = RendezvousInfo.fromUrls('http://rv-dev.example:8040').directives;
  const rvInfo = new RendezvousInfo([
    [...direct!, { variable: RVVariable.Bypass }],
    rv!,
    [...devOnly!, { variable: RVVariable.DevOnly }],
  ]);
  const ov = factory.make({ rvInfo });
  t.equal((await owner.api('POST', '/vouchers', { raw: voucherToPem(ov) })).json.imported, 1);
  const device = (await owner.api('GET', `/devices/${formatGuid(ov.guid)}`)).json;
  t.same(
    device.rendezvous.map((r: Json) => r.url),
    ['http://rv.example:8040'],
  );
});

onEachDatabase(t, 'an upload over the size limit is refused with 413', async (t, db) => {
  const owner = await startOwner(t, { databaseUrl: db.url, keysDir, importMaxBytes: 4096 });
  const text = Array.from({ length: 5 }, () => voucherToPem(factory.make())).join('');
  const res = await owner.api('POST', '/vouchers', { raw: text });
  t.equal(res.status, 413);
  t.equal(res.json.error, 'payload_too_large');
});
