/**
 * Secrets stay secret (issue 9): a full onboarding (DI → import → TO0 by the scheduler → TO1 → TO2)
 * against the three services run by their CLIs as child processes, logging JSON at level trace to
 * files, with refused messages and refused API calls along the way. Then every private key, HMAC secret
 * and API token is looked for — PEM body, DER and raw bytes as hex and base64 — in the logs, the API
 * responses and the FDO error texts. Key files are 0600; the device client refuses a credential file
 * others can read.
 */
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { httpTransport } from '@fdo/client-kit';
import { deviceInitialize, readCredentialFile, runDeviceTo1, writeCredentialFile } from '@fdo/device-client';
import { decodeErrorMessage, formatGuid, runTO2 } from '@fdo/protocol';
import { post, tempDir } from '../harness/index.js';
import { freePort, spawnService, type ServiceProcess } from '../harness/processes.js';

const dir = tempDir(t);
const seen: string[] = []; // every API response and FDO error text the test received

async function api(base: string, token: string, method: string, path: string, body?: string, type?: string) {
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': type! }) },
    ...(body === undefined ? {} : { body }),
  });
  const text = await res.text();
  seen.push(text);
  return { status: res.status, text, json: text.startsWith('{') ? JSON.parse(text) : undefined };
}

/** The ways a secret could be written: hex (both cases), base64, base64url, and PEM bodies. */
function forms(label: string, raw: Uint8Array): { label: string; needle: string }[] {
  const b = Buffer.from(raw);
  const out = [b.toString('hex'), b.toString('hex').toUpperCase(), b.toString('base64'), b.toString('base64url')];
  // Long values: a 32-character slice is as telling as the whole, and survives line wrapping.
  return out.map((s) => ({ label, needle: s.length > 48 ? s.slice(8, 40) : s }));
}

function pemBodies(label: string, pem: string): { label: string; needle: string }[] {
  const blocks = pem.match(/-----BEGIN [^-]+-----([\s\S]*?)-----END/g) ?? [];
  return blocks.flatMap((block) => {
    const body = block.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    return [
      { label: `${label} (PEM body)`, needle: body.slice(16, 56) },
      ...forms(`${label} (DER)`, new Uint8Array(Buffer.from(body, 'base64'))),
    ];
  });
}

const running: ServiceProcess[] = [];
t.teardown(async () => {
  for (const s of running.reverse()) await s.stop();
});

const [rvPort, ownerPort, mfgPort] = [await freePort(), await freePort(), await freePort()];
const rv = await spawnService(
  'rendezvous',
  rvPort,
  { FDO_RV_PORT: String(rvPort), FDO_RV_DATA_DIR: join(dir, 'rv'), FDO_RV_DATABASE_URL: `file:${join(dir, 'rv.db')}` },
  join(dir, 'rv.log'),
);
running.push(rv);
const owner = await spawnService(
  'owner',
  ownerPort,
  {
    FDO_OWNER_PORT: String(ownerPort),
    FDO_OWNER_DATA_DIR: join(dir, 'owner'),
    FDO_OWNER_KEY_TYPES: 'ec256',
    FDO_OWNER_TO2_ADDRESSES: `http://127.0.0.1:${ownerPort}`,
    FDO_OWNER_TO0_INTERVAL_SECONDS: '1',
  },
  join(dir, 'owner.log'),
);
running.push(owner);
const ownerAdmin = readFileSync(join(dir, 'owner', 'admin-token'), 'utf8').trim();
const keys = await api(owner.url, ownerAdmin, 'GET', '/owner-keys');
const ownerKeyPem = await api(owner.url, ownerAdmin, 'GET', `/owner-keys/${keys.json.keys[0].id}.pem`);
const ownerKeyFile = join(dir, 'owner-key.pem');
writeFileSync(ownerKeyFile, ownerKeyPem.text);
const mfg = await spawnService(
  'manufacturer',
  mfgPort,
  {
    FDO_MFG_PORT: String(mfgPort),
    FDO_MFG_DATA_DIR: join(dir, 'mfg'),
    FDO_MFG_KEY_TYPES: 'ec256',
    FDO_MFG_RV: `http://127.0.0.1:${rvPort}`,
    FDO_MFG_OWNER_KEY: ownerKeyFile,
  },
  join(dir, 'mfg.log'),
);
running.push(mfg);
const mfgAdmin = readFileSync(join(dir, 'mfg', 'admin-token'), 'utf8').trim();
const rvAdmin = readFileSync(join(dir, 'rv', 'admin-token'), 'utf8').trim();

t.test('a full onboarding, with refusals on the way, leaks no secret', async (t) => {
  const device = await deviceInitialize({ manufacturerUrl: mfg.url, serialNumber: 'SN-SECRET-1' });
  const guid = formatGuid(device.credential.guid);
  const pem = await api(mfg.url, mfgAdmin, 'GET', `/vouchers/${guid}?format=pem`);
  t.equal((await api(owner.url, ownerAdmin, 'POST', '/vouchers', pem.text, 'application/x-pem-file')).status, 200);
  for (let i = 0; i < 100; i++) {
    const d = await api(owner.url, ownerAdmin, 'GET', `/devices/${guid}`);
    if (d.json?.state === 'registered') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const to1 = await runDeviceTo1({ credential: device.credential, deviceKey: device.privateKey });
  const transport = httpTransport(to1.addresses[0]!.toUrl());
  const result = await runTO2(transport, {
    credential: device.credential,
    deviceKey: device.privateKey,
    to1d: to1.to1d,
    devmod: { os: 'Linux', arch: 'x86_64', version: '6.1', device: 'secret', sn: 'SN-SECRET-1' },
  });
  await transport.close();
  t.equal(
    (await api(owner.url, ownerAdmin, 'GET', `/devices/${formatGuid(result.replacementCredential.guid)}`)).json.state,
    'onboarded',
  );

  // Refusals: bad FDO messages to every service, a wrong API token, a voucher download as every format.
  for (const [url, type] of [
    [mfg.url, 12],
    [rv.url, 32],
    [owner.url, 64],
    [owner.url, 60],
  ] as const) {
    const reply = await post(url, type, new Uint8Array([0x82, 0x01]), 'stolen-token');
    seen.push(decodeErrorMessage(reply.body).message);
  }
  await api(owner.url, 'not-a-token', 'GET', '/devices');
  await api(owner.url, ownerAdmin, 'GET', '/owner-keys');
  await api(mfg.url, mfgAdmin, 'GET', `/vouchers/${guid}`);
  await api(rv.url, rvAdmin, 'GET', `/registrations/${guid}`);

  // The secrets: key files of both services, the device's HMAC secrets (old and new), its key, API tokens.
  const secrets: { label: string; needle: string }[] = [];
  for (const keysDir of [join(dir, 'mfg', 'keys'), join(dir, 'owner', 'keys')]) {
    for (const f of readdirSync(keysDir).filter((f) => f.endsWith('.key.pem'))) {
      secrets.push(...pemBodies(f, readFileSync(join(keysDir, f), 'utf8')));
    }
  }
  secrets.push(...forms('device HMAC secret', device.credential.hmacSecret));
  secrets.push(...forms('replacement HMAC secret', result.replacementCredential.hmacSecret));
  secrets.push(...forms('device private key', device.privateKey.pkcs8));
  for (const [label, token] of [
    ['owner admin token', ownerAdmin],
    ['manufacturer admin token', mfgAdmin],
    ['rendezvous admin token', rvAdmin],
  ] as const) {
    secrets.push({ label, needle: token });
  }
  t.ok(secrets.length > 20, `${secrets.length} forms of secrets looked for`);

  const places = [
    { where: 'manufacturer log', text: mfg.log() },
    { where: 'rendezvous log', text: rv.log() },
    { where: 'owner log', text: owner.log() },
    { where: 'API responses and FDO error texts', text: seen.join('\n') },
  ];
  for (const p of places) t.ok(p.text.length > 0, `${p.where}: ${p.text.split('\n').length} lines`);
  const leaks = places.flatMap((p) =>
    secrets.filter((s) => p.text.includes(s.needle)).map((s) => `${s.label} in ${p.where}`),
  );
  t.same(leaks, [], 'no secret in any log line, API response or error text');
  t.match(owner.log(), /"level":20/, 'debug lines included (the level is trace)');
});

t.test('key files and tokens are created readable by their owner only', async (t) => {
  const files = [
    ...readdirSync(join(dir, 'mfg', 'keys'))
      .filter((f) => f.endsWith('.key.pem'))
      .map((f) => join(dir, 'mfg', 'keys', f)),
    ...readdirSync(join(dir, 'owner', 'keys'))
      .filter((f) => f.endsWith('.key.pem'))
      .map((f) => join(dir, 'owner', 'keys', f)),
    join(dir, 'mfg', 'admin-token'),
    join(dir, 'owner', 'admin-token'),
    join(dir, 'rv', 'admin-token'),
  ];
  t.ok(files.length >= 5);
  for (const f of files) t.equal((statSync(f).mode & 0o777).toString(8), '600', f);
});

t.test('the device client refuses a credential file others can read or write', async (t) => {
  const device = await deviceInitialize({ manufacturerUrl: mfg.url, serialNumber: 'SN-SECRET-2' });
  const file = join(dir, 'device.cred');
  writeCredentialFile(file, device);
  t.equal((statSync(file).mode & 0o777).toString(8), '600', 'written 0600');
  t.ok(readCredentialFile(file).credential, 'read back');
  for (const mode of [0o644, 0o640, 0o604, 0o620]) {
    chmodSync(file, mode);
    t.throws(() => readCredentialFile(file), { code: 'INSECURE', message: /chmod 600/ }, mode.toString(8));
  }
  chmodSync(file, 0o400);
  t.ok(readCredentialFile(file).credential, '0400 is fine');
});
