import t from 'tap';
import { formatGuid, nodeCrypto, readVoucherPem, verifyVoucher } from '@fdo/protocol';
import { deviceInitialize } from '@fdo/device-client';
import { databaseTargets } from '@fdo/storage/testing';
import { startManufacturer, tempDir } from './helpers.js';

// Databases are set up, broken and restored in this file: on a loaded 2-core machine it needs more than
// tap's default five minutes.
t.setTimeout(900_000);

// A batch as the line makes it: 1,000 devices (ec256), then one export that must hold exactly those
// vouchers, each verifying with its device's HMAC secret.
const DEVICES = 1000;
const CONCURRENCY = 8;
const keysDir = tempDir(t, 'fdo-mfg-keys-');

for (const db of await databaseTargets(t)) {
  t.test(`${db.name}: DI for ${DEVICES} devices, then a bulk export of exactly those vouchers`, async (t) => {
    const mfg = await startManufacturer(t, {
      databaseUrl: db.url,
      keysDir,
      keyKinds: ['ec256'],
      defaultTag: 'BATCH-1',
    });
    const secrets = new Map<string, Uint8Array>();
    let next = 0;
    const worker = async () => {
      while (next < DEVICES) {
        const n = next++;
        const { credential } = await deviceInitialize({
          manufacturerUrl: mfg.url,
          serialNumber: `BULK-${String(n).padStart(5, '0')}`,
          deviceInfo: 'bulk-model',
        });
        secrets.set(formatGuid(credential.guid), credential.hmacSecret);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    t.equal(secrets.size, DEVICES, 'every device has its own GUID');

    const res = await mfg.api('/vouchers/export?tag=BATCH-1');
    t.equal(res.status, 200);
    t.equal(res.headers.get('content-type'), 'application/x-pem-file');
    const text = await res.text();
    t.notMatch(text, /PRIVATE KEY/, 'no private key in the export');
    const { vouchers } = readVoucherPem(text);
    t.equal(vouchers.length, DEVICES);
    const seen = new Set<string>();
    let verified = 0;
    for (const ov of vouchers) {
      const guid = formatGuid(ov.guid);
      const secret = secrets.get(guid);
      if (secret === undefined || seen.has(guid)) continue;
      seen.add(guid);
      verifyVoucher(nodeCrypto, ov, { hmacSecret: secret });
      verified++;
    }
    t.equal(verified, DEVICES, 'exactly the batch, each voucher once, each verifying');

    const manifest = await (await mfg.api('/manifest?format=json&tag=BATCH-1')).json();
    t.equal((manifest as unknown[]).length, DEVICES);
    const other = await mfg.api('/vouchers/export?tag=NOT-THIS-BATCH');
    t.equal(await other.text(), '', 'another tag exports nothing');
  });
}
