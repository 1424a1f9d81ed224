/**
 * The operator's command line against a running owner over loopback HTTP: keys (list, export, generate),
 * a bulk import with a progress display and per-voucher rejections (exit code 1 when any is rejected),
 * device status as a table, JSON and one device's timeline; and the messages when the owner is not there.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { publicKeyFromPem, voucherToPem } from '@fdo/protocol';
import { fingerprint } from '@fdo/protocol/x509';
import t from 'tap';
import { freePort } from '../../../packages/robustness/harness/processes.js';
import { runOwnerCli } from '../src/index.js';
import { onEachDatabase, startOwner, tempDir, voucherFactory } from './helpers.js';

function cli(env: Record<string, string>) {
  return async (...argv: string[]) => {
    let stdout = '';
    let stderr = '';
    const code = await runOwnerCli(argv, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s) }, env);
    return { code, stdout, stderr };
  };
}

t.test('fdo-owner keys list | export | generate', async (t) => {
  const keysDir = tempDir(t);
  const run = cli({ FDO_OWNER_DATA_DIR: tempDir(t), FDO_OWNER_KEYS_DIR: keysDir, FDO_OWNER_KEY_TYPES: 'ec256,ec384' });
  const generated = await run('keys', 'generate');
  t.equal(generated.code, 0, generated.stderr);
  const lines = generated.stdout.trim().split('\n');
  t.equal(lines.length, 2);
  const [kind, sha256, file] = lines[0]!.split('\t');
  t.equal(kind, 'ec256');
  t.equal(file, join(keysDir, 'owner-ec256.key.pem'));
  t.same((await run('keys', 'list')).stdout, generated.stdout, 'generate is idempotent: the same keys are listed');
  const exported = await run('keys', 'export', '--kind', 'ec256');
  t.equal(exported.code, 0);
  t.match(exported.stdout, /^-----BEGIN PUBLIC KEY-----\n[\s\S]+-----END PUBLIC KEY-----\n$/);
  t.equal(fingerprint(publicKeyFromPem(exported.stdout).spki), sha256, 'the exported key is the listed one');
  t.notMatch(exported.stdout, /PRIVATE/);
  const none = await run('keys', 'export', '--kind', 'rsa2048');
  t.equal(none.code, 1);
  t.match(none.stderr, /no key matches; the keys are: ec256 /);
  t.equal((await run('keys', 'rotate')).code, 2, 'an unknown action is a usage error');
});

onEachDatabase(t, 'fdo-owner vouchers import and devices, against a running owner', async (t, db) => {
  const keysDir = tempDir(t);
  const owner = await startOwner(t, { databaseUrl: db.url, keysDir });
  const ownerKey = owner.app.owner.keys.list()[0]!;
  const factory = await voucherFactory(ownerKey.publicKey);
  const dir = tempDir(t);
  const good = [factory.make(), factory.make({ deviceInfo: 'meter-7' })];
  const foreign = factory.make({ owner: (await voucherFactory(ownerKey.publicKey)).manufacturerKey.publicKey });
  const bundle = join(dir, 'batch.pem');
  writeFileSync(bundle, [...good, foreign].map((v) => voucherToPem(v)).join(''));
  const single = join(dir, 'one.cbor');
  const third = factory.make();
  writeFileSync(single, third.encode());

  const run = cli({ FDO_OWNER_URL: owner.url, FDO_OWNER_TOKEN: owner.admin, FDO_OWNER_DATA_DIR: dir });
  const imported = await run('vouchers', 'import', bundle, single, '--tag', 'site-a');
  t.equal(imported.code, 1, 'a rejected voucher makes the exit code 1');
  t.match(imported.stdout, new RegExp(`^${bundle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\t#3\t\\S+\trejected\t.+\n$`));
  t.match(imported.stderr, /batch\.pem: 100% /, 'progress is shown');
  t.match(imported.stderr, /batch\.pem: 2 imported, 0 duplicate, 1 rejected/);
  t.match(imported.stderr, /one\.cbor: 1 imported, 0 duplicate, 0 rejected/);
  t.match(imported.stderr, /total: 3 imported, 0 duplicate, 1 rejected/);
  const again = await run('vouchers', 'import', single);
  t.equal(again.code, 0, 'duplicates are not failures');
  t.match(again.stderr, /0 imported, 1 duplicate, 0 rejected/);

  const table = await run('devices', '--tag', 'site-a');
  t.equal(table.code, 0, table.stderr);
  const rows = table.stdout.trim().split('\n');
  t.equal(rows.length, 3);
  t.ok(
    rows.every((r) => /^[0-9a-f-]{36}\timported\t\S+\t.*\tsite-a$/.test(r)),
    table.stdout,
  );
  const json = await run('devices', '--json', '--state', 'imported');
  t.equal(json.stdout.trim().split('\n').length, 3);
  const guid = (JSON.parse(json.stdout.split('\n')[0]!) as { guid: string }).guid;
  const one = await run('devices', guid);
  t.equal(one.code, 0);
  t.match(one.stdout, new RegExp(`^${guid}  imported since `));
  t.match(one.stdout, /\n {2}\S+ {2}import/, 'the timeline follows');
  const missing = await run('devices', '00000000-0000-0000-0000-000000000000');
  t.equal(missing.code, 1);
  t.match(missing.stderr, /GET \/devices\/00000000-0000-0000-0000-000000000000: 404 /);
});

t.test('fdo-owner devices: the owner is not running, or no token', async (t) => {
  const dir = tempDir(t);
  const port = await freePort(); // nothing listens there
  const down = await cli({ FDO_OWNER_URL: `http://127.0.0.1:${port}`, FDO_OWNER_TOKEN: 'x', FDO_OWNER_DATA_DIR: dir })(
    'devices',
  );
  t.equal(down.code, 1);
  t.match(down.stderr, `cannot reach http://127.0.0.1:${port} (ECONNREFUSED): is the service running?`);
  const noToken = await cli({ FDO_OWNER_DATA_DIR: dir })('devices');
  t.equal(noToken.code, 2);
  t.match(noToken.stderr, /no API token: pass --token or set FDO_OWNER_TOKEN/);
});
