import { join } from 'node:path';
import t from 'tap';
import { deviceInitialize } from '@fdo/device-client';
import { formatGuid, generateKeyPair, publicKeyToPem } from '@fdo/protocol';
import { metricSample } from '@fdo/server-kit';
import { sqliteTarget } from '@fdo/storage/testing';
import { startManufacturer, tempDir } from './helpers.js';

t.test('/metrics needs a read token; DI and voucher extensions show in it', async (t) => {
  const keysDir = join(tempDir(t), 'keys');
  const mfg = await startManufacturer(t, { databaseUrl: sqliteTarget(t).url, keysDir, keyKinds: ['ec256'] });
  const scrape = (token?: string) =>
    fetch(`${mfg.url}/metrics`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });

  const anonymous = await scrape();
  t.equal(anonymous.status, 401);
  t.match(await anonymous.json(), { error: 'unauthorized', message: /fdo-manufacturer tokens create/ });

  const before = await scrape(mfg.admin);
  t.equal(before.status, 200);
  t.match(before.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  t.equal(metricSample(await before.text(), 'fdo_mfg_di_completed_total'), 0);

  const { credential } = await deviceInitialize({ manufacturerUrl: mfg.url, serialNumber: 'SN-metrics-1' });
  const after = await (await scrape(mfg.admin)).text();
  t.equal(metricSample(after, 'fdo_mfg_di_completed_total'), 1);
  t.equal(metricSample(after, 'fdo_sessions_total', { protocol: 'DI', outcome: 'started' }), 1);
  t.equal(metricSample(after, 'fdo_sessions_total', { protocol: 'DI', outcome: 'completed' }), 1);
  t.equal(metricSample(after, 'fdo_session_duration_seconds_count', { protocol: 'DI', outcome: 'completed' }), 1);
  t.equal(
    metricSample(after, 'fdo_messages_total', { msg_type: '12', error_code: 'none', service: 'manufacturer' }),
    1,
  );

  const extend = () =>
    mfg.api(`/vouchers/${formatGuid(credential.guid)}/extend`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ownerKey: publicKeyToPem(generateKeyPair('ec256').publicKey) }),
    });
  t.equal((await extend()).status, 200);
  t.equal((await extend()).status, 409);
  const extended = await (await scrape(mfg.admin)).text();
  t.equal(metricSample(extended, 'fdo_mfg_vouchers_extended_total', { result: 'extended' }), 1);
  t.equal(metricSample(extended, 'fdo_mfg_vouchers_extended_total', { result: 'already_extended' }), 1);
});

t.test('FDO_MFG_METRICS_AUTH=none opens /metrics (for a scraper on a private network)', async (t) => {
  const keysDir = join(tempDir(t), 'keys');
  const mfg = await startManufacturer(t, {
    databaseUrl: sqliteTarget(t).url,
    keysDir,
    keyKinds: ['ec256'],
    metricsAuth: 'none',
  });
  const res = await fetch(`${mfg.url}/metrics`);
  t.equal(res.status, 200);
  t.match(await res.text(), /^# TYPE fdo_mfg_di_completed_total counter$/m);
});
