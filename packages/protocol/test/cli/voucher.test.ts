import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { toHex } from '../../src/cbor/index.js';
import { generateKeyPair, pemBlocks, privateKeyToPem, publicKeyToPem, toPem } from '../../src/crypto/index.js';
import { readFdoRsCredential } from '../../src/types/device-credential.js';
import { PublicKey } from '../../src/types/public-key.js';
import { nodeIo, runVoucherCli, type CliIo } from '../../src/cli/voucher.js';
import { OwnershipVoucher, readVoucherPem, verifyVoucher } from '../../src/voucher/index.js';
import { nodeCrypto } from '../../src/crypto/index.js';

const vectors = new URL('../../../../../shared/interop/go-fdo/', import.meta.url);
const file = (f: string) => new URL(f, vectors).pathname;
const secretHex = toHex(readFdoRsCredential(new Uint8Array(readFileSync(file('dc.bin')))).credential.hmacSecret);
const dir = mkdtempSync(join(tmpdir(), 'fdo-voucher-cli-'));

function run(...argv: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const io: CliIo = { ...nodeIo, stdout: (s) => void (out += s), stderr: (s) => void (err += s) };
  const code = runVoucherCli(argv, io);
  return { code, out, err };
}

/** ov_extended.pem with one bit flipped inside entry 2's signature. */
function tamperedFile(): string {
  const der = pemBlocks(readFileSync(file('ov_extended.pem'), 'utf8'))[0]!.der;
  const ov = OwnershipVoucher.decode(der);
  const bytes = Buffer.from(der);
  bytes[bytes.indexOf(Buffer.from(ov.entries[2]!.sign1.signature)) + 5]! ^= 1;
  const path = join(dir, 'tampered.pem');
  writeFileSync(path, toPem('OWNERSHIP VOUCHER', bytes));
  return path;
}

t.test('inspect prints the summary', async (t) => {
  const r = run('inspect', file('ov.pem'));
  t.equal(r.code, 0, r.err);
  t.match(r.out, /GUID:\s+66b2146f-fec5-3ca6-ad01-7625990572ce/);
  t.match(r.out, /Protocol version:\s+101/);
  t.match(r.out, /Device info:\s+"go\.fdo\.example"/);
  t.match(r.out, /Manufacturer key:\s+SECP384R1, X509 \(EC P-384\), SHA256:[0-9a-f]{64}/);
  t.match(r.out, /\[1\] http:\/\/fdo\.example\.com:8082/);
  t.match(r.out, /Header HMAC:\s+HMAC-SHA384/);
  t.match(r.out, /Device cert chain:\s+2 certificates, SHA-384 [0-9a-f]{96}/);
  t.match(r.out, /Entries:\s+0/);
  t.match(r.out, /Current owner:\s+SECP384R1/);
  const x = run('inspect', file('ov_extended.pem'));
  t.equal(x.code, 0);
  t.match(x.out, /\[5\] signed RS256, hash SHA-256; next owner RSA2048RESTR, X509 \(RSA 2048\)/);
  t.match(x.out, /Device cert chain:\s+3 certificates/);
});

t.test('verify: OK, HMAC with --secret, failures name what failed', async (t) => {
  const ok = run('verify', file('ov_extended.pem'));
  t.equal(ok.code, 0, ok.err);
  t.match(ok.out, /^OK .*6 entries verified \(SHA-256\), header HMAC not checked/);
  const withSecret = run('verify', file('ov.pem'), '--secret', secretHex);
  t.equal(withSecret.code, 0, withSecret.err);
  t.match(withSecret.out, /header HMAC checked/);
  const wrong = run('verify', file('ov.pem'), '--secret', '00'.repeat(32));
  t.equal(wrong.code, 1);
  t.match(wrong.err, /FAIL .*header HMAC does not match the device secret/);
  const tampered = run('verify', tamperedFile());
  t.equal(tampered.code, 1);
  t.match(tampered.err, /entry 2: signature does not verify with the key of entry 1/);
  const garbage = join(dir, 'garbage.bin');
  writeFileSync(garbage, Buffer.from([0x82, 0x01]));
  const g = run('verify', garbage);
  t.equal(g.code, 1);
  t.match(g.err, /error: malformed CBOR/);
  t.equal(run('verify', join(dir, 'missing.pem')).code, 1);
});

t.test('extend ov.pem with mfg_key.pem to a new owner', async (t) => {
  const next = generateKeyPair('ec384');
  const to = join(dir, 'next.pub.pem');
  writeFileSync(to, publicKeyToPem(next.publicKey));
  const r = run('extend', file('ov.pem'), '--owner-key', file('mfg_key.pem'), '--to', to);
  t.equal(r.code, 0, r.err);
  const ov = readVoucherPem(r.out).vouchers[0]!;
  t.equal(ov.entries.length, 1);
  t.ok(verifyVoucher(nodeCrypto, ov).ownerPublicKey.sameKey(PublicKey.fromDer(next.publicKey)));

  // --out, then extend again using the key appended to the voucher file.
  const out = join(dir, 'extended.pem');
  t.equal(run('extend', file('ov.pem'), '--owner-key', file('mfg_key.pem'), '--to', to, '--out', out).code, 0);
  const withKey = join(dir, 'with-key.pem');
  writeFileSync(withKey, readFileSync(out, 'utf8') + privateKeyToPem(next.privateKey));
  const third = generateKeyPair('ec384');
  writeFileSync(to, publicKeyToPem(third.publicKey));
  const again = run('extend', withKey, '--to', to);
  t.equal(again.code, 0, again.err);
  t.equal(readVoucherPem(again.out).vouchers[0]!.entries.length, 2);
  t.equal(run('verify', withKey).code, 0);

  // A key of another type is refused unless allowed.
  writeFileSync(to, publicKeyToPem(generateKeyPair('ec256').publicKey));
  const mixed = run('extend', file('ov.pem'), '--owner-key', file('mfg_key.pem'), '--to', to);
  t.equal(mixed.code, 1);
  t.match(mixed.err, /differs from the manufacturer key type/);
  t.equal(
    run('extend', file('ov.pem'), '--owner-key', file('mfg_key.pem'), '--to', to, '--allow-mixed-key-types').code,
    0,
  );
  // Wrong signer, tampered input.
  const wrongKey = join(dir, 'wrong.pem');
  writeFileSync(wrongKey, privateKeyToPem(generateKeyPair('ec384').privateKey));
  const wrong = run('extend', file('ov.pem'), '--owner-key', wrongKey, '--to', to, '--allow-mixed-key-types');
  t.equal(wrong.code, 1);
  t.match(wrong.err, /signing key is not the current owner key/);
  const bad = run('extend', tamperedFile(), '--owner-key', wrongKey, '--to', to);
  t.equal(bad.code, 1);
  t.match(bad.err, /entry 2: signature does not verify/);
});

t.test('usage errors exit 2 with the usage text', async (t) => {
  for (const argv of [[], ['inspect'], ['frobnicate', 'x'], ['verify', 'x', '--nope'], ['extend', file('ov.pem')]]) {
    const r = run(...argv);
    t.equal(r.code, 2, argv.join(' '));
    t.match(r.err, /Usage:/);
  }
  t.equal(run('verify', file('ov.pem'), '--secret', 'xyz').code, 2);
  const noKey = run('extend', file('ov.pem'), '--to', file('mfg_key.pem'));
  t.equal(noKey.code, 2);
  t.match(noKey.err, /--owner-key PEM is required/);
  const help = run('--help');
  t.equal(help.code, 0);
  t.match(help.out, /fdo-voucher inspect FILE/);
});
