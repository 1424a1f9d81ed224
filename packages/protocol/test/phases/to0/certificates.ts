/**
 * A minimal X.509 v3 certificate builder for tests (RFC 5280 §4.1), on node:crypto only: enough to
 * give test devices a CA-issued certificate chain. Production issuance lives with the manufacturer.
 */
import { createPrivateKey, sign } from 'node:crypto';
import { publicKeyInfo } from '../../../src/crypto/keys.js';
import type { KeyPair } from '../../../src/crypto/index.js';

function length(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

const tlv = (tag: number, ...content: Uint8Array[]): Uint8Array => {
  const body = Buffer.concat(content);
  return Buffer.concat([Uint8Array.from([tag, ...length(body.length)]), body]);
};
const seq = (...c: Uint8Array[]) => tlv(0x30, ...c);
const set = (...c: Uint8Array[]) => tlv(0x31, ...c);

function oid(text: string): Uint8Array {
  const [a, b, ...rest] = text.split('.').map(Number);
  const out = [a! * 40 + b!];
  for (const v of rest) {
    const chunk = [v & 0x7f];
    for (let x = v >> 7; x > 0; x >>= 7) chunk.unshift(0x80 | (x & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Uint8Array.from(out));
}

/** A non-negative INTEGER, minimally encoded (DER, X.690 §8.3.2). */
function integer(n: number): Uint8Array {
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  if (bytes.length === 0 || bytes[0]! >= 0x80) bytes.unshift(0);
  return tlv(0x02, Uint8Array.from(bytes));
}
const utcTime = (d: Date) =>
  tlv(
    0x17,
    Buffer.from(
      d
        .toISOString()
        .replace(/^\d\d|[-:T]|\.\d+/g, '')
        .slice(0, 12) + 'Z',
    ),
  );
const name = (cn: string) => seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn)))));

/** signatureAlgorithm for the issuer's key: ecdsa-with-SHA256/384 or sha256/384WithRSAEncryption. */
function algorithm(issuer: KeyPair): { id: Uint8Array; hash: string } {
  const info = publicKeyInfo(issuer.publicKey);
  if (info.kind === 'ec') {
    return info.curve === 'P-256'
      ? { id: seq(oid('1.2.840.10045.4.3.2')), hash: 'sha256' }
      : { id: seq(oid('1.2.840.10045.4.3.3')), hash: 'sha384' };
  }
  return info.bits >= 3072
    ? { id: seq(oid('1.2.840.113549.1.1.12'), tlv(0x05)), hash: 'sha384' }
    : { id: seq(oid('1.2.840.113549.1.1.11'), tlv(0x05)), hash: 'sha256' };
}

let serial = 1;

export interface CertificateInput {
  subject: string;
  subjectKey: KeyPair;
  issuer: string;
  issuerKey: KeyPair;
  ca?: boolean;
  notBefore?: Date;
  notAfter?: Date;
}

/** A DER certificate for `subjectKey`, signed by `issuerKey`. */
export function issueTestCertificate(input: CertificateInput): Uint8Array {
  const alg = algorithm(input.issuerKey);
  const basicConstraints = seq(
    oid('2.5.29.19'),
    tlv(0x01, Uint8Array.of(0xff)),
    tlv(0x04, seq(...(input.ca === true ? [tlv(0x01, Uint8Array.of(0xff))] : []))),
  );
  const tbs = seq(
    tlv(0xa0, integer(2)),
    integer(serial++),
    alg.id,
    name(input.issuer),
    seq(
      utcTime(input.notBefore ?? new Date(Date.now() - 86_400_000)),
      utcTime(input.notAfter ?? new Date(Date.now() + 365 * 86_400_000)),
    ),
    name(input.subject),
    input.subjectKey.publicKey.spki,
    tlv(0xa3, seq(basicConstraints)),
  );
  const key = createPrivateKey({ key: Buffer.from(input.issuerKey.privateKey.pkcs8), format: 'der', type: 'pkcs8' });
  const signature = sign(alg.hash, tbs, key);
  return new Uint8Array(seq(tbs, alg.id, tlv(0x03, Uint8Array.of(0), signature)));
}
