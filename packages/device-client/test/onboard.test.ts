/**
 * Onboarding from a credential file (TO1 → TO2 → replacement credential) against a TO2 owner over real
 * HTTP (the protocol's responder, see helpers.ts) and a real rendezvous service: the steps reported,
 * the credential file replaced atomically or left byte for byte as it was, RVBypass, and the CLI.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { type as osType, machine } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { registerWithRendezvous } from '@fdo/client-kit';
import { build as buildRendezvous } from '@fdo/rendezvous';
import {
  DeviceCredential,
  equal,
  extendVoucher,
  FdoError,
  formatGuid,
  generateKeyPair,
  nodeCrypto,
  PublicKey,
  publicKeyOf,
  RendezvousInfo,
  RVTO2Addr,
  RVVariable,
} from '@fdo/protocol';
import type { DeviceServiceInfoModule, OwnerServiceInfoModule } from '@fdo/protocol/serviceinfo';
import { databaseTargets } from '@fdo/storage/testing';
import {
  CredentialNotSavedError,
  onboard,
  readCredentialFile,
  To1FailedError,
  To2FailedError,
  writeCredentialFile,
  type OnboardStep,
} from '../src/index.js';
import { cli, makeDevice, startTestOwner, tempDir, type TestOwner } from './helpers.js';

const steps = (events: OnboardStep[]) => events.map((e) => e.step);

/** The owner's side of a second TO2: the replacement voucher, extended by Owner2Key to itself (§5.5.9). */
function rehome(owner: TestOwner): void {
  const { outcome } = owner.store.completed.at(-1)!;
  const owner2 = PublicKey.fromDer(publicKeyOf(outcome.owner2Key));
  owner.store.add(extendVoucher(nodeCrypto, outcome.replacementVoucher!, outcome.owner2Key, owner2), outcome.owner2Key);
}

t.test(
  '--owner: TO2 straight away; the file is replaced (new GUID, same device key, 0600) and onboards again',
  async (t) => {
    const dir = tempDir(t);
    const device = await makeDevice(dir);
    const owner = await startTestOwner(t, [device]);
    const events: OnboardStep[] = [];
    const result = await onboard({
      credentialFile: device.file,
      ownerUrls: [owner.url],
      onStep: (e) => events.push(e),
    });

    t.same(steps(events), ['to2', 'owner-proven', 'setup-device', 'done', 'credential-replaced']);
    t.match(events[1], { url: owner.url, ovEntries: 1 });
    const oldGuid = formatGuid(device.guid);
    t.same(events[4], { step: 'credential-replaced', file: device.file, oldGuid, newGuid: result.newGuid });
    t.match(result, { oldGuid, credentialReused: false, route: 'owner-url', ownerUrl: owner.url });
    t.not(result.newGuid, oldGuid);

    const stored = readCredentialFile(device.file);
    t.equal(formatGuid(stored.credential.guid), result.newGuid, 'the file holds the replacement credential');
    t.ok(equal(stored.privateKey.pkcs8, device.deviceKey.privateKey.pkcs8), 'and the same device key');
    t.notOk(equal(stored.credential.hmacSecret, device.credential.hmacSecret), 'a new HMAC secret (§5.5.9)');
    t.equal(statSync(device.file).mode & 0o777, 0o600);
    t.same(readdirSync(dir), ['device.cred'], 'no temporary file left');

    // The owner's devmod is this host's, and the serial number is DCDeviceInfo by default.
    t.match(owner.store.completed[0]!.outcome.devmod, { os: osType(), arch: machine(), sn: 'rv-test-device' });

    rehome(owner);
    const second = await onboard({
      credentialFile: device.file,
      ownerUrls: [owner.url],
      serialNumber: 'SN-42',
      devmod: { device: 'acme-sensor-v2' },
    });
    t.equal(second.oldGuid, result.newGuid);
    t.equal(formatGuid(readCredentialFile(device.file).credential.guid), second.newGuid);
    t.match(owner.store.completed[1]!.outcome.devmod, { sn: 'SN-42', device: 'acme-sensor-v2', os: osType() });
  },
);

t.test('TO1 at a real rendezvous server, then TO2 with to1d checked; error 6 before TO0 says what to do', async (t) => {
  const dir = tempDir(t);
  const [db] = await databaseTargets(t);
  const rendezvous = buildRendezvous({ databaseUrl: db!.url, dataDir: join(dir, 'rv'), logger: false });
  await rendezvous.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => rendezvous.close());
  const rvUrl = `http://127.0.0.1:${(rendezvous.server.address() as AddressInfo).port}`;
  const device = await makeDevice(dir);
  const owner = await startTestOwner(t, [device]);
  const before = readFileSync(device.file);

  const early = await cli(['onboard', '--credential', device.file, '--rv', rvUrl]);
  t.equal(early.code, 1);
  t.match(early.stderr, `TO1: asking the rendezvous server at ${rvUrl}`);
  t.match(
    early.stderr,
    /next: the owner has not registered this device at the rendezvous server yet \(TO0\); retry later/,
  );
  t.same(readFileSync(device.file), before);

  await registerWithRendezvous(rvUrl, {
    voucher: device.voucher,
    ownerKey: device.ownerKey.privateKey,
    addresses: [RVTO2Addr.fromUrl(owner.url)],
  });
  const run = await cli(['onboard', '--credential', device.file, '--rv', rvUrl, '--json']);
  t.equal(run.code, 0, run.stderr);
  const lines = run.stderr.trim().split('\n');
  t.match(lines, [
    `TO1: asking the rendezvous server at ${rvUrl}`,
    `TO1: redirected by ${rvUrl} to ${owner.url}`,
    `TO2: contacting the owner at ${owner.url}`,
    'TO2: owner proven (voucher with 1 entry)',
    /^TO2: device proven; new GUID [0-9a-f-]{36}$/,
    `TO2: done with ${owner.url}`,
    /^credential replaced: [0-9a-f-]{36} → [0-9a-f-]{36} \(.*device\.cred\)$/,
  ]);
  const summary = JSON.parse(run.stdout);
  t.match(summary, { oldGuid: formatGuid(device.guid), route: 'to1', rendezvousUrl: rvUrl, ownerUrl: owner.url });
  t.equal(formatGuid(readCredentialFile(device.file).credential.guid), summary.newGuid);
});

t.test('to1d signed by another owner key: the device refuses the owner and keeps its credential', async (t) => {
  const dir = tempDir(t);
  const [db] = await databaseTargets(t);
  const rendezvous = buildRendezvous({ databaseUrl: db!.url, dataDir: join(dir, 'rv'), logger: false });
  await rendezvous.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => rendezvous.close());
  const rvUrl = `http://127.0.0.1:${(rendezvous.server.address() as AddressInfo).port}`;
  const device = await makeDevice(dir);
  // The rendezvous server holds the voucher extended once more, to a rogue key that signs to0d (and so
  // to1d); the owner at the redirect proves the device's real owner key.
  const rogue = generateKeyPair('ec256');
  const owner = await startTestOwner(t, [device]);
  await registerWithRendezvous(rvUrl, {
    voucher: extendVoucher(nodeCrypto, device.voucher, device.ownerKey.privateKey, PublicKey.fromDer(rogue.publicKey)),
    ownerKey: rogue.privateKey,
    addresses: [RVTO2Addr.fromUrl(owner.url)],
  });
  const before = readFileSync(device.file);
  const err = await onboard({ credentialFile: device.file, rendezvousUrls: [rvUrl] }).catch((e: unknown) => e);
  t.type(err, To2FailedError);
  t.match((err as To2FailedError).attempts[0]!.error, { message: /to1d from TO1 is not signed by the owner key/ });
  t.type((err as To2FailedError).attempts[0]!.error, FdoError, 'the device refused, not the owner');
  t.same(readFileSync(device.file), before);
});

t.test('credential reuse (§5.5.9): the file is left exactly as it was', async (t) => {
  const dir = tempDir(t);
  const device = await makeDevice(dir);
  const owner = await startTestOwner(t, []);
  owner.store.add(device.voucher, device.ownerKey.privateKey, { credentialReuse: true });
  const before = readFileSync(device.file);
  const mtime = statSync(device.file).mtimeMs;
  const run = await cli(['onboard', '--credential', device.file, '--owner', owner.url]);
  t.equal(run.code, 0, run.stderr);
  t.match(run.stderr, 'TO2: device proven; the owner keeps the current credential (credential reuse)');
  t.match(run.stderr, `credential kept: ${formatGuid(device.guid)}`);
  t.match(run.stdout, `onboarded: GUID ${formatGuid(device.guid)} (credential reused)`);
  t.match(run.stdout, 'credential: unchanged');
  t.same(readFileSync(device.file), before);
  t.equal(statSync(device.file).mtimeMs, mtime);
});

t.test('failures before the rename leave the file byte for byte as it was', async (t) => {
  const dir = tempDir(t);
  const device = await makeDevice(dir);
  const before = readFileSync(device.file);

  await t.test('the owner has no voucher for the device (error 6)', async (t) => {
    const owner = await startTestOwner(t, []);
    const run = await cli(['onboard', '--credential', device.file, '--owner', owner.url]);
    t.equal(run.code, 1);
    t.match(run.stderr, /error 6: no ownership voucher for GUID/);
    t.match(run.stderr, /next: the owner holds no voucher for this device: import it at the owner, then retry/);
    t.same(readFileSync(device.file), before);
  });

  await t.test('a device ServiceInfo module fails after the owner sent the replacement', async (t) => {
    const owner = await startTestOwner(t, [device], { serviceInfoModules: [pushModule] });
    const broken: DeviceServiceInfoModule = {
      name: 'test.push',
      receive: () => {
        throw new Error('disk full while applying the configuration');
      },
    };
    const events: OnboardStep[] = [];
    const err = await onboard({
      credentialFile: device.file,
      ownerUrls: [owner.url],
      serviceInfoModules: [broken],
      onStep: (e) => events.push(e),
    }).catch((e: unknown) => e);
    t.type(err, To2FailedError);
    t.same(steps(events), ['to2', 'owner-proven', 'setup-device', 'service-info-module', 'to2-failed']);
    t.same(readFileSync(device.file), before);
  });

  await t.test('the file cannot be written after TO2 completed', async (t) => {
    // The credential's folder goes away while the owner answers TO2.Done: the temporary file cannot be made.
    const sub = join(dir, 'sub');
    mkdirSync(sub);
    const file = join(sub, 'device.cred');
    writeFileSync(file, before, { mode: 0o600 });
    const owner = await startTestOwner(t, [device], {
      beforeAnswer: (msgType) => {
        if (msgType === 70) renameSync(sub, join(dir, 'moved'));
      },
    });
    const err = await onboard({ credentialFile: file, ownerUrls: [owner.url] }).catch((e: unknown) => e);
    t.type(err, CredentialNotSavedError);
    t.match(err, { message: /completed, but the replacement credential .* could not be written/ });
    t.match(err, { message: `The file still holds GUID ${formatGuid(device.guid)}` });
    t.same(readFileSync(join(dir, 'moved', 'device.cred')), before);
    t.same(readdirSync(join(dir, 'moved')), ['device.cred'], 'no temporary file left');
  });

  await t.test('every owner address unreachable', async (t) => {
    const err = await onboard({
      credentialFile: device.file,
      ownerUrls: ['http://127.0.0.1:9', 'http://127.0.0.1:9/x'],
    }).catch((e: unknown) => e);
    t.type(err, To2FailedError);
    t.equal((err as To2FailedError).attempts.length, 2);
    t.same(readFileSync(device.file), before);
  });
});

/** An owner module that sends one message to `test.push` and waits for nothing. */
const pushModule: OwnerServiceInfoModule<{ sent: boolean }> = {
  name: 'test.push',
  start: () => ({ sent: false }),
  produce: (s) =>
    s.sent
      ? { state: s, messages: [], done: true }
      : { state: { sent: true }, messages: [{ message: 'config', value: 'x' }], done: false },
  receive: (s) => s,
};

t.test('ServiceInfo modules: each activation is a step, results come back by name', async (t) => {
  const dir = tempDir(t);
  const device = await makeDevice(dir);
  const absent: OwnerServiceInfoModule = {
    name: 'test.absent',
    start: () => null,
    produce: (s) => ({ state: s, messages: [], done: true }),
    receive: (s) => s,
  };
  const owner = await startTestOwner(t, [device], { serviceInfoModules: [pushModule, absent] });
  const got: unknown[] = [];
  const push: DeviceServiceInfoModule = {
    name: 'test.push',
    receive: (_m, v) => void got.push(v),
    result: () => got.length,
  };
  const events: OnboardStep[] = [];
  const result = await onboard({
    credentialFile: device.file,
    ownerUrls: [owner.url],
    serviceInfoModules: [push],
    onStep: (e) => events.push(e),
  });
  t.same(
    events
      .filter((e) => e.step === 'service-info-module')
      .map((e) => e.step === 'service-info-module' && [e.module, e.active]),
    [
      ['test.push', true],
      ['test.absent', false],
    ],
  );
  t.same(got, ['x']);
  t.same(result.serviceInfoResults, { 'test.push': { active: true, result: 1 } });
});

t.test('RVBypass (§3.7.1): a directive naming the owner sends the device to TO2 without TO1', async (t) => {
  const dir = tempDir(t);
  const device = await makeDevice(dir);
  const owner = await startTestOwner(t, [device]);
  const port = Number(new URL(owner.url).port);
  const rvInfo = new RendezvousInfo([
    [
      { variable: RVVariable.IPAddress, value: new Uint8Array([127, 0, 0, 1]) },
      { variable: RVVariable.DevPort, value: port },
      { variable: RVVariable.Protocol, value: 1 },
      { variable: RVVariable.Bypass },
    ],
  ]);
  const credential = new DeviceCredential({ ...device.credential, rvInfo });
  writeCredentialFile(device.file, { credential, privateKey: device.deviceKey.privateKey }, { force: true });
  const events: OnboardStep[] = [];
  const result = await onboard({ credentialFile: device.file, onStep: (e) => events.push(e) });
  t.same(events[0], { step: 'bypass', ownerUrls: [owner.url] });
  t.notOk(
    events.some((e) => e.step === 'to1'),
    'no rendezvous server asked',
  );
  t.equal(result.route, 'bypass');
  t.equal(formatGuid(readCredentialFile(device.file).credential.guid), result.newGuid);
});

t.test('no rendezvous server and no owner: TO1 says what to give', async (t) => {
  const dir = tempDir(t);
  const device = await makeDevice(dir);
  const credential = new DeviceCredential({ ...device.credential, rvInfo: new RendezvousInfo([]) });
  writeCredentialFile(device.file, { credential, privateKey: device.deviceKey.privateKey }, { force: true });
  const err = await onboard({ credentialFile: device.file }).catch((e: unknown) => e);
  t.type(err, To1FailedError);
  const run = await cli(['onboard', '--credential', device.file]);
  t.equal(run.code, 1);
  t.match(run.stderr, /next: give a rendezvous server with --rv URL, or the owner with --owner URL/);
});

t.test('--kex and --cipher choose the session suites', async (t) => {
  const dir = tempDir(t);
  const device = await makeDevice(dir, { ownerKind: 'rsa2048' });
  const owner = await startTestOwner(t, [device]);
  const run = await cli([
    'onboard',
    '--credential',
    device.file,
    '--owner',
    owner.url,
    '--kex',
    'DHKEXid14',
    '--cipher',
    'COSEAES256CTR',
  ]);
  t.equal(run.code, 0, run.stderr);
  const session = JSON.parse([...owner.store.sessions.values()][0]!.json) as Record<string, unknown>;
  t.match(JSON.stringify(session), /DHKEXid14/);
  // The default kex for a P-256 device (ECDH256) cannot work with this RSA owner: the owner refuses it.
  const other = await makeDevice(tempDir(t), { ownerKind: 'rsa2048' });
  owner.store.add(other.voucher, other.ownerKey.privateKey);
  const refused = await cli(['onboard', '--credential', other.file, '--owner', owner.url]);
  t.equal(refused.code, 1);
  t.match(refused.stderr, /ECDH256/);
});
