/**
 * fdo.csr end to end through the real drivers (fdo-sim fsim-repository/fdo.csr.md): the device makes
 * its key, the owner issues from its CA, the device stores key (0600), certificate and CA; a second
 * run re-enrolls with a new key; bad requests get fdo.csr:error 1.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { generateKeyPair, privateKeyFromPem, publicKeyOf } from '@fdo/protocol';
import { Csr, CsrError, csrOwner, encodeCsrPayload, type DeviceServiceInfoModule } from '@fdo/protocol/serviceinfo';
import {
  certificatesFromPem,
  createCsr,
  createSelfSignedCa,
  describeCertificate,
  verifyCertificateChain,
} from '@fdo/protocol/x509';
import { CSR_FILES, csrDevice } from '../../src/index.js';
import { GUID, pair } from './pair.js';

const caKey = generateKeyPair('ec384');
const caCert = await createSelfSignedCa({ privateKey: caKey.privateKey, subject: 'CN=Owner Issuing CA, O=Example' });
const owner = (extra: Partial<Parameters<typeof csrOwner>[0]> = {}) =>
  csrOwner({ issuer: { privateKey: caKey.privateKey, certificate: caCert }, ...extra });

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'fdo-csr-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const stored = (dir: string) => ({
  key: privateKeyFromPem(readFileSync(join(dir, CSR_FILES.key), 'utf8')),
  cert: certificatesFromPem(readFileSync(join(dir, CSR_FILES.cert), 'utf8'))[0]!,
  ca: certificatesFromPem(readFileSync(join(dir, CSR_FILES.ca), 'utf8')),
});

t.test('enrollment at a 256-byte budget, then re-enrollment with a new key', async (t) => {
  const dir = tempDir(t);
  const first = await pair([owner()], [csrDevice({ dir })], { budget: 256 });
  t.match(first.device['fdo.csr'], { active: true, result: { request: 'enroll', error: null } });
  t.match(first.owner['fdo.csr'], { phase: 'done', result: { issued: [{ kind: 'enroll', subject: `CN=${GUID}` }] } });
  const one = stored(dir);
  t.equal(statSync(join(dir, CSR_FILES.key)).mode & 0o777, 0o600, 'the key is readable by its owner only');
  t.same(one.ca, [caCert]);
  const cert = describeCertificate(one.cert);
  t.same(
    Buffer.from(cert.publicKey.spki),
    Buffer.from(publicKeyOf(one.key).spki),
    'issued for the key the device made',
  );
  t.same(await verifyCertificateChain([one.cert], caCert), { valid: true });

  const second = await pair([owner()], [csrDevice({ dir })], { budget: 256 });
  t.match(second.device['fdo.csr'], { result: { request: 'reenroll', error: null } });
  t.match(second.owner['fdo.csr'], { result: { issued: [{ kind: 'reenroll' }] } });
  const two = stored(dir);
  t.not(describeCertificate(two.cert).serialNumber, cert.serialNumber, 'a new certificate');
  t.notSame(Buffer.from(publicKeyOf(two.key).spki), Buffer.from(publicKeyOf(one.key).spki), 'rekeyed');
  t.equal(describeCertificate(two.cert).subject, cert.subject, 'same subject');
});

t.test('a key type the owner does not accept: error 1 (bad request), nothing stored', async (t) => {
  const dir = tempDir(t);
  const r = await pair([owner({ keyTypes: ['ec256'] })], [csrDevice({ dir, keyType: 'ec384' })]);
  t.match(r.device['fdo.csr'], { result: { request: 'enroll', error: CsrError.badRequest, serialNumber: null } });
  t.match(r.owner['fdo.csr'], { result: { issued: [], refused: [{ request: Csr.simpleenrollReq, error: 1 }] } });
  t.notOk(existsSync(join(dir, CSR_FILES.key)));
  t.notOk(existsSync(join(dir, CSR_FILES.cert)));
});

/** A device that sends a CSR as given (a broken or hostile one) and records the owner's answers. */
function rawDevice(csr: Uint8Array, answers: [string, unknown][]): DeviceServiceInfoModule {
  return {
    name: Csr.module,
    activate: (active) => (active ? [{ message: Csr.simpleenrollReq, value: encodeCsrPayload(csr) }] : []),
    receive: (message, value) => void answers.push([message, value]),
  };
}

t.test('a CSR whose signature does not verify, or that is not a CSR: error 1', async (t) => {
  const key = generateKeyPair('ec256');
  const good = await createCsr({ privateKey: key.privateKey, subject: 'CN=x' });
  const tampered = Uint8Array.from(good);
  const at = tampered.length - 5; // inside the signature
  tampered[at] = tampered[at]! ^ 0x01;
  for (const [what, csr] of [
    ['bad signature', tampered],
    ['not DER', new Uint8Array([1, 2, 3])],
  ] as const) {
    const answers: [string, unknown][] = [];
    const r = await pair([owner()], [rawDevice(csr, answers)]);
    t.same(answers, [[Csr.error, CsrError.badRequest]], what);
    t.match(r.owner['fdo.csr'], { result: { issued: [] } });
  }
});

t.test('an owner policy that refuses the device: error 2 (unauthorized)', async (t) => {
  const dir = tempDir(t);
  const r = await pair([owner({ authorize: (device) => device.tags.includes('trusted') })], [csrDevice({ dir })]);
  t.match(r.device['fdo.csr'], { result: { error: CsrError.unauthorized } });
  const ok = await pair([owner({ authorize: (device) => device.tags.includes('trusted') })], [csrDevice({ dir })], {
    tags: ['trusted'],
  });
  t.match(ok.device['fdo.csr'], { result: { error: null, request: 'enroll' } });
});
