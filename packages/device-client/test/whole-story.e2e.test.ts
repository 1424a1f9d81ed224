/**
 * Late binding, the whole story, on loopback with the three services (FDO 1.1 §2.3): a device runs
 * DI at the manufacturer, which extends its voucher to the buyer's owner key; the owner imports the
 * voucher and its TO0 scheduler registers it at the rendezvous server; the device at first power-up
 * runs TO1 (redirected to the owner) and TO2 (onboarded), and the owner's status shows it. On SQLite
 * and on PostgreSQL, one database for the three services as a small deployment would have.
 */
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { httpTransport } from '@fdo/client-kit';
import { build as buildManufacturer } from '@fdo/manufacturer';
import { build as buildOwner } from '@fdo/owner';
import { build as buildRendezvous } from '@fdo/rendezvous';
import { formatGuid, runTO2, verifyVoucher, nodeCrypto, readVoucherPem } from '@fdo/protocol';
import { databaseTargets } from '@fdo/storage/testing';
import { readCredentialFile, runDeviceTo1 } from '../src/index.js';
import { runDeviceCli } from '../src/cli/index.js';
import { api, freePort, until } from './helpers.js';

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'fdo-story-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

for (const db of await databaseTargets(t)) {
  t.test(`DI → voucher to owner → import → TO0 by the scheduler → TO1 → TO2 → onboarded (${db.name})`, async (t) => {
    const dir = tempDir(t);
    const rendezvous = buildRendezvous({ databaseUrl: db.url, dataDir: join(dir, 'rv'), logger: false });
    await rendezvous.listen({ port: 0, host: '127.0.0.1' });
    t.teardown(() => rendezvous.close());
    const rvPort = (rendezvous.server.address() as AddressInfo).port;

    const ownerPort = await freePort();
    const ownerUrl = `http://127.0.0.1:${ownerPort}`;
    const owner = await buildOwner({
      databaseUrl: db.url,
      dataDir: join(dir, 'owner'),
      keyKinds: ['ec256'],
      to2Addresses: [ownerUrl],
      logger: false,
    });
    await owner.listen({ port: ownerPort, host: '127.0.0.1' });
    t.teardown(() => owner.close());
    const ownerAdmin = readFileSync(join(dir, 'owner', 'admin-token'), 'utf8').trim();

    // The buyer gives the manufacturer its owner key (the PEM the owner service publishes).
    const ownerKeys = await api(ownerUrl, ownerAdmin, 'GET', '/owner-keys');
    t.equal(ownerKeys.status, 200, ownerKeys.text);
    const ownerKeyFile = join(dir, 'owner-key.pem');
    const keyId = ownerKeys.json.keys[0].id as string;
    const pem = await api(ownerUrl, ownerAdmin, 'GET', `/owner-keys/${keyId}.pem`);
    t.equal(pem.status, 200, pem.text);
    writeFileSync(ownerKeyFile, pem.text);

    const manufacturer = await buildManufacturer({
      databaseUrl: db.url,
      dataDir: join(dir, 'mfg'),
      keysDir: join(dir, 'mfg-keys'),
      keyKinds: ['ec256'],
      rendezvous: [{ host: '127.0.0.1', protocol: 'http', devPort: rvPort, ownerPort: rvPort }],
      ownerKeyFiles: { '*': [ownerKeyFile] },
      logger: false,
    });
    const mfgUrl = await manufacturer.listen({ port: 0, host: '127.0.0.1' });
    t.teardown(() => manufacturer.close());
    const mfgAdmin = readFileSync(join(dir, 'mfg', 'admin-token'), 'utf8').trim();

    // The factory line: DI.
    const credentialFile = join(dir, 'device.cred');
    let stderr = '';
    const code = await runDeviceCli(
      ['di', '--manufacturer', mfgUrl, '--serial', 'SN-STORY-1', '--credential', credentialFile],
      { stdout: () => {}, stderr: (s) => void (stderr += s) },
    );
    t.equal(code, 0, stderr);
    const { credential, privateKey } = readCredentialFile(credentialFile);
    const guid = formatGuid(credential.guid);

    // The voucher travels from the manufacturer to the owner, who imports it; the scheduler runs TO0.
    const voucherPem = await api(mfgUrl, mfgAdmin, 'GET', `/vouchers/${guid}?format=pem`);
    t.equal(voucherPem.status, 200);
    const imported = await api(ownerUrl, ownerAdmin, 'POST', '/vouchers?tag=story', voucherPem.text);
    t.match(imported.json, { imported: 1 });
    const registered = await until('TO0 registration', async () => {
      const d = await api(ownerUrl, ownerAdmin, 'GET', `/devices/${guid}`);
      return d.json?.state === 'registered' ? d.json : undefined;
    });
    t.ok(registered.registeredUntil, `registered at rendezvous until ${registered.registeredUntil}`);

    // First power-up: TO1, then TO2 at the address TO1 gave.
    const to1 = await runDeviceTo1({ credential, deviceKey: privateKey });
    t.same(
      to1.addresses.map((a) => a.toUrl()),
      [ownerUrl],
      'redirected to the owner',
    );
    const transport = httpTransport(to1.addresses[0]!.toUrl());
    const result = await runTO2(transport, {
      credential,
      deviceKey: privateKey,
      to1d: to1.to1d,
      devmod: { os: 'Linux', arch: 'x86_64', version: '6.1', device: 'story-board', sn: 'SN-STORY-1' },
    });
    await transport.close();
    const newGuid = formatGuid(result.replacementCredential.guid);

    const status = await api(ownerUrl, ownerAdmin, 'GET', `/devices/${newGuid}`);
    t.match(status.json, {
      guid: newGuid,
      previousGuid: guid,
      state: 'onboarded',
      tags: ['story'],
      facts: { os: 'Linux', arch: 'x86_64', version: '6.1', serial: 'SN-STORY-1' },
    });
    t.match(
      status.json.events.map((e: { step: string; outcome: string }) => `${e.step}:${e.outcome}`),
      ['import:ok', 'to0:ok', 'to2:info', 'to2:ok'],
      'the timeline: import, TO0, TO2',
    );
    t.match(status.json.rendezvous, [{ state: 'stopped' }], 'TO0 stops once the device is onboarded');

    // The owner keeps a voucher the new credential verifies against.
    const kept = await api(ownerUrl, ownerAdmin, 'GET', `/vouchers/${newGuid}?format=pem`);
    const [voucher] = readVoucherPem(kept.text).vouchers;
    t.equal(verifyVoucher(nodeCrypto, voucher!, { hmacSecret: result.replacementCredential.hmacSecret }).entryCount, 1);
  });
}
