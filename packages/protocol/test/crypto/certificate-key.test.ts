// publicKeyOfCertificate reads the SPKI from the certificate's DER structure (TO2 hot path, issue 8):
// it must give exactly what a full X.509 parse gives, and refuse what is not a certificate.
import { X509Certificate } from 'node:crypto';
import t from 'tap';
import { generateKeyPair, publicKeyOfCertificate, type KeyKind } from '../../src/crypto/index.js';
import { createSelfSignedCa } from '../../src/x509/index.js';

const spkiByX509 = (der: Uint8Array) =>
  new Uint8Array(new X509Certificate(Buffer.from(der)).publicKey.export({ format: 'der', type: 'spki' }));

t.test('the SPKI of certificates of every key kind, as node:crypto reads it', async (t) => {
  for (const kind of ['ec256', 'ec384', 'rsa2048'] as KeyKind[]) {
    const { privateKey, publicKey } = generateKeyPair(kind);
    const cert = await createSelfSignedCa({ privateKey, subject: `CN=${kind}` });
    const first = publicKeyOfCertificate(cert);
    t.same([...first.spki], [...spkiByX509(cert)], kind);
    t.same([...first.spki], [...publicKey.spki], `${kind}: the key the certificate was made for`);
    t.same([...publicKeyOfCertificate(new Uint8Array(cert)).spki], [...first.spki], `${kind}: again, from a copy`);
  }
});

t.test('bytes that are not a certificate are refused, not read as a key', async (t) => {
  const { privateKey } = generateKeyPair('ec256');
  const cert = await createSelfSignedCa({ privateKey, subject: 'CN=cut' });
  t.throws(() => publicKeyOfCertificate(cert.subarray(0, cert.length - 10)));
  t.throws(() => publicKeyOfCertificate(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00])));
  const broken = new Uint8Array(cert);
  // The SPKI's BIT STRING (the EC point) is the last element before the extensions; spoil its point.
  const spki = publicKeyOfCertificate(cert).spki;
  const at = Buffer.from(broken).indexOf(Buffer.from(spki));
  broken[at + spki.length - 1] = broken[at + spki.length - 1]! ^ 0xff;
  t.throws(() => publicKeyOfCertificate(broken), 'a point off the curve');
});
