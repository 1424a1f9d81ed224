import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { equal, formatGuid, nodeCrypto, privateKeyInfo, readVoucherPem, verifyVoucher } from '@fdo/protocol';
import { readCredentialFile } from '@fdo/device-client';
import { sqliteTarget } from '@fdo/storage/testing';
import { startManufacturer, tempDir } from './helpers.js';

const bin = fileURLToPath(new URL('../../../packages/device-client/bin/fdo-device.js', import.meta.url));
const run = (...args: string[]) => promisify(execFile)(process.execPath, [bin, ...args]);

t.test('fdo-device di: runs DI and writes the credential; refuses to overwrite without --force', async (t) => {
  const mfg = await startManufacturer(t, {
    databaseUrl: sqliteTarget(t).url,
    keysDir: tempDir(t),
    keyKinds: ['ec384'],
  });
  const cred = join(tempDir(t), 'device.cred');
  const args = [
    'di',
    '--manufacturer',
    mfg.url,
    '--serial',
    'CLI-1',
    '--device-info',
    'cli-model',
    '--key',
    'ec384',
    '--credential',
    cred,
  ];
  const { stdout } = await run(...args);
  t.match(stdout, /DI done: GUID [0-9a-f-]{36}, credential written to/);
  t.equal(statSync(cred).mode & 0o777, 0o600);
  const { credential, privateKey } = readCredentialFile(cred);
  t.same(privateKeyInfo(privateKey), { kind: 'ec', curve: 'P-384' });
  t.equal(credential.deviceInfo, 'cli-model');
  const pem = await (await mfg.api(`/vouchers/${formatGuid(credential.guid)}?format=pem`)).text();
  t.ok(verifyVoucher(nodeCrypto, readVoucherPem(pem).vouchers[0]!, { hmacSecret: credential.hmacSecret }).hmacChecked);

  const before = (await (await mfg.api('/stats')).json()) as { vouchers: number };
  const again = await run(...args).catch((e: { code: number; stderr: string }) => e);
  t.match(again, { code: 1, stderr: /already holds a credential; use --force/ });
  t.ok(equal(readCredentialFile(cred).credential.guid, credential.guid), 'the credential is untouched');
  t.match(await (await mfg.api('/stats')).json(), { vouchers: before.vouchers }, 'and no DI was run');
  await run(...args, '--force');
  t.notOk(equal(readCredentialFile(cred).credential.guid, credential.guid), '--force replaces it');

  const usage = await run('di', '--serial', 'x').catch((e: { code: number; stderr: string }) => e);
  t.match(usage, { code: 2, stderr: /--manufacturer URL is required/ });
  const badKey = await run(
    'di',
    '--manufacturer',
    mfg.url,
    '--serial',
    'x',
    '--key',
    'dsa',
    '--credential',
    cred,
  ).catch((e: { code: number; stderr: string }) => e);
  t.match(badKey, { code: 2, stderr: /--key must be one of ec256, ec384, rsa2048, rsa3072/ });
  const refused = await run(
    'di',
    '--manufacturer',
    mfg.url,
    '--serial',
    'x',
    '--key',
    'ec256',
    '--credential',
    join(tempDir(t), 'c'),
  ).catch((e: { code: number; stderr: string }) => e);
  t.match(refused, {
    code: 1,
    stderr: /the manufacturer refused: .* error 101: DI.AppStart: this manufacturer serves no devices with ec256 keys/,
  });
  const down = await run(
    'di',
    '--manufacturer',
    'http://127.0.0.1:9',
    '--serial',
    'x',
    '--credential',
    join(tempDir(t), 'c'),
  ).catch((e: { code: number; stderr: string }) => e);
  t.match(down, { code: 1, stderr: /127\.0\.0\.1:9/ });
});
