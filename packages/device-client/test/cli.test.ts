/**
 * `fdo-device` argument handling (usage errors exit 2 before anything is read or sent) and
 * `fdo-device show`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { encode, formatGuid, Hash, nodeCrypto, PublicKey, toHex } from '@fdo/protocol';
import { cli, makeDevice, tempDir } from './helpers.js';

t.test('usage errors exit 2 with the reason and the usage, and touch nothing', async (t) => {
  const dir = tempDir(t);
  const device = await makeDevice(dir);
  const before = readFileSync(device.file);
  const cases: [string[], RegExp][] = [
    [['onboard'], /--credential FILE is required/],
    [['onboard', '--credential', device.file, 'extra'], /unexpected argument "extra"/],
    [['onboard', '--credential', device.file, '--skip-to1'], /--skip-to1 needs --owner URL/],
    [
      ['onboard', '--credential', device.file, '--rv', 'http://127.0.0.1:1', '--owner', 'http://127.0.0.1:2'],
      /--rv \(for TO1\) and --owner \(skipping TO1\) exclude each other/,
    ],
    [['onboard', '--credential', device.file, '--owner', 'not a url'], /--owner "not a url" is not a URL/],
    [
      ['onboard', '--credential', device.file, '--rv', 'tcp://127.0.0.1:8040'],
      /--rv "tcp:\/\/127.0.0.1:8040" is not http/,
    ],
    [['onboard', '--credential', device.file, '--kex', 'ECDH521'], /--kex must be one of ECDH256, ECDH384/],
    [['onboard', '--credential', device.file, '--cipher', 'A128CBC'], /--cipher must be one of A128GCM/],
    [['onboard', '--credential', device.file, '--bogus'], /Unknown option '--bogus'/],
    [['onboard', '--credential'], /argument missing/],
    [['show'], /show: --credential FILE is required/],
    [['show', '--credential', device.file, '--rv', 'x'], /Unknown option '--rv'/],
    [['nope'], /unknown command "nope"/],
  ];
  for (const [argv, message] of cases) {
    const r = await cli(argv);
    t.equal(r.code, 2, argv.join(' '));
    t.match(r.stderr, message, argv.join(' '));
    t.match(r.stderr, /Usage:\n.*fdo-device onboard --credential FILE/s);
    t.equal(r.stdout, '');
  }
  t.same(readFileSync(device.file), before, 'the credential file is untouched');
  const none = await cli([]);
  t.equal(none.code, 2, 'no command: usage on stderr, exit 2');
  const help = await cli(['help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /fdo-device onboard .*fdo-device show/s);
});

t.test('a missing or foreign credential file is exit 1 with what to do', async (t) => {
  const dir = tempDir(t);
  const missing = await cli(['onboard', '--credential', join(dir, 'none.cred'), '--owner', 'http://127.0.0.1:1']);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /none\.cred: cannot read/);
  t.match(missing.stderr, /next: check --credential FILE/);
});

t.test('show: GUID, RV info, device info, key type and DCPubKeyHash; never the secrets', async (t) => {
  const dir = tempDir(t);
  const device = await makeDevice(dir, { deviceKind: 'ec384', ownerKind: 'ec384' });
  const r = await cli(['show', '--credential', device.file]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, new RegExp(`^GUID +${formatGuid(device.guid)}$`, 'm'));
  t.match(r.stdout, /^RV info +1\. http:\/\/127\.0\.0\.1:8040$/m);
  t.match(r.stdout, /^device info +rv-test-device$/m);
  t.match(r.stdout, /^device key +EC P-384, SPKI SHA-256 [0-9a-f]{64}$/m);
  const mfgHash = Hash.compute(
    nodeCrypto,
    'SHA-384',
    encode(PublicKey.fromDer(device.manufacturerKey.publicKey).toCbor()),
  );
  t.match(r.stdout, new RegExp(`^owner key hash +SHA-384 ${toHex(mfgHash.value)} \\(DCPubKeyHash\\)$`, 'm'));
  t.match(r.stdout, /^HMAC secret +48 bytes$/m);
  t.notMatch(r.stdout, toHex(device.credential.hmacSecret), 'the HMAC secret is not printed');

  const json = await cli(['show', '--credential', device.file, '--json']);
  t.equal(json.code, 0);
  t.match(JSON.parse(json.stdout), {
    guid: formatGuid(device.guid),
    active: true,
    protocolVersion: 101,
    deviceKey: 'EC P-384',
    ownerKeyHash: { alg: 'SHA-384', value: toHex(mfgHash.value) },
    hmacSecretBytes: 48,
  });
});
