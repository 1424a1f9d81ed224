/**
 * An MQTT credential profile, end to end against a real Mosquitto broker (issue 6): the broker's TLS
 * listener requires client certificates from the owner's issuing CA and reads the owner's CRL. A
 * device runs DI, TO1 and TO2 with `fdo-device` (the owner's TO0 scheduler registers it first), and
 * then, using only the files it received under credentials/<profile>/, connects over mutual TLS,
 * publishes under its topic prefix and receives its own message. A certificate from another CA is
 * refused; a second onboarding re-enrolls (new key, new certificate) and the old certificate stops
 * working; a certificate revoked through the owner's API stops working.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { build as buildManufacturer } from '@fdo/manufacturer';
import { build as buildOwner } from '@fdo/owner';
import { build as buildRendezvous } from '@fdo/rendezvous';
import { formatGuid, generateKeyPair, privateKeyToPem } from '@fdo/protocol';
import {
  certificatesFromPem,
  certificatesToPem,
  createSelfSignedCa,
  describeCertificate,
  issueCertificate,
  verifyCertificateChain,
} from '@fdo/protocol/x509';
import { databaseTargets } from '@fdo/storage/testing';
import { readCredentialFile } from '../../src/index.js';
import { runDeviceCli } from '../../src/cli/index.js';
import { api, freePort, tempDir, until } from '../helpers.js';
import { Broker, connect, echo, MOSQUITTO } from './mqtt-broker.js';

const skip =
  MOSQUITTO === undefined
    ? 'mosquitto is not installed (apt-get install mosquitto): this test needs a real broker'
    : false;

const [db] = await databaseTargets(t);

async function cli(t: Test, args: string[]): Promise<string> {
  let out = '';
  let err = '';
  const code = await runDeviceCli(args, { stdout: (s) => void (out += s), stderr: (s) => void (err += s) });
  t.equal(code, 0, `fdo-device ${args[0]}: ${err}`);
  return out;
}

t.test(
  'MQTT profile: DI → TO0 → TO1 → TO2, then mutual TLS to Mosquitto with only the files received',
  { skip },
  async (t) => {
    const dir = tempDir(t, 'fdo-mqtt-');
    const brokerPort = await freePort();

    // The broker's own server certificate, from a CA of its own: the profile sends that CA as ca.pem.
    const brokerCaKey = generateKeyPair('ec256');
    const brokerCa = await createSelfSignedCa({ privateKey: brokerCaKey.privateKey, subject: 'CN=Test Broker CA' });
    const serverKey = generateKeyPair('ec256');
    const serverCert = await issueCertificate({
      issuer: { privateKey: brokerCaKey.privateKey, certificate: brokerCa },
      publicKey: serverKey.publicKey,
      subject: 'CN=localhost',
      altNames: { dns: ['localhost'], ip: ['127.0.0.1'] },
    });
    writeFileSync(join(dir, 'broker-ca.pem'), certificatesToPem([brokerCa]));
    writeFileSync(join(dir, 'server.crt'), certificatesToPem([serverCert]));
    writeFileSync(join(dir, 'server.key'), privateKeyToPem(serverKey.privateKey), { mode: 0o600 });

    const ownerConfig = join(dir, 'owner.json');
    writeFileSync(
      ownerConfig,
      JSON.stringify({
        profiles: {
          'plant-mqtt': {
            kind: 'mqtt',
            description: 'the plant broker',
            selector: { tags: ['plant'] },
            brokerUrl: `mqtts://127.0.0.1:${brokerPort}`,
            clientId: 'dev-{guid}',
            topicPrefix: 'plant/{guid}',
            caFile: 'broker-ca.pem',
          },
        },
      }),
    );

    const rendezvous = buildRendezvous({ databaseUrl: db!.url, dataDir: join(dir, 'rv'), logger: false });
    const rvUrl = await rendezvous.listen({ port: 0, host: '127.0.0.1' });
    t.teardown(() => rendezvous.close());
    const rvPort = Number(new URL(rvUrl).port);

    const ownerPort = await freePort();
    const ownerUrl = `http://127.0.0.1:${ownerPort}`;
    // The profile comes from the owner's JSON configuration file, as an operator would write it.
    process.env.FDO_OWNER_CONFIG = ownerConfig;
    const owner = await buildOwner({
      databaseUrl: db!.url,
      dataDir: join(dir, 'owner'),
      keyKinds: ['ec256'],
      to2Addresses: [ownerUrl],
      to0: { intervalSeconds: 1 },
      logger: false,
    }).finally(() => delete process.env.FDO_OWNER_CONFIG);
    await owner.listen({ port: ownerPort, host: '127.0.0.1' });
    t.teardown(() => owner.close());
    const admin = readFileSync(join(dir, 'owner', 'admin-token'), 'utf8').trim();
    const issuingCaFile = join(dir, 'owner', 'keys', 'issuing-ca.crt.pem');
    const crlFile = join(dir, 'owner', 'issuing-ca.crl.pem');
    t.equal(statSync(join(dir, 'owner', 'keys', 'issuing-ca.key.pem')).mode & 0o777, 0o600, 'CA key 0600');

    const broker = await Broker.start(
      dir,
      { cafile: issuingCaFile, certfile: join(dir, 'server.crt'), keyfile: join(dir, 'server.key'), crlfile: crlFile },
      brokerPort,
    );
    t.teardown(() => broker.stop());

    const ownerKeys = await api(ownerUrl, admin, 'GET', '/owner-keys');
    const pem = await api(ownerUrl, admin, 'GET', `/owner-keys/${ownerKeys.json.keys[0].id as string}.pem`);
    writeFileSync(join(dir, 'owner-key.pem'), pem.text);
    const manufacturer = await buildManufacturer({
      databaseUrl: db!.url,
      dataDir: join(dir, 'mfg'),
      keysDir: join(dir, 'mfg-keys'),
      keyKinds: ['ec256'],
      rendezvous: [{ host: '127.0.0.1', protocol: 'http', devPort: rvPort, ownerPort: rvPort }],
      ownerKeyFiles: { '*': [join(dir, 'owner-key.pem')] },
      logger: false,
    });
    const mfgUrl = await manufacturer.listen({ port: 0, host: '127.0.0.1' });
    t.teardown(() => manufacturer.close());
    const mfgAdmin = readFileSync(join(dir, 'mfg', 'admin-token'), 'utf8').trim();

    // Factory: DI. The voucher goes to the owner with the tag the profile selects; TO0 registers it.
    const credentialFile = join(dir, 'device', 'device.cred');
    mkdirSync(join(dir, 'device'));
    await cli(t, ['di', '--manufacturer', mfgUrl, '--serial', 'SN-MQTT-1', '--credential', credentialFile]);
    const guid = formatGuid(readCredentialFile(credentialFile).credential.guid);
    const voucher = await api(mfgUrl, mfgAdmin, 'GET', `/vouchers/${guid}?format=pem`);
    t.match((await api(ownerUrl, admin, 'POST', '/vouchers?tag=plant', voucher.text)).json, { imported: 1 });
    await until('TO0 registration', async () => {
      const d = await api(ownerUrl, admin, 'GET', `/devices/${guid}`);
      return d.json?.state === 'registered' ? true : undefined;
    });

    // First power-up: TO1 then TO2, with the client's default modules (csr, download) and a credentials dir.
    const creds = join(dir, 'device', 'credentials');
    await cli(t, ['onboard', '--credential', credentialFile, '--credentials-dir', creds]);
    const newGuid = formatGuid(readCredentialFile(credentialFile).credential.guid);
    const set = join(creds, 'plant-mqtt');
    const config = JSON.parse(readFileSync(join(set, 'config.json'), 'utf8'));
    t.same(config, {
      kind: 'mqtt',
      profile: 'plant-mqtt',
      brokerUrl: `mqtts://127.0.0.1:${brokerPort}`,
      clientId: `dev-${newGuid}`,
      topicPrefix: `plant/${newGuid}`,
      certFile: 'cert.pem',
      keyFile: 'key.pem',
      caFile: 'ca.pem',
    });
    t.not(newGuid, guid, 'TO2 gave the device a new GUID');
    t.equal(
      describeCertificate(certificatesFromPem(readFileSync(join(set, 'cert.pem'), 'utf8'))[0]!).subject,
      `CN=${newGuid}`,
      'the certificate and client id name the GUID the device holds now, the one the owner records follow',
    );
    t.equal(statSync(join(set, 'key.pem')).mode & 0o777, 0o600, 'key.pem readable by its owner only');
    const issuingCa = certificatesFromPem(readFileSync(issuingCaFile, 'utf8'))[0]!;
    const chain = certificatesFromPem(readFileSync(join(set, 'cert.pem'), 'utf8'));
    t.same(await verifyCertificateChain([chain[0]!], issuingCa), { valid: true }, 'cert.pem chains to the issuing CA');
    t.same(certificatesFromPem(readFileSync(join(set, 'ca.pem'), 'utf8')), [brokerCa], 'ca.pem: the broker CA');

    // The device's MQTT client: only the files it received.
    const files = () => ({
      key: readFileSync(join(set, config.keyFile as string)),
      cert: readFileSync(join(set, config.certFile as string)),
      ca: readFileSync(join(set, config.caFile as string)),
    });
    const first = files();
    const client = await connect(config.brokerUrl, config.clientId, first);
    const topic = `${config.topicPrefix as string}/telemetry`;
    t.equal(await echo(client, topic, 'hello from the device'), 'hello from the device', 'its own message came back');
    await client.endAsync();

    // A certificate for the same name from a CA the broker does not trust is refused.
    const rogueKey = generateKeyPair('ec256');
    const rogueCa = await createSelfSignedCa({ privateKey: rogueKey.privateKey, subject: 'CN=FDO Owner Issuing CA' });
    const stolen = generateKeyPair('ec256');
    const rogueCert = await issueCertificate({
      issuer: { privateKey: rogueKey.privateKey, certificate: rogueCa },
      publicKey: stolen.publicKey,
      subject: `CN=${guid}`,
    });
    await t.rejects(
      connect(config.brokerUrl, 'rogue', {
        key: privateKeyToPem(stolen.privateKey),
        cert: certificatesToPem([rogueCert, rogueCa]),
        ca: first.ca,
      }),
      'a certificate the issuing CA did not sign cannot connect',
    );

    // Rotation: a second onboarding (straight to the owner) re-enrolls; the old certificate is revoked.
    const oldSerial = describeCertificate(chain[0]!).serialNumber;
    await cli(t, ['onboard', '--credential', credentialFile, '--owner', ownerUrl, '--credentials-dir', creds]);
    const second = files();
    const newCert = certificatesFromPem(second.cert.toString())[0]!;
    t.not(describeCertificate(newCert).serialNumber, oldSerial, 'a new certificate');
    t.not(second.key.toString(), first.key.toString(), 'for a new key');
    const device = await api(
      ownerUrl,
      admin,
      'GET',
      `/devices/${formatGuid(readCredentialFile(credentialFile).credential.guid)}`,
    );
    t.equal(device.json.profile, 'plant-mqtt');
    t.match(device.json.certificates, [
      { serial: oldSerial, revokedReason: 'superseded' },
      { serial: describeCertificate(newCert).serialNumber, revokedAt: null },
    ]);
    t.match(device.json.serviceInfo, [
      { module: 'fdo-platform.profile', result: 'ok' },
      { module: 'fdo.csr', result: 'ok', detail: /certificate [0-9a-f]+ issued .*reenroll/ },
      { module: 'fdo.download', result: 'ok', detail: /ca\.pem: \d+ bytes, config\.json: \d+ bytes/ },
    ]);
    await broker.restart(); // Mosquitto reads the CRL when its listener starts
    await t.rejects(connect(config.brokerUrl, config.clientId, first), 'the superseded certificate is refused');
    const again = await connect(config.brokerUrl, config.clientId, second);
    t.equal(await echo(again, topic, 'after rotation'), 'after rotation', 'the new one works');
    await again.endAsync();

    // Revoked through the API: refused too.
    const revoked = await api(ownerUrl, admin, 'POST', `/devices/${newGuid}/certificate/revoke`, {
      reason: 'device reported stolen',
    });
    t.equal(revoked.status, 200, revoked.text);
    t.same(revoked.json.revoked, [describeCertificate(newCert).serialNumber]);
    await broker.restart();
    await t.rejects(connect(config.brokerUrl, config.clientId, second), 'a revoked certificate is refused');
  },
);
