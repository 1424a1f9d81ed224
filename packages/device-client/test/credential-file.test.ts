import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import {
  decode,
  DeviceCredential,
  encode,
  equal,
  generateKeyPair,
  Hash,
  nodeCrypto,
  RendezvousInfo,
  type PrivateKeyDer,
} from '@fdo/protocol';
import {
  CREDENTIAL_FILE_MAGIC,
  CredentialFileError,
  decodeCredentialFile,
  encodeCredentialFile,
  readCredentialFile,
  writeCredentialFile,
} from '../src/credential-file.js';

const dir = mkdtempSync(join(tmpdir(), 'fdo-cred-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function sample(): { credential: DeviceCredential; privateKey: PrivateKeyDer } {
  return {
    credential: new DeviceCredential({
      active: true,
      protVer: 101,
      hmacSecret: nodeCrypto.randomBytes(32),
      deviceInfo: 'model',
      guid: nodeCrypto.randomBytes(16),
      rvInfo: RendezvousInfo.fromUrls('http://127.0.0.1:8040'),
      pubKeyHash: Hash.compute(nodeCrypto, 'SHA-256', new Uint8Array([1, 2, 3])),
    }),
    privateKey: generateKeyPair('ec256').privateKey,
  };
}

t.test('the file is [magic, version 1, DeviceCredential (§3.4.1), PKCS#8 key] and round trips', async (t) => {
  const file = sample();
  const bytes = encodeCredentialFile(file);
  const items = decode(bytes) as unknown[];
  t.equal(items[0], CREDENTIAL_FILE_MAGIC);
  t.equal(items[1], 1);
  t.equal((items[2] as unknown[]).length, 7, 'the spec DeviceCredential array');
  const back = decodeCredentialFile(bytes);
  t.ok(equal(back.credential.encode(), file.credential.encode()));
  t.ok(equal(back.privateKey.pkcs8, file.privateKey.pkcs8));
});

t.test('written atomically, mode 0600, and never over an existing file without force', async (t) => {
  const path = join(dir, 'device.cred');
  const first = sample();
  writeCredentialFile(path, first);
  t.equal(statSync(path).mode & 0o777, 0o600);
  t.ok(equal(readCredentialFile(path).credential.guid, first.credential.guid));
  t.throws(() => writeCredentialFile(path, sample()), {
    code: 'EXISTS',
    message: /already holds a credential; use --force/,
  });
  t.ok(equal(readCredentialFile(path).credential.guid, first.credential.guid), 'the first credential is intact');
  const second = sample();
  writeCredentialFile(path, second, { force: true });
  t.ok(equal(readCredentialFile(path).credential.guid, second.credential.guid));
  t.equal(statSync(path).mode & 0o777, 0o600);
  t.same(
    readdirSync(dir).filter((f) => f.endsWith('.tmp')),
    [],
    'no temporary file left behind',
  );
});

t.test('unreadable or foreign files are refused with a reason', async (t) => {
  t.throws(() => readCredentialFile(join(dir, 'nope')), { code: 'UNREADABLE' });
  const foreign = join(dir, 'foreign');
  writeFileSync(foreign, new Uint8Array([0x82, 0x01, 0x02]));
  t.throws(() => readCredentialFile(foreign), CredentialFileError);
  t.throws(() => readCredentialFile(foreign), { code: 'INVALID', message: /not an FDO device credential file/ });
  const bytes = decode(encodeCredentialFile(sample())) as unknown[];
  bytes[1] = 2;
  t.throws(() => decodeCredentialFile(encode(bytes)), { message: /format version 2 is not supported/ });
  t.ok(readFileSync(foreign).length > 0);
});
