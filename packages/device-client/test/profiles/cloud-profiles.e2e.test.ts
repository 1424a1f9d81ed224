/**
 * AWS IoT and Azure IoT profiles through real TO2 over HTTP, every message alternating between two
 * owner instances on one database (a round-robin balancer, no stickiness), so each module's state
 * crosses instances. The owner reads its profiles and an integrator module
 * (examples/owner-module-hello) from its JSON configuration file. Checked: exactly the documented
 * files and config.json fields, certificates that chain to the issuing CA with the documented
 * subject, the owner's profile API, and that moving a device to another profile revokes its
 * certificate in the CRL file.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';
import { httpTransport } from '@fdo/client-kit';
import { build as buildManufacturer } from '@fdo/manufacturer';
import { build as buildOwner } from '@fdo/owner';
import { formatGuid, generateKeyPair, runTO2 } from '@fdo/protocol';
import {
  certificatesFromPem,
  certificatesToPem,
  createSelfSignedCa,
  crlFromPem,
  describeCertificate,
  revokedSerials,
  verifyCertificateChain,
} from '@fdo/protocol/x509';
import { databaseTargets } from '@fdo/storage/testing';
import { credentialModules, deviceInitialize } from '../../src/index.js';
import { api } from '../helpers.js';
import { roundRobin } from '../../../../services/owner/test/helpers.js';
// @ts-expect-error: a plain JavaScript example, typed by its JSDoc only
import { helloDevice } from '../../../../examples/owner-module-hello/device.mjs';

const [db] = await databaseTargets(t);
const dir = mkdtempSync(join(tmpdir(), 'fdo-cloud-profiles-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** Stand-ins for the clouds' server roots (the real files are public downloads). */
async function rootFile(name: string): Promise<{ file: string; der: Uint8Array }> {
  const key = generateKeyPair('ec256');
  const der = await createSelfSignedCa({ privateKey: key.privateKey, subject: `CN=${name}` });
  const file = join(dir, `${name.replace(/\W+/g, '-')}.pem`);
  writeFileSync(file, certificatesToPem([der]));
  return { file, der };
}

t.test(
  'AWS IoT and Azure DPS profiles, with an example module from the configuration, across two instances',
  async (t) => {
    const amazonRoot = await rootFile('Amazon Root CA 1');
    const azureRoot = await rootFile('DigiCert Global Root G2');
    const example = resolve(import.meta.dirname, '../../../../examples/owner-module-hello/owner.mjs');
    const configFile = join(dir, 'owner.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        modules: [example],
        issuingCa: { subject: 'CN=Fleet Issuing CA,O=Example', certValidityDays: 90 },
        profiles: {
          'aws-fleet': {
            kind: 'aws-iot',
            selector: { tags: ['aws'] },
            endpoint: 'a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com',
            thingName: 'thing-{sn}',
            topicPrefix: 'fleet/{sn}',
            caFile: amazonRoot.file,
          },
          'azure-fleet': {
            kind: 'azure-iot',
            description: 'Azure DPS, enrollment group of the issuing CA',
            selector: { tags: ['azure'], devmod: { os: '/^Linux$/' } },
            idScope: '0ne00ABCDEF',
            deviceId: '{sn}',
            caFile: azureRoot.file,
          },
        },
      }),
    );
    const keysDir = join(dir, 'owner-keys');
    process.env.FDO_OWNER_CONFIG = configFile;
    const start = async (name: string) => {
      const app = await buildOwner({
        databaseUrl: db!.url,
        dataDir: join(dir, name),
        keysDir,
        keyKinds: ['ec256'],
        logger: false,
        to0: { enabled: false },
      });
      t.teardown(() => app.close());
      return { app, url: await app.listen({ port: 0, host: '127.0.0.1' }) };
    };
    const a = await start('owner-a');
    const b = await start('owner-b').finally(() => delete process.env.FDO_OWNER_CONFIG);
    const admin = readFileSync(join(dir, 'owner-a', 'admin-token'), 'utf8').trim();
    const issuingCa = certificatesFromPem(readFileSync(join(keysDir, 'issuing-ca.crt.pem'), 'utf8'))[0]!;
    t.equal(describeCertificate(issuingCa).subject, 'CN=Fleet Issuing CA, O=Example', 'generated with the subject set');
    t.equal(statSync(join(keysDir, 'issuing-ca.key.pem')).mode & 0o777, 0o600);

    const keys = await api(a.url, admin, 'GET', '/owner-keys');
    const pem = await api(a.url, admin, 'GET', `/owner-keys/${keys.json.keys[0].id as string}.pem`);
    writeFileSync(join(dir, 'owner-key.pem'), pem.text);
    const manufacturer = await buildManufacturer({
      databaseUrl: db!.url,
      dataDir: join(dir, 'mfg'),
      keysDir: join(dir, 'mfg-keys'),
      keyKinds: ['ec256'],
      rendezvous: [{ host: '127.0.0.1', protocol: 'http', devPort: 1, ownerPort: 1 }],
      ownerKeyFiles: { '*': [join(dir, 'owner-key.pem')] },
      logger: false,
    });
    const mfgUrl = await manufacturer.listen({ port: 0, host: '127.0.0.1' });
    t.teardown(() => manufacturer.close());
    const mfgAdmin = readFileSync(join(dir, 'mfg', 'admin-token'), 'utf8').trim();
    const balancer = await roundRobin(t, [a.url, b.url]);

    async function onboardDevice(sn: string, tag: string) {
      const { credential, privateKey } = await deviceInitialize({ manufacturerUrl: mfgUrl, serialNumber: sn });
      const guid = formatGuid(credential.guid);
      const voucher = await api(mfgUrl, mfgAdmin, 'GET', `/vouchers/${guid}?format=pem`);
      t.match((await api(a.url, admin, 'POST', `/vouchers?tag=${tag}`, voucher.text)).json, { imported: 1 });
      const credentialsDir = join(dir, sn, 'credentials');
      const transport = httpTransport(balancer.url);
      const served = balancer.served.length;
      const result = await runTO2(transport, {
        credential,
        deviceKey: privateKey,
        devmod: { os: 'Linux', arch: 'aarch64', version: '6.6', device: 'edge-gw', sn },
        maxOwnerServiceInfoSize: 400,
        serviceInfoModules: [
          ...credentialModules({ credentialsDir, downloadDir: join(dir, sn, 'downloads') }),
          helloDevice(),
        ],
      }).finally(() => transport.close());
      const messages = balancer.served.slice(served);
      t.ok(
        messages.length > 10 && messages.every((u, i) => u !== messages[i - 1]),
        `${messages.length} messages, each to the other instance`,
      );
      return { guid: formatGuid(result.replacementCredential.guid), credentialsDir, result };
    }

    const aws = await onboardDevice('SN-AWS-1', 'aws');
    const awsSet = join(aws.credentialsDir, 'aws-fleet');
    t.same(readdirSync(aws.credentialsDir), ['aws-fleet'], 'one directory per profile');
    t.same(
      readdirSync(awsSet).sort(),
      ['ca.pem', 'cert.pem', 'config.json', 'key.pem'],
      'exactly the documented files',
    );
    t.same(JSON.parse(readFileSync(join(awsSet, 'config.json'), 'utf8')), {
      kind: 'aws-iot',
      profile: 'aws-fleet',
      endpoint: 'a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com',
      port: 8883,
      thingName: 'thing-SN-AWS-1',
      clientId: 'thing-SN-AWS-1',
      topicPrefix: 'fleet/SN-AWS-1',
      certFile: 'cert.pem',
      keyFile: 'key.pem',
      caFile: 'ca.pem',
    });
    t.same(certificatesFromPem(readFileSync(join(awsSet, 'ca.pem'), 'utf8')), [amazonRoot.der], 'ca.pem: Amazon root');
    const awsChain = certificatesFromPem(readFileSync(join(awsSet, 'cert.pem'), 'utf8'));
    t.same(awsChain.slice(1), [issuingCa], 'cert.pem: the device certificate, then the issuing CA (for JITP)');
    t.same(await verifyCertificateChain([awsChain[0]!], issuingCa), { valid: true }, 'chains to the issuing CA');
    const awsCert = describeCertificate(awsChain[0]!);
    t.equal(awsCert.subject, 'CN=thing-SN-AWS-1', 'CN is the thing name');
    t.ok(awsCert.notAfter.getTime() - awsCert.notBefore.getTime() <= 90 * 86_400_000 + 1, '90-day lifetime');
    t.equal(statSync(join(awsSet, 'key.pem')).mode & 0o777, 0o600);
    t.match(aws.result.serviceInfoResults, {
      'example.hello': { active: true, result: { greeting: 'hello edge-gw SN-AWS-1 (Linux/aarch64), tags: aws' } },
    });

    const azure = await onboardDevice('SN-AZ-1', 'azure');
    const azureSet = join(azure.credentialsDir, 'azure-fleet');
    t.same(readdirSync(azureSet).sort(), ['ca.pem', 'cert.pem', 'config.json', 'key.pem']);
    t.same(JSON.parse(readFileSync(join(azureSet, 'config.json'), 'utf8')), {
      kind: 'azure-iot',
      profile: 'azure-fleet',
      deviceId: 'SN-AZ-1',
      provisioning: 'dps',
      idScope: '0ne00ABCDEF',
      globalEndpoint: 'global.azure-devices-provisioning.net',
      registrationId: 'SN-AZ-1',
      certFile: 'cert.pem',
      keyFile: 'key.pem',
      caFile: 'ca.pem',
    });
    t.same(certificatesFromPem(readFileSync(join(azureSet, 'ca.pem'), 'utf8')), [azureRoot.der]);
    const azureChain = certificatesFromPem(readFileSync(join(azureSet, 'cert.pem'), 'utf8'));
    t.same(await verifyCertificateChain([azureChain[0]!], issuingCa), { valid: true });
    t.equal(describeCertificate(azureChain[0]!).subject, 'CN=SN-AZ-1', 'CN is the device id (registration id)');

    // The owner's view.
    const list = await api(b.url, admin, 'GET', '/profiles');
    t.same(list.json, {
      profiles: [
        { name: 'aws-fleet', kind: 'aws-iot', selector: { tags: ['aws'] }, devices: 1 },
        {
          name: 'azure-fleet',
          kind: 'azure-iot',
          description: 'Azure DPS, enrollment group of the issuing CA',
          selector: { tags: ['azure'], devmod: { os: '/^Linux$/' } },
          devices: 1,
        },
      ],
    });
    const one = await api(b.url, admin, 'GET', '/profiles/aws-fleet');
    t.match(one.json, {
      name: 'aws-fleet',
      kind: 'aws-iot',
      thingName: 'thing-{sn}',
      devices: [{ guid: aws.guid, state: 'onboarded' }],
    });
    t.equal((await api(b.url, admin, 'GET', '/profiles/nope')).status, 404);
    const device = await api(a.url, admin, 'GET', `/devices/${aws.guid}`);
    t.equal(device.json.profile, 'aws-fleet');
    t.match(device.json.serviceInfo, [
      { module: 'fdo-platform.profile', result: 'ok' },
      { module: 'fdo.csr', result: 'ok', detail: new RegExp(`certificate ${awsCert.serialNumber} issued`) },
      { module: 'fdo.download', result: 'ok' },
      { module: 'example.hello', result: 'ok', detail: /received: hello edge-gw/ },
    ]);

    // Moving the device to another profile revokes its certificate: both instances' CRLs list it
    // once they rewrite it (here: the instance that served the request).
    const moved = await api(a.url, admin, 'PUT', `/devices/${aws.guid}/profile`, { profile: 'azure-fleet' });
    t.same(moved.json, { guid: aws.guid, profile: 'azure-fleet', revoked: [awsCert.serialNumber] });
    const crl = crlFromPem(readFileSync(join(dir, 'owner-a', 'issuing-ca.crl.pem'), 'utf8'));
    t.same(await revokedSerials(crl, issuingCa), [awsCert.serialNumber], 'the CRL lists it');
    t.equal((await api(a.url, admin, 'GET', `/devices/${aws.guid}`)).json.profile, 'azure-fleet');
    t.equal((await api(a.url, admin, 'PUT', `/devices/${aws.guid}/profile`, { profile: 'nope' })).status, 404);
    const unknown = '00000000-0000-0000-0000-000000000000';
    t.equal((await api(a.url, admin, 'PUT', `/devices/${unknown}/profile`, { profile: null })).status, 404);
    const readOnly = (await a.app.owner.tokens.create({ name: 'viewer', scopes: ['read'] })).token;
    t.equal((await api(a.url, readOnly, 'PUT', `/devices/${aws.guid}/profile`, { profile: null })).status, 403);
  },
);
