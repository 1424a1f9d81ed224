/**
 * Protocol benchmarks: `npm run bench -w packages/protocol`.
 * Prints ops/s for voucher verification, COSE_Sign1 sign/verify on both crypto providers, each key
 * exchange (both roles and the KDF), and CBOR encode/decode of a voucher. BENCH_SECONDS sets the time
 * per figure (default 1); BENCH_JSON=path also writes the figures as JSON.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { decode, encode } from '../src/cbor/index.js';
import { CoseSign1, signatureAlgorithmByName } from '../src/cose/index.js';
import { generateKeyPair, nobleCrypto, nodeCrypto, type CryptoProvider, type KeyKind } from '../src/crypto/index.js';
import { beginOwner, finishOwner, kdf, KEX_SUITE_NAMES, respondDevice } from '../src/kex/index.js';
import { OVHeader, PkEnc, PublicKey } from '../src/types/index.js';
import { extendVoucher, OwnershipVoucher, readVoucherPem, verifyVoucher } from '../src/voucher/index.js';
import { bench, printTable, type BenchResult } from './harness.js';

const all: Record<string, BenchResult[]> = {};
const section = (title: string, results: BenchResult[]) => {
  all[title] = results;
  printTable(title, results);
};

console.log(
  `FDO protocol benchmarks: node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores`,
);

// --- COSE_Sign1 sign and verify, both providers ---------------------------------------------------
const payload = new Uint8Array(256).fill(7);
const signing: [KeyKind, 'ES256' | 'ES384' | 'RS256' | 'PS256'][] = [
  ['ec256', 'ES256'],
  ['ec384', 'ES384'],
  ['rsa2048', 'RS256'],
  ['rsa2048', 'PS256'],
];
const providers: CryptoProvider[] = [nodeCrypto, nobleCrypto];
const coseResults: BenchResult[] = [];
for (const [kind, name] of signing) {
  const keys = generateKeyPair(kind);
  const alg = signatureAlgorithmByName(name);
  for (const p of providers) {
    if (p === nobleCrypto && kind.startsWith('rsa')) continue; // noble delegates RSA to node:crypto
    const signed = CoseSign1.sign(p, { alg, key: keys.privateKey, payload });
    coseResults.push(
      bench(`${name} sign (${p.name})`, () => CoseSign1.sign(p, { alg, key: keys.privateKey, payload })),
    );
    coseResults.push(bench(`${name} verify (${p.name})`, () => signed.verify(p, keys.publicKey)));
  }
}
section('COSE_Sign1 (256-byte payload)', coseResults);

// --- Key exchange: owner begin + device respond + owner finish + KDF ------------------------------
const kexResults: BenchResult[] = [];
const rsaOwner = { 2048: generateKeyPair('rsa2048'), 3072: generateKeyPair('rsa3072') };
for (const suite of KEX_SUITE_NAMES) {
  const owner = suite === 'ASYMKEX3072' ? rsaOwner[3072] : rsaOwner[2048];
  const seconds = suite.startsWith('DHKEX') || suite === 'ASYMKEX3072' ? 2 : undefined;
  kexResults.push(
    bench(
      `${suite} full exchange + KDF (node)`,
      () => {
        const { xA, state } = beginOwner(nodeCrypto, suite);
        const device = respondDevice(nodeCrypto, suite, xA, owner.publicKey);
        const o = finishOwner(nodeCrypto, state, device.xB, owner.privateKey);
        kdf(nodeCrypto, 'SHA-256', o.shSe, o.contextRand, 32);
      },
      seconds,
    ),
  );
}
section('Key exchange (both roles)', kexResults);

// --- Vouchers --------------------------------------------------------------------------------------
const interop = new URL('../../../../shared/interop/go-fdo/', import.meta.url);
const ovExtendedPem = readFileSync(new URL('ov_extended.pem', interop), 'utf8');
const ovExtended = readVoucherPem(ovExtendedPem).vouchers[0]!;
const ovBytes = ovExtended.encode();

// A synthetic P-256 voucher with three entries (manufacturer → distributor → reseller → owner).
const mfg = generateKeyPair('ec256');
const base = readVoucherPem(readFileSync(new URL('ov.pem', interop), 'utf8')).vouchers[0]!;
const h = base.header;
let synthetic = OwnershipVoucher.create({
  header: OVHeader.create({
    guid: h.guid,
    rvInfo: h.rvInfo,
    deviceInfo: h.deviceInfo,
    publicKey: PublicKey.fromDer(mfg.publicKey, PkEnc.X509),
    certChainHash: h.certChainHash,
  }),
  hmac: base.hmac,
  certChain: base.certChain,
});
let signer = mfg.privateKey;
for (let i = 0; i < 3; i++) {
  const next = generateKeyPair('ec256');
  synthetic = extendVoucher(nodeCrypto, synthetic, signer, PublicKey.fromDer(next.publicKey));
  signer = next.privateKey;
}

section('Ownership voucher', [
  bench(`verify ov_extended.pem (6 RS256 entries, node)`, () => verifyVoucher(nodeCrypto, ovExtended)),
  bench(`verify 3-entry P-256 voucher (node)`, () => verifyVoucher(nodeCrypto, synthetic)),
  bench(`verify 3-entry P-256 voucher (noble)`, () => verifyVoucher(nobleCrypto, synthetic)),
  bench(`extend P-256 voucher by one entry (node)`, () =>
    extendVoucher(nodeCrypto, synthetic, signer, PublicKey.fromDer(mfg.publicKey)),
  ),
  bench(`CBOR decode ov_extended (${ovBytes.length} B)`, () => decode(ovBytes)),
  bench(`CBOR encode ov_extended (${ovBytes.length} B)`, () => encode(decode(ovBytes))),
  bench(`OwnershipVoucher.decode ov_extended`, () => OwnershipVoucher.decode(ovBytes)),
]);

if (process.env.BENCH_JSON) {
  writeFileSync(
    process.env.BENCH_JSON,
    JSON.stringify({ node: process.version, cpu: cpus()[0]?.model, results: all }, null, 2),
  );
  console.log(`\nfigures written to ${process.env.BENCH_JSON}`);
}
