/**
 * Owner keys (one per type, generated once, persisted 0600, public halves downloadable) and the
 * configuration (environment, JSON file, every bad setting named).
 */
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { generateKeyPair, privateKeyToPem, publicKeyFromPem } from '@fdo/protocol';
import { certificatesFromPem, describeCertificate, fingerprint } from '@fdo/protocol/x509';
import { sqliteTarget } from '@fdo/storage/testing';
import { ConfigError, KEY_KINDS, loadConfig, OwnerKeys, runOwnerCli } from '../src/index.js';
import { startOwner, tempDir, type Json } from './helpers.js';

t.test(
  'one key per type is generated once, kept 0600, and its public half and certificate are downloadable',
  async (t) => {
    const keysDir = tempDir(t);
    const extra = generateKeyPair('ec256');
    const extraFile = join(tempDir(t), 'extra.key.pem');
    writeFileSync(extraFile, privateKeyToPem(extra.privateKey), { mode: 0o600 });
    const owner = await startOwner(t, {
      databaseUrl: sqliteTarget(t).url,
      keysDir,
      keyKinds: [...KEY_KINDS],
      keyFiles: [extraFile],
    });
    const list: Json = (await owner.api('GET', '/owner-keys')).json;
    t.same(
      list.keys.map((k: Json) => k.type),
      ['ec256', 'ec384', 'rsa2048', 'rsa3072', 'ec256'],
    );
    t.equal(list.keys[4].sha256, fingerprint(extra.publicKey.spki), 'the key from a file');
    for (const kind of KEY_KINDS) {
      t.equal(statSync(join(keysDir, `owner-${kind}.key.pem`)).mode & 0o777, 0o600, `${kind} private key is 0600`);
    }
    for (const k of list.keys) {
      const pem = await owner.api('GET', `/owner-keys/${k.id}.pem`);
      t.equal(pem.status, 200);
      t.notMatch(pem.text, /PRIVATE/);
      t.equal(fingerprint(publicKeyFromPem(pem.text).spki), k.sha256);
      const crt = await owner.api('GET', `/owner-keys/${k.id}.crt`);
      const [cert] = certificatesFromPem(crt.text);
      t.equal(
        fingerprint(describeCertificate(cert!).publicKey.spki),
        k.sha256,
        `${k.type}: the certificate is for the key`,
      );
    }
    t.equal((await owner.api('GET', '/owner-keys/nope.pem')).status, 404);

    const again = await OwnerKeys.load({ keysDir, keyKinds: [...KEY_KINDS], keyFiles: [] });
    t.same(
      again.list().map((k) => k.sha256),
      list.keys.slice(0, 4).map((k: Json) => k.sha256),
      'the same keys on the next start',
    );
  },
);

t.test('configuration: defaults, environment, JSON file, and every bad setting named', async (t) => {
  const c = loadConfig({});
  t.match(c, {
    port: 8042,
    to2Addresses: ['http://127.0.0.1:8042'],
    keyKinds: KEY_KINDS,
    to0: { enabled: true, renewFraction: 0.8 },
  });
  t.equal(c.importMaxBytes, 1024 ** 3);

  const dir = tempDir(t);
  const file = join(dir, 'owner.json');
  writeFileSync(
    file,
    JSON.stringify({
      to2Addresses: ['https://owner.example.com:8443'],
      keyTypes: ['ec384'],
      to0: { waitSeconds: 600 },
    }),
  );
  const fromFile = loadConfig({ FDO_OWNER_CONFIG: file, FDO_OWNER_TO0_CONCURRENCY: '3' });
  t.match(fromFile, {
    to2Addresses: ['https://owner.example.com:8443'],
    keyKinds: ['ec384'],
    to0: { waitSeconds: 600, concurrency: 3 },
  });
  t.same(
    loadConfig({ FDO_OWNER_CONFIG: file, FDO_OWNER_KEY_TYPES: 'ec256' }).keyKinds,
    ['ec256'],
    'the environment wins',
  );

  const err = t.throws(() =>
    loadConfig({
      FDO_OWNER_PORT: '99999',
      FDO_OWNER_KEY_TYPES: 'ec256,dsa',
      FDO_OWNER_TO2_ADDRESSES: 'ftp://x',
      FDO_OWNER_TO0_RENEW_FRACTION: '2',
      FDO_OWNER_DATABASE_URL: 'mysql://x',
    }),
  ) as ConfigError;
  t.type(err, ConfigError);
  t.equal(err.problems.length, 5, err.message);
  for (const name of [
    'FDO_OWNER_PORT',
    'FDO_OWNER_KEY_TYPES',
    'FDO_OWNER_TO2_ADDRESSES',
    'FDO_OWNER_TO0_RENEW_FRACTION',
    'FDO_OWNER_DATABASE_URL',
  ]) {
    t.match(err.message, name);
  }
  writeFileSync(file, JSON.stringify({ nope: 1, to0: { fast: true } }));
  const fileErr = t.throws(() => loadConfig({ FDO_OWNER_CONFIG: file })) as ConfigError;
  t.match(fileErr.problems, [/unknown setting "nope"/, /unknown setting "to0.fast"/]);
});

t.test('fdo-owner tokens create | list | revoke', async (t) => {
  const dataDir = tempDir(t);
  const env = { FDO_OWNER_DATA_DIR: dataDir, FDO_OWNER_DATABASE_URL: sqliteTarget(t).url };
  const run = async (argv: string[]) => {
    let stdout = '';
    let stderr = '';
    const code = await runOwnerCli(argv, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s) }, env);
    return { code, stdout, stderr };
  };
  const created = await run(['tokens', 'create', '--name', 'ci', '--scope', 'read,write']);
  t.equal(created.code, 0, created.stderr);
  t.match(created.stdout, /^\S{20,}\n$/);
  const listed = await run(['tokens', 'list']);
  t.match(listed.stdout, /\tci\tread,write\tactive\n/);
  const id = listed.stdout.split('\t')[0]!;
  t.equal((await run(['tokens', 'revoke', id])).code, 0);
  t.match((await run(['tokens', 'list'])).stdout, /\tci\tread,write\trevoked /);
  t.equal((await run(['tokens', 'revoke', id])).code, 1);
  t.equal((await run(['frobnicate'])).code, 2);
  const bad = await runOwnerCli(['tokens', 'list'], { stdout: () => {}, stderr: () => {} }, { FDO_OWNER_PORT: 'x' });
  t.equal(bad, 2, 'a bad configuration is reported (exit code 2), not thrown');
});
