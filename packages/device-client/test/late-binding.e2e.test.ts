/**
 * The first half of late binding across real services: a device runs DI at the manufacturer (which
 * extends its voucher to the buyer's owner key), the owner registers the voucher at the rendezvous
 * server (TO0), and the device, at first power-up, asks the rendezvous server where its owner is (TO1).
 * Both services share one database, as a small deployment would, on SQLite and on PostgreSQL.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { registerWithRendezvous } from '@fdo/client-kit';
import { build as buildManufacturer } from '@fdo/manufacturer';
import { build as buildRendezvous } from '@fdo/rendezvous';
import {
  extendVoucher,
  formatGuid,
  generateKeyPair,
  nodeCrypto,
  privateKeyFromPem,
  PublicKey,
  publicKeyToPem,
  readVoucherPem,
  RVTO2Addr,
  verifyVoucher,
} from '@fdo/protocol';
import { databaseTargets } from '@fdo/storage/testing';
import { readCredentialFile } from '../src/index.js';
import { runDeviceCli } from '../src/cli/index.js';

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'fdo-e2e-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function cli(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runDeviceCli(argv, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s) });
  return { code, stdout, stderr };
}

const owner = generateKeyPair('ec256');
const ownerTo2 = 'http://127.0.0.1:8042';

for (const db of await databaseTargets(t)) {
  t.test(`DI → voucher to owner → TO0 → TO1 (${db.name}, one database for both services)`, async (t) => {
    const dir = tempDir(t);
    const rendezvous = buildRendezvous({ databaseUrl: db.url, dataDir: join(dir, 'rv'), logger: false });
    await rendezvous.listen({ port: 0, host: '127.0.0.1' });
    t.teardown(() => rendezvous.close());
    const rvPort = (rendezvous.server.address() as AddressInfo).port;

    const ownerKeyFile = join(dir, 'owner.pub.pem');
    writeFileSync(ownerKeyFile, publicKeyToPem(owner.publicKey));
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

    // The factory line: DI writes the device's credential.
    const credentialFile = join(dir, 'device.cred');
    const di = await cli(['di', '--manufacturer', mfgUrl, '--serial', `SN-${db.name}`, '--credential', credentialFile]);
    t.equal(di.code, 0, di.stderr);
    const { credential } = readCredentialFile(credentialFile);
    const guid = formatGuid(credential.guid);

    // The manufacturer hands the voucher, already extended to the buyer, to the buyer.
    const admin = readFileSync(join(dir, 'mfg', 'admin-token'), 'utf8').trim();
    const res = await fetch(`${mfgUrl}/api/v1/vouchers/${guid}?format=pem`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    t.equal(res.status, 200);
    const [voucher] = readVoucherPem(await res.text()).vouchers;
    t.ok(voucher, 'one voucher');
    const verified = verifyVoucher(nodeCrypto, voucher!, { hmacSecret: credential.hmacSecret });
    t.equal(verified.entryCount, 1, 'extended once, at DI');
    t.ok(
      voucher!.ownerPublicKey.toDer().spki.every((b, i) => b === owner.publicKey.spki[i]),
      'to our owner key',
    );

    // Before TO0 the device has nowhere to go, and is told why.
    const early = await cli(['to1', '--credential', credentialFile]);
    t.equal(early.code, 1);
    t.match(early.stderr, new RegExp(`no owner registration for GUID ${guid}`));

    // TO0: the owner registers where its TO2 server is.
    const { waitSeconds } = await registerWithRendezvous(`http://127.0.0.1:${rvPort}`, {
      voucher: voucher!,
      ownerKey: owner.privateKey,
      addresses: [RVTO2Addr.fromUrl(ownerTo2)],
      waitSeconds: 3600,
    });
    t.equal(waitSeconds, 3600);

    // TO1: the device, using only its credential, learns its owner's address.
    const to1 = await cli(['to1', '--credential', credentialFile]);
    t.equal(to1.code, 0, to1.stderr);
    t.equal(to1.stdout.trim(), ownerTo2);
    const json = await cli(['to1', '--credential', credentialFile, '--json']);
    t.match(JSON.parse(json.stdout), { guid, rendezvous: `http://127.0.0.1:${rvPort}`, owner: [ownerTo2] });
  });
}

t.test('a device made by fdo-rs (its dc.bin and voucher) finds its owner through our rendezvous server', async (t) => {
  const vectors = new URL('../../../../shared/interop/go-fdo/', import.meta.url);
  const [db] = await databaseTargets(t);
  const dir = tempDir(t);
  const rendezvous = buildRendezvous({ databaseUrl: db!.url, dataDir: join(dir, 'rv'), logger: false });
  await rendezvous.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => rendezvous.close());
  const rvUrl = `http://127.0.0.1:${(rendezvous.server.address() as AddressInfo).port}`;

  // The vector's voucher has no entries: its manufacturer (whose key the vectors include) sells it to us.
  const [made] = readVoucherPem(readFileSync(new URL('ov.pem', vectors), 'utf8')).vouchers;
  const mfgKey = privateKeyFromPem(readFileSync(new URL('mfg_key.pem', vectors), 'utf8'));
  const buyer = generateKeyPair('ec384');
  const voucher = extendVoucher(nodeCrypto, made!, mfgKey, PublicKey.fromDer(buyer.publicKey));
  await registerWithRendezvous(rvUrl, {
    voucher,
    ownerKey: buyer.privateKey,
    addresses: [RVTO2Addr.fromUrl(ownerTo2)],
  });

  const to1 = await cli(['to1', '--credential', new URL('dc.bin', vectors).pathname, '--rv', rvUrl]);
  t.equal(to1.code, 0, to1.stderr);
  t.equal(to1.stdout.trim(), ownerTo2);
});
