/**
 * The manufacturer's operator command line: keys (list, export) from its key folder, and a voucher
 * export from a running instance over loopback HTTP, written whole to a file (the token read from the
 * data folder, as after `npm start`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { publicKeyFromPem, readVoucherPem } from '@fdo/protocol';
import { fingerprint } from '@fdo/protocol/x509';
import { deviceInitialize } from '@fdo/device-client';
import { sqliteTarget } from '@fdo/storage/testing';
import { runManufacturerCli } from '../src/index.js';
import { startManufacturer, tempDir } from './helpers.js';

function cli(env: Record<string, string>) {
  return async (...argv: string[]) => {
    let stdout = '';
    let stderr = '';
    const io = { stdout: (s: string) => void (stdout += s), stderr: (s: string) => void (stderr += s) };
    return { code: await runManufacturerCli(argv, io, env), stdout, stderr };
  };
}

t.test('fdo-manufacturer keys and vouchers export', async (t) => {
  const keysDir = tempDir(t, 'fdo-mfg-keys-');
  const mfg = await startManufacturer(t, { databaseUrl: sqliteTarget(t).url, keysDir, keyKinds: ['ec256'] });
  const env = {
    FDO_MFG_DATA_DIR: mfg.dataDir,
    FDO_MFG_KEYS_DIR: keysDir,
    FDO_MFG_KEY_TYPES: 'ec256',
    FDO_MFG_URL: mfg.url,
  };
  const run = cli(env);

  const listed = await run('keys', 'list');
  t.equal(listed.code, 0, listed.stderr);
  const [kind, sha256, file] = listed.stdout.trim().split('\t');
  t.equal(kind, 'ec256');
  t.equal(file, join(keysDir, 'manufacturer-ec256.key.pem'));
  const exported = await run('keys', 'export');
  t.equal(fingerprint(publicKeyFromPem(exported.stdout).spki), sha256, 'the public key the service signs with');

  for (let i = 0; i < 3; i++) {
    await deviceInitialize({ manufacturerUrl: mfg.url, serialNumber: `CLI-${i}`, deviceInfo: 'model' });
  }
  const out = join(tempDir(t), 'batch.pem');
  const result = await run('vouchers', 'export', '--out', out);
  t.equal(result.code, 0, result.stderr);
  t.match(result.stderr, `3 vouchers exported to ${out}`);
  t.notOk(existsSync(`${out}.partial`), 'no partial file is left');
  const pem = readFileSync(out, 'utf8');
  t.equal(pem.split('-----BEGIN OWNERSHIP VOUCHER-----').length - 1, 3);
  t.ok(readVoucherPem(pem), 'the bundle parses');

  const denied = await cli({ ...env, FDO_MFG_TOKEN: 'not-a-token' })('vouchers', 'export', '--out', out);
  t.equal(denied.code, 1);
  t.match(denied.stderr, /GET \/vouchers\/export: 401 /);
});
