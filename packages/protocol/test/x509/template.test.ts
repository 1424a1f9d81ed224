// Device certificates are assembled from a DER template (issue 8): for every issuer key kind and for
// subjects needing either string type, the to-be-signed bytes must equal @peculiar/x509's, and the
// signature must verify with the issuer's key.
import { createPublicKey, verify, X509Certificate } from 'node:crypto';
import t from 'tap';
import { generateKeyPair, type KeyKind } from '../../src/crypto/index.js';
import { csrParts } from '../../src/crypto/der.js';
import {
  createCsr,
  createSelfSignedCa,
  issueCertificate,
  issueCertificateBothWays,
  verifyCsr,
  type IssueCertificateInput,
} from '../../src/x509/index.js';

/** tbsCertificate of a DER certificate: the first element inside the outer SEQUENCE. */
function tbsOf(cert: Uint8Array): Buffer {
  const b = Buffer.from(cert);
  const outerHeader = b[1]! < 0x80 ? 2 : 2 + (b[1]! & 0x7f);
  const l = b[outerHeader + 1]!;
  const header = l < 0x80 ? 2 : 2 + (l & 0x7f);
  let length = l;
  if (l >= 0x80) {
    length = 0;
    for (let i = 0; i < (l & 0x7f); i++) length = length * 256 + b[outerHeader + 2 + i]!;
  }
  return b.subarray(outerHeader, outerHeader + header + length);
}

const notBefore = new Date('2026-03-01T12:34:56.789Z');

for (const issuerKind of ['ec256', 'ec384', 'rsa2048', 'rsa3072'] as KeyKind[]) {
  t.test(`issuer ${issuerKind}: the template gives the library's bytes`, async (t) => {
    const ca = generateKeyPair(issuerKind);
    const caCert = await createSelfSignedCa({ privateKey: ca.privateKey, subject: 'CN=Device CA, O=Example Corp' });
    for (const [deviceKind, serial] of [
      ['ec256', 'SN-0001'],
      ['ec384', 'serial with_underscore & ümlaut'],
      ['rsa2048', 'x'.repeat(200)],
    ] as [KeyKind, string][]) {
      const device = generateKeyPair(deviceKind);
      const input = {
        issuer: { privateKey: ca.privateKey, certificate: caCert },
        publicKey: device.publicKey,
        subject: [{ CN: [serial] }],
        validityDays: 36500, // past 2049: GeneralizedTime for notAfter
        notBefore,
      };
      const { template, library } = await issueCertificateBothWays(input);
      t.ok(template, `${deviceKind}: the template applies`);
      t.equal(
        tbsOf(template!).toString('hex'),
        tbsOf(library).toString('hex'),
        `${deviceKind}, "${serial.slice(0, 20)}"`,
      );
      const parsed = new X509Certificate(Buffer.from(template!));
      t.ok(parsed.verify(new X509Certificate(Buffer.from(caCert)).publicKey), 'signed by the CA key');
      t.ok(parsed.checkIssued(new X509Certificate(Buffer.from(caCert))), 'issued by the CA');
    }
  });
}

t.test('what the template does not cover still goes through the library', async (t) => {
  const ca = generateKeyPair('ec256');
  const caCert = await createSelfSignedCa({ privateKey: ca.privateKey, subject: 'CN=CA' });
  const device = generateKeyPair('ec256');
  const issuer = { privateKey: ca.privateKey, certificate: caCert };
  const cases: [string, Pick<IssueCertificateInput, 'subject' | 'ca'>][] = [
    ['a CA certificate', { subject: [{ CN: ['sub CA'] }], ca: true }],
    ['a subject in text form', { subject: 'CN=device, O=Example' }],
    ['two attributes', { subject: [{ CN: ['device'], O: ['Example'] }] }],
    ['a hex value', { subject: [{ CN: ['#0c0161'] }] }],
  ];
  for (const [what, extra] of cases) {
    const { template } = await issueCertificateBothWays({ issuer, publicKey: device.publicKey, notBefore, ...extra });
    t.equal(template, undefined, what);
    const cert = await issueCertificate({ issuer, publicKey: device.publicKey, ...extra });
    t.ok(new X509Certificate(Buffer.from(cert)).verify(new X509Certificate(Buffer.from(caCert)).publicKey), what);
  }
});

t.test('CSRs are checked from their DER outline: its signed bytes verify with the requested key', async (t) => {
  for (const kind of ['ec256', 'ec384', 'rsa2048', 'rsa3072'] as KeyKind[]) {
    const { privateKey, publicKey } = generateKeyPair(kind);
    const csr = await createCsr({ privateKey, subject: [{ CN: ['SN-1'] }] });
    const parts = csrParts(csr);
    t.ok(parts, kind);
    t.same([...parts!.spki], [...publicKey.spki], `${kind}: the requested key`);
    const hash = kind === 'ec384' || kind === 'rsa3072' ? 'sha384' : 'sha256';
    t.ok(
      verify(
        hash,
        parts!.info,
        createPublicKey({ key: Buffer.from(publicKey.spki), format: 'der', type: 'spki' }),
        parts!.signature,
      ),
      `${kind}: signed bytes and signature`,
    );
    const checked = await verifyCsr(csr);
    t.equal(checked.subject, 'CN=SN-1');
  }
  t.equal(csrParts(new Uint8Array([0x30, 0x00])), undefined);
});
