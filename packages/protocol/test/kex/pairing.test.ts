// FDO 1.1 §3.6.5 "Key Exchange and FIDO Device Onboard Crypto Mapping" (also go-fdo kex/suite.go Valid).
import t from 'tap';
import type { KeyInfo } from '../../src/crypto/index.js';
import { InvalidMessageError, MessageBodyError } from '../../src/errors.js';
import {
  allowedKexSuites,
  checkKexSuite,
  kexPairing,
  KEX_SUITE_NAMES,
  type KexSuiteName,
} from '../../src/kex/index.js';

const P256: KeyInfo = { kind: 'ec', curve: 'P-256' };
const P384: KeyInfo = { kind: 'ec', curve: 'P-384' };
const RSA2048: KeyInfo = { kind: 'rsa', bits: 2048 };
const RSA3072: KeyInfo = { kind: 'rsa', bits: 3072 };

// [device, owner, suites, recommended] — the rows of the §3.6.5 table.
const TABLE: [KeyInfo, KeyInfo, KexSuiteName[], boolean][] = [
  [P256, RSA2048, ['DHKEXid14', 'ASYMKEX2048'], true],
  [P384, RSA2048, ['DHKEXid14', 'ASYMKEX2048'], false],
  [P256, RSA3072, ['DHKEXid15', 'ASYMKEX3072'], false],
  [P384, RSA3072, ['DHKEXid15', 'ASYMKEX3072'], true],
  [P256, P256, ['ECDH256'], true],
  [P384, P256, ['ECDH256'], false],
  [P256, P384, ['ECDH384'], false],
  [P384, P384, ['ECDH384'], true],
];

const label = (k: KeyInfo) => (k.kind === 'ec' ? k.curve : `RSA${k.bits}`);

t.test('every row of the table, and nothing else', async (t) => {
  for (const [device, owner, suites, recommended] of TABLE) {
    t.same(allowedKexSuites(owner), suites, `owner ${label(owner)}`);
    for (const name of KEX_SUITE_NAMES) {
      const pairing = kexPairing(name, device, owner);
      const row = `${label(device)}/${label(owner)}/${name}`;
      if (suites.includes(name)) {
        t.same(pairing, { allowed: true, recommended }, row);
        t.equal(checkKexSuite(name, device, owner).name, name);
      } else {
        t.equal(pairing.allowed, false, row);
        t.throws(() => checkKexSuite(name, device, owner), InvalidMessageError, row);
      }
    }
  }
});

t.test('the refusal names the suite, the owner key and what is allowed', async (t) => {
  const pairing = kexPairing('ASYMKEX2048', P256, P256);
  t.equal(pairing.allowed, false);
  if (!pairing.allowed) t.match(pairing.reason, /ASYMKEX2048.*ECDSA P-256 owner.*§3\.6\.5 allows ECDH256/);
});

t.test('RSA owner keys of other sizes allow nothing; RSA devices follow the owner column', async (t) => {
  t.same(allowedKexSuites({ kind: 'rsa', bits: 4096 }), []);
  t.equal(kexPairing('DHKEXid14', P256, { kind: 'rsa', bits: 4096 }).allowed, false);
  t.same(kexPairing('ECDH256', RSA2048, P256), { allowed: true, recommended: false });
});

t.test('unknown suite names are MessageBodyError', async (t) => {
  t.throws(() => checkKexSuite('ECDH', P256, P256), MessageBodyError);
});
