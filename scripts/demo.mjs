#!/usr/bin/env node
// `npm run demo`: one simulated device through the whole of FDO (FDO 1.1 §2.3, late binding), each step
// printed as it happens:
//   DI at the manufacturer → its voucher extended to the owner's key → imported by the owner → TO0 (the
//   owner's scheduler registers it at the rendezvous server) → TO1 (the device asks where its owner is)
//   → TO2 (the device proves itself, gets its replacement credential and ServiceInfo) → onboarded.
//
// With `npm start` running (all three services answering on HOST and the *_PORT variables, defaults
// 127.0.0.1:8039/8040/8042) it uses them and their admin tokens under their data folders, so the device
// shows up in the running owner. With none running it starts the three in this process on free ports
// with a temporary SQLite data folder, and stops them at the end. Exit code 0 when the device onboarded.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url);
if (!existsSync(new URL('packages/device-client/dist/index.js', root))) {
  console.error('demo: the workspace is not built; run `npm run build` (or `npm start`) first');
  process.exit(2);
}
const { deviceInitialize, onboard, writeCredentialFile } = await import('@fdo/device-client');
const { formatGuid } = await import('@fdo/protocol');
const { metricSample } = await import('@fdo/server-kit');
const { startLocalSystem } = await import('./local-system.mjs');

const env = process.env;
const host = env.HOST === undefined || env.HOST === '0.0.0.0' ? '127.0.0.1' : env.HOST;
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s`;
const say = (text) => console.log(`${elapsed()}  ${text}`);
const detail = (text) => console.log(`         ${text}`);

/** The admin token of a service (its first-start token file), as `npm start` printed it. */
function token(service) {
  try {
    return readFileSync(service.tokenFile, 'utf8').trim();
  } catch {
    throw new Error(`no admin token at ${service.tokenFile}: create one with its CLI (tokens create --scope admin)`);
  }
}

async function api(service, method, path, { body, type } = {}) {
  const res = await fetch(`${service.url}${path.startsWith('/metrics') ? '' : '/api/v1'}${path}`, {
    method,
    headers: { authorization: `Bearer ${token(service)}`, ...(type === undefined ? {} : { 'content-type': type }) },
    ...(body === undefined ? {} : { body }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${service.url}${path}: ${res.status} ${text}`);
  return text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text;
}

async function answers(url) {
  try {
    return (await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) })).ok;
  } catch {
    return false;
  }
}

/** The running services, or three started here; null services mean "some but not all run". */
async function services() {
  const ports = {
    manufacturer: env.MANUFACTURER_PORT ?? '8039',
    rendezvous: env.RENDEZVOUS_PORT ?? '8040',
    owner: env.OWNER_PORT ?? '8042',
  };
  const urls = Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, `http://${host}:${port}`]));
  const up = await Promise.all(Object.values(urls).map(answers));
  if (up.every(Boolean)) {
    const [{ loadConfig: mfgConfig }, { loadConfig: rvConfig }, { loadConfig: ownerConfig }] = await Promise.all([
      import('@fdo/manufacturer'),
      import('@fdo/rendezvous'),
      import('@fdo/owner'),
    ]);
    const dirs = {
      manufacturer: mfgConfig(env).dataDir,
      rendezvous: rvConfig(env).dataDir,
      owner: ownerConfig(env).dataDir,
    };
    say(`using the running services: ${Object.values(urls).join(', ')}`);
    const entries = Object.entries(urls).map(([n, url]) => [n, { url, tokenFile: join(dirs[n], 'admin-token') }]);
    return { services: Object.fromEntries(entries), stop: async () => {}, dir: null };
  }
  if (up.some(Boolean)) {
    const missing = Object.keys(urls).filter((_, i) => !up[i]);
    throw new Error(`only some services answer (not ${missing.join(', ')}): start all three (npm start) or none`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'fdo-demo-'));
  const system = await startLocalSystem({
    host,
    ports: { manufacturer: 0, rendezvous: 0, owner: 0 },
    dataRoot: dir,
    logger: false,
  });
  say(`no services running: started the three in this process (SQLite under ${dir})`);
  for (const [name, s] of Object.entries(system.services)) detail(`${name.padEnd(12)} ${s.url}`);
  return { ...system, dir };
}

async function until(what, fn, timeoutMs = 60_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const ONBOARD_STEPS = {
  to1: (e) => `TO1: device asks the rendezvous server ${e.url} where its owner is`,
  'to1-failed': (e) => `TO1 at ${e.url} failed: ${e.error.message}`,
  redirected: (e) => `TO1: redirected to the owner at ${e.ownerUrls.join(', ')}`,
  bypass: (e) => `RV bypass: straight to the owner at ${e.ownerUrls.join(', ')}`,
  to2: (e) => `TO2: device contacts its owner at ${e.url}`,
  'to2-failed': (e) => `TO2 at ${e.url} failed: ${e.error.message}`,
  'owner-proven': (e) =>
    `TO2: the owner proved its key and the voucher (${e.ovEntries} ${e.ovEntries === 1 ? 'entry' : 'entries'})`,
  'setup-device': (e) =>
    `TO2: replacement credential ${e.credentialReused ? '(credential reuse)' : `with GUID ${e.replacementGuid}`}`,
  'service-info-module': (e) => `TO2: ServiceInfo module ${e.module} ${e.active ? 'active' : 'inactive'}`,
  done: () => 'TO2: Done2, onboarding complete',
  'credential-replaced': (e) => `device stored its new credential (GUID ${e.newGuid}) in ${e.file}`,
  'credential-kept': (e) => `device keeps its credential (GUID ${e.guid})`,
};

async function demo({ manufacturer, rendezvous, owner }, workDir) {
  console.log('\nFDO demo: one simulated device, DI → voucher to the owner → TO0 → TO1 → TO2\n');

  // 1. The factory line.
  const serial = `DEMO-${Date.now().toString(36).toUpperCase()}`;
  const device = await deviceInitialize({
    manufacturerUrl: manufacturer.url,
    serialNumber: serial,
    deviceInfo: 'demo-device',
  });
  const credentialFile = join(workDir, 'device.cred');
  writeCredentialFile(credentialFile, device);
  const guid = formatGuid(device.credential.guid);
  say(`DI: the manufacturer initialized device ${serial}: GUID ${guid}, credential in ${credentialFile}`);

  // 2. The sale: the manufacturer extends the voucher to the buyer's owner key (one key per key type).
  const { keys } = await api(owner, 'GET', '/owner-keys');
  const key = keys.find((k) => k.type === 'ec256') ?? keys[0];
  const voucher = await api(manufacturer, 'GET', `/vouchers/${guid}`);
  if (voucher.entries === 0) {
    const ownerKey = await api(owner, 'GET', `/owner-keys/${key.id}.pem`);
    await api(manufacturer, 'POST', `/vouchers/${guid}/extend`, {
      body: JSON.stringify({ ownerKey }),
      type: 'application/json',
    });
    say(`voucher extended by the manufacturer to the owner's ${key.type} key (SHA-256 ${key.sha256.slice(0, 16)}…)`);
  } else {
    say(`voucher already extended at DI (to key SHA-256 ${voucher.ownerKeySha256.slice(0, 16)}…)`);
  }

  // 3. The voucher travels to the owner.
  const pem = await api(manufacturer, 'GET', `/vouchers/${guid}?format=pem`);
  const imported = await api(owner, 'POST', '/vouchers?tag=demo', { body: pem, type: 'application/x-pem-file' });
  say(
    `owner imported the voucher: ${imported.imported} imported, ${imported.duplicate} duplicate, ${imported.rejected} rejected`,
  );

  // 4. TO0: the owner's scheduler registers the device at the rendezvous server in its voucher.
  const registered = await until('the TO0 registration (is the owner’s TO0 scheduler on?)', async () => {
    const d = await api(owner, 'GET', `/devices/${guid}`);
    return d.state === 'registered' ? d : undefined;
  });
  const rv = registered.rendezvous.find((r) => r.state === 'registered');
  say(
    `TO0: the owner registered the device at ${rv?.url ?? 'the rendezvous server'} until ${registered.registeredUntil}`,
  );

  // 5–6. First power-up: TO1, then TO2 at the address TO1 gave.
  const result = await onboard({ credentialFile, onStep: (e) => say(ONBOARD_STEPS[e.step]?.(e) ?? e.step) });

  // 7. What the owner and the metrics say.
  const status = await api(owner, 'GET', `/devices/${result.newGuid}`);
  say(`owner: device ${status.guid} is ${status.state} (${status.facts?.os ?? '?'} ${status.facts?.arch ?? ''})`);
  const count = async (service, name, labels) => metricSample(await api(service, 'GET', '/metrics'), name, labels) ?? 0;
  detail(
    `metrics: DI completed ${await count(manufacturer, 'fdo_mfg_di_completed_total')}, ` +
      `TO1 redirects ${await count(rendezvous, 'fdo_rv_to1_redirects_total')}, ` +
      `onboardings completed ${await count(owner, 'fdo_owner_onboardings_total', { result: 'completed' })}`,
  );
  if (status.state !== 'onboarded') throw new Error(`the owner reports ${status.state}, not onboarded`);
  console.log(`\nDevice ${serial} onboarded.`);
}

let system;
let workDir;
let code = 0;
try {
  system = await services();
  workDir = mkdtempSync(join(tmpdir(), 'fdo-demo-device-'));
  await demo(system.services, workDir);
} catch (err) {
  console.error(`\ndemo failed: ${err.message}`);
  code = 1;
} finally {
  await system?.stop();
  for (const dir of [workDir, system?.dir]) if (dir) rmSync(dir, { recursive: true, force: true });
}
process.exit(code);
