/**
 * fdo.upload, fdo.wget and fdo.wifi end to end through the real drivers (fdo-sim
 * fsim-repository/fdo.upload.md, fdo.wget.md; fdo.wifi after the community draft).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { uploadOwner, wgetOwner, wifiOwner, type UploadOutcome } from '@fdo/protocol/serviceinfo';
import { uploadDevice, wgetDevice, wifiDevice } from '../../src/index.js';
import { GUID, pair } from './pair.js';

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'fdo-modules-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** An upload sink that keeps files in memory. */
function memorySink() {
  const files = new Map<string, Buffer>();
  const ends: { name: string; outcome: UploadOutcome; length: number }[] = [];
  return {
    files,
    ends,
    sink: {
      data: (f: { name: string }, chunk: Uint8Array) =>
        void files.set(f.name, Buffer.concat([files.get(f.name) ?? Buffer.alloc(0), chunk])),
      end: (f: { name: string }, o: { outcome: UploadOutcome; length: number }) =>
        void ends.push({ name: f.name, ...o }),
    },
  };
}

t.test('fdo.upload: files from the device at a 256-byte budget, SHA-384 checked by the owner', async (t) => {
  const dir = tempDir(t);
  const log = randomBytes(5000);
  writeFileSync(join(dir, 'boot.log'), log);
  writeFileSync(join(dir, 'empty'), '');
  const mem = memorySink();
  const r = await pair([uploadOwner({ files: ['boot.log', 'empty'], sink: mem.sink })], [uploadDevice({ dir })], {
    budget: 256,
  });
  t.same(mem.files.get('boot.log'), log);
  t.match(mem.ends, [
    { name: 'boot.log', outcome: 'ok', length: 5000, sha384: createHash('sha384').update(log).digest('hex') },
    { name: 'empty', outcome: 'ok', length: 0 },
  ]);
  t.match(r.owner['fdo.upload'], { phase: 'done', result: [{ outcome: 'ok', received: 5000 }, { outcome: 'ok' }] });
});

t.test('fdo.upload: a name outside the directory ends TO2 on the device', async (t) => {
  const dir = tempDir(t);
  const mem = memorySink();
  await t.rejects(pair([uploadOwner({ files: ['../../etc/passwd'], sink: mem.sink })], [uploadDevice({ dir })]), {
    code: 'ERR_FDO_INVALID_MESSAGE',
    message: /outside the upload directory/,
  });
  t.equal(mem.files.size, 0);
});

t.test('fdo.wget: the device fetches over HTTP and checks the SHA-384', async (t) => {
  const body = randomBytes(20_000);
  const server = createServer((req, res) => {
    if (req.url === '/files/agent.tar') res.end(body);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sha384 = createHash('sha384').update(body).digest();
  const dir = tempDir(t);
  writeFileSync(join(dir, 'bad.tar'), 'previous');
  const files = [
    { url: `${base}/files/agent.tar`, sha384 },
    { url: `${base}/files/agent.tar`, name: 'bad.tar', sha384: Buffer.alloc(48) },
    { url: `${base}/missing`, name: 'missing' },
    { url: `${base}/files/agent.tar`, name: '../outside.tar' },
  ];
  const r = await pair([wgetOwner({ files })], [wgetDevice({ dir })], { budget: 256 });
  t.same(readFileSync(join(dir, 'agent.tar')), body, 'the default name is the last path segment');
  t.equal(readFileSync(join(dir, 'bad.tar'), 'utf8'), 'previous', 'a mismatch leaves the old file');
  t.match(r.owner['fdo.wget']!.result, [
    { length: 20_000, error: null },
    { length: null, error: 'SHA-384 mismatch' },
    { error: 'HTTP 404' },
    { error: /outside the download directory/ },
  ]);
  t.same(readdirSync(dir).sort(), ['agent.tar', 'bad.tar'], 'no temporary files left');
});

t.test('fdo.wifi: networks are written as wpa_supplicant blocks, readable by their owner only', async (t) => {
  const dir = tempDir(t);
  const networks = [
    { networkId: 'plant-1', ssid: 'Plant "A"', auth: 'wpa2-psk', password: 's3cret pass', trustLevel: 'full-access' },
    { networkId: 'setup', ssid: 'Setup', auth: 'open', trustLevel: 'onboard-only' },
  ] as const;
  const r = await pair([wifiOwner({ networks: networks.map((n) => ({ ...n })) })], [wifiDevice({ dir })]);
  t.match(r.device['fdo.wifi'], { result: ['plant-1', 'setup'] });
  const conf = readFileSync(join(dir, 'plant-1.conf'), 'utf8');
  t.match(conf, /ssid="Plant \\"A\\""/);
  t.match(conf, /key_mgmt=WPA-PSK/);
  t.match(conf, /psk="s3cret pass"/);
  t.equal(statSync(join(dir, 'plant-1.conf')).mode & 0o777, 0o600);
  t.match(readFileSync(join(dir, 'setup.conf'), 'utf8'), /key_mgmt=NONE/);
});

t.test('fdo.wifi: a psk network without a password is refused by the owner', async (t) => {
  t.throws(
    () =>
      wifiOwner({ networks: [{ networkId: 'x', ssid: 'x', auth: 'wpa2-psk', trustLevel: 'onboard-only' }] }).produce(
        { sent: [] },
        { device: { guid: GUID, nextGuid: GUID, tags: [], devmod: {} as never }, budget: 1000 },
      ),
    { code: 'ERR_FDO_MESSAGE_BODY' },
  );
});
