/**
 * Late binding from end to end with the real services on loopback, on SQLite and on PostgreSQL (one
 * database for all three, as a small deployment would have): DI at the manufacturer, the voucher
 * imported at the owner, TO0 by the owner's scheduler, then `fdo-device onboard` (TO1 → TO2) with
 * the credential file replaced. Along the way a device process is killed in the middle of TO2 (its
 * credential must survive and the retry onboard), and the replacement credential onboards again
 * with the same owner, which kept the replacement voucher extended to itself.
 *
 * Between the device and the owner sits an HTTP relay (the owner's TO2 address, as sent in TO0)
 * that can hold one message, so the device can be killed while TO2 is under way.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type as osType } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { build as buildManufacturer } from '@fdo/manufacturer';
import { build as buildRendezvous } from '@fdo/rendezvous';
import { formatGuid, publicKeyToPem } from '@fdo/protocol';
import { databaseTargets } from '@fdo/storage/testing';
import { OwnerKeys } from '@fdo/owner';
import { startOwner } from '../../../services/owner/test/helpers.js';
import { readCredentialFile } from '../src/index.js';
import { cli, cliProcess, exited, tempDir, waitForLine } from './helpers.js';

/** An HTTP relay for FDO messages to `upstream`; `holdNext(type)` keeps the next message of that type unanswered. */
async function relay(t: Test) {
  let upstream = '';
  let hold: { type: number; arrived: () => void } | undefined;
  const held: ServerResponse[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const type = Number(/\/msg\/(\d+)$/.exec(req.url ?? '')?.[1]);
      if (hold !== undefined && type === hold.type) {
        held.push(res);
        hold.arrived();
        hold = undefined;
        return;
      }
      const headers: Record<string, string> = {};
      for (const h of ['content-type', 'authorization']) {
        const v = req.headers[h];
        if (typeof v === 'string') headers[h] = v;
      }
      fetch(`${upstream}${req.url}`, { method: 'POST', headers, body: Buffer.concat(chunks) })
        .then(async (up) => {
          const out: Record<string, string> = {};
          for (const h of ['content-type', 'authorization', 'message-type']) {
            const v = up.headers.get(h);
            if (v !== null) out[h] = v;
          }
          res.writeHead(up.status, out).end(Buffer.from(await up.arrayBuffer()));
        })
        .catch(() => res.writeHead(502).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const res of held) res.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setUpstream: (url: string) => void (upstream = url),
    holdNext: (type: number) => new Promise<void>((arrived) => (hold = { type, arrived })),
  };
}

for (const db of await databaseTargets(t)) {
  t.test(`DI → import → TO0 → onboard, killed mid-TO2 and retried, then onboard again (${db.name})`, async (t) => {
    const dir = tempDir(t, 'fdo-onboard-e2e-');
    const rendezvous = buildRendezvous({ databaseUrl: db.url, dataDir: join(dir, 'rv'), logger: false });
    await rendezvous.listen({ port: 0, host: '127.0.0.1' });
    t.teardown(() => rendezvous.close());
    const rvUrl = `http://127.0.0.1:${(rendezvous.server.address() as AddressInfo).port}`;

    // The owner: its key made first, so the manufacturer can extend vouchers to it.
    const keysDir = join(dir, 'owner-keys');
    const [ownerKey] = (await OwnerKeys.load({ keysDir, keyKinds: ['ec256'], keyFiles: [] })).list();
    const front = await relay(t);
    const owner = await startOwner(t, { databaseUrl: db.url, keysDir, keyKinds: ['ec256'], to2Addresses: [front.url] });
    front.setUpstream(owner.url);

    const ownerPem = join(dir, 'owner.pub.pem');
    writeFileSync(ownerPem, publicKeyToPem(ownerKey!.publicKey));
    const rvPort = Number(new URL(rvUrl).port);
    const manufacturer = await buildManufacturer({
      databaseUrl: db.url,
      dataDir: join(dir, 'mfg'),
      keysDir: join(dir, 'mfg-keys'),
      keyKinds: ['ec256'],
      rendezvous: [{ host: '127.0.0.1', protocol: 'http', devPort: rvPort, ownerPort: rvPort }],
      ownerKeyFiles: { '*': [ownerPem] },
      logger: false,
    });
    const mfgUrl = await manufacturer.listen({ port: 0, host: '127.0.0.1' });
    t.teardown(() => manufacturer.close());

    // DI at the factory; the voucher, extended to the owner, goes to the owner; TO0.
    const file = join(dir, 'device.cred');
    const di = await cli(['di', '--manufacturer', mfgUrl, '--serial', `SN-${db.name}`, '--credential', file]);
    t.equal(di.code, 0, di.stderr);
    const guid = formatGuid(readCredentialFile(file).credential.guid);
    const admin = readFileSync(join(dir, 'mfg', 'admin-token'), 'utf8').trim();
    const voucher = await fetch(`${mfgUrl}/api/v1/vouchers/${guid}?format=pem`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    const imported = await owner.api('POST', '/vouchers', { raw: await voucher.text() });
    t.equal(imported.json?.imported, 1, imported.text);
    t.match(await owner.app.owner.scheduler.runOnce(), { registered: 1, failed: 0 }, 'TO0 at the rendezvous server');

    // 1. The device process dies while the owner holds its first ServiceInfo (after SetupDevice).
    const original = readFileSync(file);
    const arrived = front.holdNext(68);
    const child = cliProcess(['onboard', '--credential', file]);
    const end = exited(child);
    await waitForLine(child, /^TO2: device proven; new GUID/);
    await arrived;
    child.kill('SIGKILL');
    const killed = await end;
    t.equal(killed.signal, 'SIGKILL');
    t.match(killed.output, `TO1: redirected by ${rvUrl} to ${front.url}`);
    t.same(readFileSync(file), original, 'killed mid-TO2: the credential file is byte for byte the old one');

    // 2. The retry onboards: TO1 again, TO2, the file replaced.
    const retry = await cli(['onboard', '--credential', file]);
    t.equal(retry.code, 0, retry.stderr);
    t.match(retry.stderr, `TO1: redirected by ${rvUrl} to ${front.url}`);
    const second = formatGuid(readCredentialFile(file).credential.guid);
    t.not(second, guid);
    t.match(retry.stderr, `credential replaced: ${guid} → ${second}`);
    t.match(retry.stdout, `onboarded: GUID ${second} (was ${guid})`);
    const status = await owner.api('GET', `/devices/${second}`);
    t.match(status.json, { state: 'onboarded', previousGuid: guid, facts: { os: osType(), serial: `SN-${db.name}` } });

    // 3. The replacement credential onboards again with the same owner (no TO0 for it: straight to TO2).
    const again = await cli(['onboard', '--credential', file, '--skip-to1', '--owner', front.url, '--json']);
    t.equal(again.code, 0, again.stderr);
    const third = formatGuid(readCredentialFile(file).credential.guid);
    t.match(JSON.parse(again.stdout), { oldGuid: second, newGuid: third, route: 'owner-url', credentialReused: false });
    t.match((await owner.api('GET', `/devices/${third}`)).json, { state: 'onboarded', previousGuid: second });
  });
}
