import t from 'tap';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatGuid, nodeCrypto, runTO0, RVTO2Addr, toHex, toPem } from '@fdo/protocol';
import { httpTransport } from '@fdo/client-kit';
import { databaseTargets } from '@fdo/storage/testing';
import { ConfigError, loadConfig } from '../src/index.js';
import { keyPair, makeDevice, rowCounts, startRendezvous } from './helpers.js';

const owner = [RVTO2Addr.fromUrl('https://owner.example.com:8443')];

t.test('admin API: registration state, counts, trust lists, deny-list, scopes', async (t) => {
  const [db] = await databaseTargets(t);
  const rv = await startRendezvous(t, db!.url);
  const device = await makeDevice();
  const guid = formatGuid(device.guid);
  await runTO0(httpTransport(rv.url), {
    crypto: nodeCrypto,
    voucher: device.voucher,
    ownerKey: device.ownerKey.privateKey,
    addresses: owner,
    waitSeconds: 3600,
  });

  const state = await rv.api('GET', `/registrations/${guid.replace(/-/g, '').toUpperCase()}`);
  t.equal(state.status, 200);
  t.equal(state.json.guid, guid, 'GUIDs are accepted with or without dashes, any case');
  t.equal(state.json.state, 'registered');
  t.equal(state.json.denied, false);
  t.equal(state.json.ownerKeyFingerprint, toHex(nodeCrypto.digest('SHA-256', device.ownerKey.publicKey.spki)));
  t.equal(state.json.waitSeconds, 3600);
  t.ok(Date.parse(state.json.expiresAt) > Date.now() + 3_500_000);
  t.same(Object.keys(state.json).sort(), [
    'denied',
    'expiresAt',
    'guid',
    'ownerKeyFingerprint',
    'registeredAt',
    'state',
    'voucherEntryHash',
    'voucherHeaderHash',
    'waitSeconds',
  ]);
  t.equal((await rv.api('GET', '/registrations/not-a-guid')).status, 400);
  t.same((await rv.api('GET', '/stats')).json, { registrations: { total: 1, active: 1, expired: 0 } });

  const reader = await rv.token(['read']);
  t.equal((await rv.api('GET', '/stats', { token: '' })).status, 401);
  t.equal((await rv.api('GET', '/stats', { token: reader })).status, 200);
  const pem = toPem('PUBLIC KEY', keyPair('ec256').publicKey.spki);
  t.equal(
    (await rv.api('POST', '/trust/owner', { token: reader, body: { pem } })).status,
    403,
    'trust changes need admin',
  );
  const writer = await rv.token(['write']);
  t.equal((await rv.api('POST', '/trust/owner', { token: writer, body: { pem } })).status, 403);

  const bad = await rv.api('POST', '/trust/owner', { body: { pem: 'nonsense' } });
  t.equal(bad.status, 400);
  t.match(bad.json.message, /expected one PEM block/);
  t.equal((await rv.api('POST', '/trust/somebody', { body: { pem } })).status, 400);
  const added = await rv.api('POST', '/trust/manufacturer', { body: { pem, label: 'ACME' } });
  t.equal(added.status, 201);
  const listed = await rv.api('GET', '/trust/manufacturer');
  t.equal(listed.json.enforced, true);
  t.same(
    listed.json.entries.map((e: { label: string }) => e.label),
    ['ACME'],
  );
  t.equal((await rv.api('DELETE', `/trust/manufacturer/${added.json.fingerprint}`)).status, 204);
  t.equal((await rv.api('DELETE', `/trust/manufacturer/${added.json.fingerprint}`)).status, 404);
  t.equal((await rv.api('GET', '/trust/manufacturer')).json.enforced, false);

  const denied = await rv.api('PUT', `/deny-list/${guid}`, { body: { reason: 'reported stolen' } });
  t.same(
    [denied.json.guid, denied.json.reason, denied.json.removedRegistration],
    [guid, 'reported stolen', true],
    'denying a GUID removes its registration',
  );
  t.equal((await rowCounts(rv)).registrations, 0);
  t.same((await rv.api('GET', `/registrations/${guid}`)).json, { guid, state: 'none', denied: true });
  t.equal((await rv.api('GET', '/deny-list')).json.length, 1);
  t.equal((await rv.api('DELETE', `/deny-list/${guid}`)).status, 204);
  t.equal((await rv.api('DELETE', `/deny-list/${guid}`)).status, 404);
});

t.test('trust file: its lists are enforced and shown, and only it can change them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fdo-rv-trust-'));
  const trusted = keyPair('ec256');
  const deniedDevice = await makeDevice();
  const file = join(dir, 'trust.json');
  writeFileSync(
    file,
    JSON.stringify({
      ownerKeys: [toPem('PUBLIC KEY', trusted.publicKey.spki)],
      deniedGuids: [formatGuid(deniedDevice.guid)],
    }),
  );
  const [db] = await databaseTargets(t);
  const rv = await startRendezvous(t, db!.url, { trustFile: file });
  const list = await rv.api('GET', '/trust/owner');
  t.same(
    list.json.entries.map((e: { source: string }) => e.source),
    ['file'],
  );
  t.equal((await rv.api('DELETE', `/trust/owner/${list.json.entries[0].fingerprint}`)).status, 409);
  t.equal((await rv.api('DELETE', `/deny-list/${formatGuid(deniedDevice.guid)}`)).status, 409);
  const e = await runTO0(httpTransport(rv.url), {
    crypto: nodeCrypto,
    voucher: deniedDevice.voucher,
    ownerKey: deniedDevice.ownerKey.privateKey,
    addresses: owner,
  }).then(
    () => undefined,
    (err: { error?: { code: number; message: string } }) => err.error,
  );
  t.equal(e?.code, 3);
  t.match(e?.message, /deny-list/);

  writeFileSync(file, JSON.stringify({ ownerKeys: ['-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----'] }));
  await t.rejects(
    startRendezvous(t, db!.url, { trustFile: file }),
    /trust\.json: ownerKeys\[0\]: not a usable public key/,
  );
  writeFileSync(file, JSON.stringify({ owners: [] }));
  await t.rejects(startRendezvous(t, db!.url, { trustFile: file }), /unknown field "owners"/);
});

t.test('configuration: defaults, and every invalid setting named at once', async (t) => {
  const c = loadConfig({});
  t.equal(c.port, 8040);
  t.equal(c.host, '127.0.0.1');
  t.match(c.databaseUrl, /^file:.*\.data\/rendezvous\/rendezvous\.db$/);
  t.equal(c.maxWaitSeconds, 30 * 86_400);
  t.equal(c.tokenSecrets, null);
  t.equal(c.rateLimit.perSecond, 200);
  t.equal(c.to1ReplayGuard, 'memory');
  const secret = 'ab'.repeat(32);
  t.equal(loadConfig({ FDO_RV_TOKEN_SECRET: secret }).tokenSecrets?.length, 1);
  try {
    loadConfig({
      FDO_RV_MAX_WAIT_SECONDS: '0',
      FDO_RV_DATABASE_URL: 'mysql://x',
      FDO_RV_TOKEN_SECRET: 'short',
      FDO_RV_RATE_LIMIT_PER_SECOND: 'lots',
      FDO_RV_TO1_REPLAY_GUARD: 'sometimes',
    });
    t.fail('should throw');
  } catch (err) {
    t.type(err, ConfigError);
    const problems = (err as ConfigError).problems;
    t.equal(problems.length, 5);
    for (const name of [
      'FDO_RV_MAX_WAIT_SECONDS',
      'FDO_RV_DATABASE_URL',
      'FDO_RV_TOKEN_SECRET',
      'FDO_RV_RATE_LIMIT_PER_SECOND',
      'FDO_RV_TO1_REPLAY_GUARD',
    ]) {
      t.ok(
        problems.some((p) => p.startsWith(name)),
        `names ${name}`,
      );
    }
  }
});
