import t from 'tap';
import { formatGuid, generateKeyPair, publicKeyToPem } from '@fdo/protocol';
import { deviceInitialize } from '@fdo/device-client';
import { sqliteTarget } from '@fdo/storage/testing';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { csvField } from '../src/routes/api/export.js';
import { startManufacturer, tempDir } from './helpers.js';

const keysDir = tempDir(t, 'fdo-mfg-keys-');
const db = sqliteTarget(t);
const mfg = await startManufacturer(t, { databaseUrl: db.url, keysDir, keyKinds: ['ec256'], defaultTag: 'PO-1' });
const guids: string[] = [];
const bin = fileURLToPath(new URL('../bin/fdo-manufacturer.js', import.meta.url));
/** Runs the built CLI in its own process against the service's database. */
const cli = (...args: string[]) =>
  promisify(execFile)(process.execPath, [bin, ...args], {
    env: { ...process.env, FDO_MFG_DATABASE_URL: db.url, FDO_MFG_DATA_DIR: mfg.dataDir },
  });
for (const serial of ['A-1', 'A-2', '=cmd|calc', 'A-4']) {
  const { credential } = await deviceInitialize({
    manufacturerUrl: mfg.url,
    serialNumber: serial,
    deviceInfo: 'model "q"',
  });
  guids.push(formatGuid(credential.guid));
}

t.test('requests without a valid API token get 401, and a read token cannot write', async (t) => {
  for (const path of ['/vouchers', `/vouchers/${guids[0]}?format=pem`, '/vouchers/export', '/manifest', '/stats']) {
    const none = await mfg.api(path, { token: null });
    t.equal(none.status, 401, `${path} without a token`);
    t.match(await none.json(), { error: 'unauthorized', message: /fdo-manufacturer tokens create/ });
    t.equal((await mfg.api(path, { token: 'fdo_forged' })).status, 401, `${path} with a forged token`);
  }
  const reader = (await cli('tokens', 'create', '--name', 'viewer', '--scope', 'read')).stdout.trim();
  t.equal((await mfg.api('/vouchers', { token: reader })).status, 200);
  const write = await mfg.api(`/vouchers/${guids[0]}/extend`, {
    token: reader,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ownerKey: publicKeyToPem(generateKeyPair('ec256').publicKey) }),
  });
  t.equal(write.status, 403);
});

t.test('list: filters and cursor paging', async (t) => {
  const page1 = (await (await mfg.api('/vouchers?limit=3')).json()) as {
    vouchers: { guid: string }[];
    nextCursor: string;
  };
  t.equal(page1.vouchers.length, 3);
  t.ok(page1.nextCursor);
  const page2 = (await (await mfg.api(`/vouchers?limit=3&cursor=${page1.nextCursor}`)).json()) as typeof page1;
  t.same(
    [...page1.vouchers, ...page2.vouchers].map((v) => v.guid),
    guids,
  );
  t.equal(page2.nextCursor, null);
  const bySerial = (await (await mfg.api('/vouchers?serial=A-2')).json()) as typeof page1;
  t.same(
    bySerial.vouchers.map((v) => v.guid),
    [guids[1]],
  );
  const byGuid = (await (await mfg.api(`/vouchers?guid=${guids[3]!.replace(/-/g, '')}`)).json()) as typeof page1;
  t.same(
    byGuid.vouchers.map((v) => v.guid),
    [guids[3]],
  );
  t.equal(((await (await mfg.api('/vouchers?tag=PO-1')).json()) as typeof page1).vouchers.length, 4);
  t.equal(((await (await mfg.api('/vouchers?tag=PO-2')).json()) as typeof page1).vouchers.length, 0);
  const future = new Date(Date.now() + 3600e3).toISOString();
  t.equal(((await (await mfg.api(`/vouchers?from=${future}`)).json()) as typeof page1).vouchers.length, 0);
  t.equal(((await (await mfg.api(`/vouchers?to=${future}`)).json()) as typeof page1).vouchers.length, 4);
  const bad = await mfg.api('/vouchers?from=yesterday');
  t.equal(bad.status, 400);
  t.match(await bad.json(), { error: 'invalid_request', message: /from: "yesterday" is not an ISO 8601 date/ });
  t.equal((await mfg.api('/vouchers?guid=xyz')).status, 400);
  t.equal((await mfg.api('/vouchers/00000000000000000000000000000000')).status, 404);
});

t.test('manifest: CSV and JSON with GUID, serial, device info and device-certificate fingerprint', async (t) => {
  const csv = await mfg.api('/manifest?format=csv');
  t.match(csv.headers.get('content-type'), /^text\/csv/);
  const lines = (await csv.text()).trim().split('\r\n');
  t.equal(lines[0], 'guid,serial_number,device_info,device_cert_sha256,tag,created_at');
  t.equal(lines.length, 5);
  t.match(lines[1], new RegExp(`^"${guids[0]}","A-1","model ""q""","[0-9a-f]{64}","PO-1","`));
  t.match(lines[3], /^"[^"]+","'=cmd\|calc",/, 'a formula-looking serial is defused');
  const json = (await (await mfg.api('/manifest?format=json&serial=A-4')).json()) as Record<string, string>[];
  t.equal(json.length, 1);
  t.match(json[0], {
    guid: guids[3],
    serial_number: 'A-4',
    device_info: 'model "q"',
    device_cert_sha256: /^[0-9a-f]{64}$/,
  });
  t.equal(csvField(null), '""');
  t.equal(csvField('+1'), `"'+1"`);
});

t.test('bulk extension of a tag, and no reply ever carries a private key', async (t) => {
  const owner = generateKeyPair('ec256');
  const res = await mfg.api('/vouchers/extend', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ownerKey: publicKeyToPem(owner.publicKey), tag: 'PO-1' }),
  });
  t.equal(res.status, 200);
  t.same(await res.json(), { extended: 4, alreadyExtended: 0, keyTypeMismatch: 0 });
  const again = await mfg.api('/vouchers/extend', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ownerKey: publicKeyToPem(owner.publicKey), tag: 'PO-1' }),
  });
  t.same(await again.json(), { extended: 0, alreadyExtended: 4, keyTypeMismatch: 0 });
  const noFilter = await mfg.api('/vouchers/extend', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ownerKey: publicKeyToPem(owner.publicKey) }),
  });
  t.equal(noFilter.status, 400, 'a bulk extension names a tag or a time range');
  t.match((await (await mfg.api('/stats')).json()) as object, { vouchers: 4, unextended: 0, diSessions: 0 });
  for (const path of [
    '/vouchers',
    '/vouchers/export',
    '/manifest',
    '/manifest?format=json',
    `/vouchers/${guids[0]}`,
    `/vouchers/${guids[0]}?format=pem`,
  ]) {
    t.notMatch(await (await mfg.api(path)).text(), /PRIVATE KEY|pkcs8|privateKey/i, path);
  }
});

t.test('fdo-manufacturer tokens: create, list, revoke (as a separate process, as an operator runs it)', async (t) => {
  const created = await cli('tokens', 'create', '--name', 'line-7', '--scope', 'write');
  const token = created.stdout.trim();
  t.match(token, /^fdo_/);
  t.match(created.stderr, /shown only now/);
  t.equal((await mfg.api('/vouchers', { token })).status, 200);
  const line = (await cli('tokens', 'list')).stdout.split('\n').find((l) => l.includes('line-7'))!;
  t.match(line, /write\s+active/);
  await cli('tokens', 'revoke', line.split(/\s+/)[0]!);
  t.equal((await mfg.api('/vouchers', { token })).status, 401, 'a revoked token is refused');
  const bad = await cli('tokens', 'create', '--name', 'x', '--scope', 'root').catch(
    (e: { code: number; stderr: string }) => e,
  );
  t.match(bad, { code: 2, stderr: /unknown scope "root"/ });
  t.match(await cli('nonsense').catch((e: { code: number }) => e), { code: 2 });
});
