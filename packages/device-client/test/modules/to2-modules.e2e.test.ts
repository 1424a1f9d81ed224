/**
 * The standard modules through real TO2 over HTTP (FDO 1.1 §5.5.11–§5.5.12): DI at the
 * manufacturer, the voucher imported by the owner service, then TO2 with fdo.download, fdo.command
 * and fdo.csr together, at small ServiceInfo sizes so that every module's data crosses many
 * encrypted messages. The device's results are checked, and the owner's record through its API.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { httpTransport } from '@fdo/client-kit';
import { build as buildManufacturer } from '@fdo/manufacturer';
import { build as buildOwner } from '@fdo/owner';
import { formatGuid, generateKeyPair, runTO2 } from '@fdo/protocol';
import {
  commandOwner,
  csrOwner,
  downloadOwner,
  forDevices,
  type OwnerServiceInfoModule,
} from '@fdo/protocol/serviceinfo';
import { certificatesFromPem, createSelfSignedCa, verifyCertificateChain } from '@fdo/protocol/x509';
import { databaseTargets } from '@fdo/storage/testing';
import { api } from '../helpers.js';
import { commandDevice, CSR_FILES, csrDevice, deviceInitialize, downloadDevice } from '../../src/index.js';

const [db] = await databaseTargets(t);
const dir = mkdtempSync(join(tmpdir(), 'fdo-modules-e2e-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('DI, then TO2 with fdo.download + fdo.command + fdo.csr over HTTP at a 300-byte ServiceInfo size', async (t) => {
  const caKey = generateKeyPair('ec256');
  const caCert = await createSelfSignedCa({ privateKey: caKey.privateKey, subject: 'CN=Fleet Issuing CA' });
  const agent = randomBytes(12_000);
  const modules = (
    [
      downloadOwner({ files: [{ name: 'agent/agent.bin', contents: agent, required: true }] }),
      // @NOTE Modules run side by side, so this command may not rely on the download having finished.
      commandOwner({ commands: [{ command: 'sh', args: ['-c', 'uname -s; echo ready'], returnStdout: true }] }),
      csrOwner({ issuer: { privateKey: caKey.privateKey, certificate: caCert } }),
    ] as OwnerServiceInfoModule[]
  ).map((m) => forDevices(m, { tags: ['fleet'] }));
  const owner = await buildOwner({
    databaseUrl: db!.url,
    dataDir: join(dir, 'owner'),
    keyKinds: ['ec256'],
    logger: false,
    serviceInfoModules: modules,
    to2: { maxDeviceServiceInfoSize: 300 },
  });
  const ownerUrl = await owner.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => owner.close());
  const ownerAdmin = readFileSync(join(dir, 'owner', 'admin-token'), 'utf8').trim();
  const keys = await api(ownerUrl, ownerAdmin, 'GET', '/owner-keys');
  const ownerKeyFile = join(dir, 'owner-key.pem');
  const pem = await api(ownerUrl, ownerAdmin, 'GET', `/owner-keys/${keys.json.keys[0].id as string}.pem`);
  writeFileSync(ownerKeyFile, pem.text);

  const manufacturer = await buildManufacturer({
    databaseUrl: db!.url,
    dataDir: join(dir, 'mfg'),
    keysDir: join(dir, 'mfg-keys'),
    keyKinds: ['ec256'],
    rendezvous: [{ host: '127.0.0.1', protocol: 'http', devPort: 1, ownerPort: 1 }],
    ownerKeyFiles: { '*': [ownerKeyFile] },
    logger: false,
  });
  const mfgUrl = await manufacturer.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => manufacturer.close());
  const mfgAdmin = readFileSync(join(dir, 'mfg', 'admin-token'), 'utf8').trim();

  const { credential, privateKey } = await deviceInitialize({ manufacturerUrl: mfgUrl, serialNumber: 'SN-MOD-1' });
  const guid = formatGuid(credential.guid);
  const voucher = await api(mfgUrl, mfgAdmin, 'GET', `/vouchers/${guid}?format=pem`);
  t.match((await api(ownerUrl, ownerAdmin, 'POST', '/vouchers?tag=fleet', voucher.text)).json, { imported: 1 });

  const work = join(dir, 'device-work');
  const creds = join(dir, 'device-creds');
  const transport = httpTransport(ownerUrl);
  const result = await runTO2(transport, {
    credential,
    deviceKey: privateKey,
    devmod: { os: 'Linux', arch: 'x86_64', version: '6.1', device: 'gateway', sn: 'SN-MOD-1' },
    maxOwnerServiceInfoSize: 300,
    serviceInfoModules: [
      downloadDevice({ dir: work }),
      commandDevice({ allow: ['sh'], cwd: work }),
      csrDevice({ dir: creds, subject: 'CN=SN-MOD-1' }),
    ],
  }).finally(() => transport.close());

  t.same(readFileSync(join(work, 'agent/agent.bin')), agent, 'the download arrived whole');
  t.match(result.serviceInfoResults, {
    'fdo.download': { active: true, result: [{ name: 'agent/agent.bin', length: 12_000, error: null }] },
    'fdo.command': { active: true, result: [{ command: 'sh', exitcode: 0, refused: false }] },
    'fdo.csr': { active: true, result: { request: 'enroll', error: null } },
  });
  const cert = certificatesFromPem(readFileSync(join(creds, CSR_FILES.cert), 'utf8'));
  t.same(await verifyCertificateChain(cert, caCert), { valid: true }, 'the certificate chains to the owner CA');
  t.equal(statSync(join(creds, CSR_FILES.key)).mode & 0o777, 0o600);

  const newGuid = formatGuid(result.replacementCredential.guid);
  const status = await api(ownerUrl, ownerAdmin, 'GET', `/devices/${newGuid}`);
  t.equal(status.json?.state, 'onboarded', status.text);
  t.match(status.json.events.at(-1), {
    step: 'to2',
    outcome: 'ok',
    message: /modules: fdo\.download, fdo\.command, fdo\.csr/,
  });
});
