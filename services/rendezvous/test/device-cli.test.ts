import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceCredential, nodeCrypto, privateKeyToPem, RendezvousInfo, runTO0, RVTO2Addr } from '@fdo/protocol';
import { httpTransport } from '@fdo/client-kit';
import { databaseTargets } from '@fdo/storage/testing';
import { runTo1Command } from '../../../packages/device-client/src/cli/to1.js';
import { makeDevice, startRendezvous } from './helpers.js';

/** Runs the command with stdout and stderr captured. */
async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string) => ((stdout += chunk), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => ((stderr += chunk), true)) as typeof process.stderr.write;
  try {
    return { code: await runTo1Command(argv), stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

t.test('device-client `to1 --credential FILE` prints the owner addresses', async (t) => {
  const [db] = await databaseTargets(t);
  const rv = await startRendezvous(t, db!.url);
  const device = await makeDevice();
  const dir = mkdtempSync(join(tmpdir(), 'fdo-device-'));
  const credentialFile = join(dir, 'credential.cbor');
  const keyFile = join(dir, 'device.key.pem');
  writeFileSync(
    credentialFile,
    new DeviceCredential({ ...device.credential, rvInfo: RendezvousInfo.fromUrls(rv.url) }).encode(),
  );
  writeFileSync(keyFile, privateKeyToPem(device.deviceKey.privateKey));

  const unregistered = await run(['--credential', credentialFile, '--key', keyFile]);
  t.equal(unregistered.code, 1);
  t.match(unregistered.stderr, /no owner registration for GUID/);

  const addresses = [RVTO2Addr.fromUrl('https://owner.example.com:8443'), RVTO2Addr.fromUrl('http://192.0.2.10:8042')];
  await runTO0(httpTransport(rv.url), {
    crypto: nodeCrypto,
    voucher: device.voucher,
    ownerKey: device.ownerKey.privateKey,
    addresses,
  });
  const ok = await run(['--credential', credentialFile, '--key', keyFile]);
  t.equal(ok.code, 0, ok.stderr);
  t.equal(ok.stdout, 'https://owner.example.com:8443\nhttp://192.0.2.10:8042\n');
  const json = await run(['--credential', credentialFile, '--key', keyFile, '--json']);
  t.same(JSON.parse(json.stdout).owner, ['https://owner.example.com:8443', 'http://192.0.2.10:8042']);
  t.equal((await run([])).code, 2, 'usage error');
  t.equal((await run(['--bogus'])).code, 2);
});
