import { X509Certificate } from 'node:crypto';
import t from 'tap';
import { equal } from '../../src/cbor/bytes.js';
import { generateKeyPair, publicKeyInfo, type KeyKind } from '../../src/crypto/keys.js';
import { InvalidMessageError, MessageBodyError } from '../../src/errors.js';
import { PkType } from '../../src/types/public-key.js';
import {
  certificatesFromPem,
  certificatesToPem,
  createCsr,
  createSelfSignedCa,
  describeCertificate,
  fingerprint,
  issueCertificate,
  keyMatchesPkType,
  verifyCertificateChain,
  verifyCsr,
} from '../../src/x509/index.js';

const PK_TYPE: Record<KeyKind, PkType> = {
  ec256: PkType.SECP256R1,
  ec384: PkType.SECP384R1,
  rsa2048: PkType.RSA2048RESTR,
  rsa3072: PkType.RSAPKCS,
};

const caKey = generateKeyPair('ec384');
const caCert = await createSelfSignedCa({ privateKey: caKey.privateKey, subject: 'CN=Test Device CA, O=Acme' });

t.test('RFC 5280: a self-signed CA certificate, read back by OpenSSL', async (t) => {
  const cert = new X509Certificate(caCert);
  t.equal(cert.ca, true);
  t.match(cert.subject, /CN=Test Device CA/);
  t.ok(cert.checkIssued(cert), 'self-issued');
  t.ok(cert.verify(cert.publicKey), 'self-signed');
  const summary = describeCertificate(caCert);
  t.equal(summary.ca, true);
  t.ok(equal(summary.publicKey.spki, caKey.publicKey.spki));
  t.ok(summary.notBefore.getTime() < Date.now(), 'back-dated');
});

for (const kind of ['ec256', 'ec384', 'rsa2048', 'rsa3072'] as const) {
  t.test(`RFC 2986: a ${kind} device CSR verifies, and the CA issues a certificate for its key`, async (t) => {
    const device = generateKeyPair(kind);
    const csr = await createCsr({ privateKey: device.privateKey, subject: [{ CN: ['SN-0001'] }] });
    const verified = await verifyCsr(csr, PK_TYPE[kind]);
    t.ok(equal(verified.publicKey.spki, device.publicKey.spki), 'the requested key is the device key');
    t.equal(verified.subject, 'CN=SN-0001');
    t.same(verified.info, publicKeyInfo(device.publicKey));

    const leaf = await issueCertificate({
      issuer: { privateKey: caKey.privateKey, certificate: caCert },
      publicKey: verified.publicKey,
      subject: [{ CN: ['SN-0001'] }],
    });
    const cert = new X509Certificate(leaf);
    t.equal(cert.ca, false);
    t.ok(cert.checkIssued(new X509Certificate(caCert)));
    t.ok(cert.verify(new X509Certificate(caCert).publicKey), 'OpenSSL verifies the issuer signature');
    t.ok(equal(describeCertificate(leaf).publicKey.spki, device.publicKey.spki));
    t.same(await verifyCertificateChain([leaf, caCert], caCert), { valid: true });
    t.same(await verifyCertificateChain([leaf], caCert), { valid: true });
  });
}

t.test('a CSR whose key is not the claimed pkType is refused (code 101)', async (t) => {
  const device = generateKeyPair('ec256');
  const csr = await createCsr({ privateKey: device.privateKey, subject: 'CN=x' });
  for (const claimed of [PkType.SECP384R1, PkType.RSAPKCS, PkType.RSA2048RESTR]) {
    await t.rejects(verifyCsr(csr, claimed), InvalidMessageError);
  }
  await t.rejects(verifyCsr(csr, PkType.SECP384R1), { message: /EC P-256.*SECP384R1/ });
});

// Found by the long DI.AppStart fuzz run: the library parses the key's algorithm parameters lazily,
// and a curve OID under another tag made it throw a bare error (error 500 at the manufacturer).
t.test('a CSR whose key parameters do not parse is refused (code 100)', async (t) => {
  const device = generateKeyPair('ec256');
  const csr = Buffer.from(await createCsr({ privateKey: device.privateKey, subject: 'CN=x' }));
  const curveOid = Buffer.from('06082a8648ce3d030107', 'hex'); // prime256v1
  const at = csr.indexOf(curveOid);
  t.ok(at > 0);
  for (const tag of [0x16, 0xc0]) {
    const bad = Uint8Array.from(csr);
    bad[at] = tag;
    await t.rejects(verifyCsr(bad), { name: 'MessageBodyError', message: /CSR: the requested key does not parse/ });
  }
});

t.test('a CSR with a broken self-signature is refused (code 101)', async (t) => {
  const device = generateKeyPair('ec256');
  const csr = await createCsr({ privateKey: device.privateKey, subject: 'CN=x' });
  const bad = Uint8Array.from(csr);
  bad[bad.length - 5]! ^= 0x01; // inside the signature value
  await t.rejects(verifyCsr(bad, PkType.SECP256R1), InvalidMessageError);
  // A CSR for one key signed by another: build it with a mismatched public key.
  const other = generateKeyPair('ec256');
  const forged = await createCsr({ privateKey: other.privateKey, publicKey: device.publicKey, subject: 'CN=x' });
  await t.rejects(verifyCsr(forged, PkType.SECP256R1), { message: /does not verify/ });
});

t.test('bytes that are not one DER request are a message body error (code 100)', async (t) => {
  const device = generateKeyPair('ec256');
  const csr = await createCsr({ privateKey: device.privateKey, subject: 'CN=x' });
  await t.rejects(verifyCsr(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00])), MessageBodyError);
  await t.rejects(verifyCsr(new Uint8Array(0)), MessageBodyError);
  await t.rejects(verifyCsr(csr.subarray(0, csr.length - 3)), MessageBodyError);
  const trailing = new Uint8Array(csr.length + 2);
  trailing.set(csr);
  await t.rejects(verifyCsr(trailing), { message: /2 bytes after/ });
  await t.rejects(verifyCsr(caCert), MessageBodyError, 'a certificate is not a request');
});

t.test('keyMatchesPkType follows FDO 1.1 §3.3.4', async (t) => {
  t.ok(keyMatchesPkType(PkType.RSAPKCS, { kind: 'rsa', bits: 2048 }));
  t.ok(keyMatchesPkType(PkType.RSAPSS, { kind: 'rsa', bits: 3072 }));
  t.notOk(keyMatchesPkType(PkType.RSA2048RESTR, { kind: 'rsa', bits: 3072 }));
  t.notOk(keyMatchesPkType(PkType.RSAPKCS, { kind: 'rsa', bits: 4096 }));
  t.notOk(keyMatchesPkType(PkType.SECP256R1, { kind: 'rsa', bits: 2048 }));
});

t.test('chains: PEM round trip, fingerprints, and the failing link is named', async (t) => {
  const device = generateKeyPair('ec256');
  const leaf = await issueCertificate({
    issuer: { privateKey: caKey.privateKey, certificate: caCert },
    publicKey: device.publicKey,
    subject: 'CN=leaf',
  });
  const pem = certificatesToPem([leaf, caCert]);
  t.match(pem, /^-----BEGIN CERTIFICATE-----\n/);
  const back = certificatesFromPem(`junk\n${pem}-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n`);
  t.equal(back.length, 2);
  t.ok(equal(back[0]!, leaf) && equal(back[1]!, caCert));
  t.equal(fingerprint(leaf), new X509Certificate(leaf).fingerprint256.replace(/:/g, '').toLowerCase());
  t.equal(fingerprint(leaf, 'SHA-384').length, 96);

  const otherKey = generateKeyPair('ec256');
  const otherCa = await createSelfSignedCa({ privateKey: otherKey.privateKey, subject: 'CN=Other CA' });
  const check = await verifyCertificateChain([leaf], otherCa);
  t.equal(check.valid, false);
  t.match(check.valid ? '' : check.reason, /certificate 0 \(CN=leaf\) is not signed by CN=Other CA/);
  const expired = await verifyCertificateChain([leaf, caCert], caCert, new Date(Date.now() + 20 * 365 * 86400e3));
  t.match(expired.valid ? '' : expired.reason, /not valid at/);
  t.equal((await verifyCertificateChain([], caCert)).valid, false);
  t.equal((await verifyCertificateChain([new Uint8Array([1, 2])], caCert)).valid, false);
});

t.test('an intermediate CA issued by the root chains through', async (t) => {
  const midKey = generateKeyPair('rsa2048');
  const mid = await issueCertificate({
    issuer: { privateKey: caKey.privateKey, certificate: caCert },
    publicKey: midKey.publicKey,
    subject: 'CN=Line 7 CA',
    ca: true,
  });
  t.equal(describeCertificate(mid).ca, true);
  const device = generateKeyPair('ec384');
  const leaf = await issueCertificate({
    issuer: { privateKey: midKey.privateKey, certificate: mid },
    publicKey: device.publicKey,
    subject: 'CN=dev',
  });
  t.same(await verifyCertificateChain([leaf, mid, caCert], caCert), { valid: true });
  t.same(await verifyCertificateChain([leaf, mid], caCert), { valid: true });
  t.equal((await verifyCertificateChain([leaf, caCert], caCert)).valid, false, 'a skipped link fails');
});
