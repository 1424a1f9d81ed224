// FDO KDF (FDO 1.1 §3.6.4): NIST SP 800-108 counter mode, HMAC PRF, 8-bit counter.
import t from 'tap';
import { nobleCrypto, nodeCrypto } from '../../src/crypto/index.js';
import { kdf } from '../../src/kex/index.js';

const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const utf8 = (s: string) => new TextEncoder().encode(s);
const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

for (const p of [nodeCrypto, nobleCrypto]) {
  // Known answer from go-fdo internal/nistkdf/kdf_test.go (TestKnownResult, "EC256"): a 64-byte
  // ECDH256 ShSe (32-byte X ‖ 16-byte DeviceRandom ‖ 16-byte OwnerRandom), empty ContextRand, 256 bits.
  t.test(`${p.name}: go-fdo nistkdf known result`, async (t) => {
    const shSe = hex(
      '08c9dc0cc5e9dd2558a12ae60cd00670d01a09cca52bae8a671a21e1babdb25bc21963c48b4aa77bb8ed338f0c5a15efee069ce10a09be2aacf857b8dcd9df8e',
    );
    t.equal(
      toHex(kdf(p, 'SHA-256', shSe, new Uint8Array(0), 32)),
      'e5e959c8cbdd5989c819f7ea8c69bcb3f70a442830ba235c5aa0b4047d0cda0b',
    );
  });

  // The SP 800-108 construction spelled out with the provider's HMAC: K(i) = HMAC(ShSe, [i]₈ ‖ "FIDO-KDF" ‖
  // 0x00 ‖ "AutomaticOnboardTunnel" ‖ ContextRand ‖ [L]₁₆), L in bits; output = leftmost L bits of K(1) ‖ K(2) ‖ …
  t.test(`${p.name}: hand-built SP 800-108 rounds, both PRFs, with ContextRand`, async (t) => {
    const shSe = p.randomBytes(32); // e.g. an ASYMKEX2048 DeviceRandom
    const contextRand = p.randomBytes(32); // and its OwnerRandom
    const fixed = (i: number, bits: number) =>
      concat(
        Uint8Array.of(i),
        utf8('FIDO-KDF'),
        Uint8Array.of(0),
        utf8('AutomaticOnboardTunnel'),
        contextRand,
        Uint8Array.of(bits >> 8, bits & 0xff),
      );

    // 48 bytes with HMAC-SHA256 (L = 384 = 0x0180): two rounds, the second cut to 16 bytes.
    const k1 = p.hmac('SHA-256', shSe, fixed(1, 384));
    const k2 = p.hmac('SHA-256', shSe, fixed(2, 384));
    t.equal(toHex(kdf(p, 'SHA-256', shSe, contextRand, 48)), toHex(concat(k1, k2).subarray(0, 48)));

    // 64 bytes with HMAC-SHA384 (L = 512 = 0x0200, an AES-256 CTR/CBC SEK ‖ SVK): two rounds, 48 + 16 bytes.
    const h1 = p.hmac('SHA-384', shSe, fixed(1, 512));
    const h2 = p.hmac('SHA-384', shSe, fixed(2, 512));
    t.equal(toHex(kdf(p, 'SHA-384', shSe, contextRand, 64)), toHex(concat(h1, h2).subarray(0, 64)));

    // 16 bytes (an A128GCM SEVK, L = 128 = 0x0080): one round, truncated. L is part of the input,
    // so a shorter output is not a prefix of a longer one.
    const short = kdf(p, 'SHA-256', shSe, contextRand, 16);
    t.equal(toHex(short), toHex(p.hmac('SHA-256', shSe, fixed(1, 128)).subarray(0, 16)));
    t.not(toHex(short), toHex(kdf(p, 'SHA-256', shSe, contextRand, 32).subarray(0, 16)));
  });

  t.test(`${p.name}: output lengths outside SP 800-108 limits are a caller error`, async (t) => {
    const shSe = new Uint8Array(64);
    t.throws(() => kdf(p, 'SHA-256', shSe, new Uint8Array(0), 0), RangeError);
    t.throws(() => kdf(p, 'SHA-256', shSe, new Uint8Array(0), 8192), RangeError, 'L must fit 16 bits');
    t.equal(kdf(p, 'SHA-384', shSe, new Uint8Array(0), 8191).length, 8191);
  });
}

t.test('node and noble derive the same keys', async (t) => {
  const shSe = nodeCrypto.randomBytes(144);
  for (const hash of ['SHA-256', 'SHA-384'] as const) {
    t.equal(
      toHex(kdf(nodeCrypto, hash, shSe, new Uint8Array(0), 64)),
      toHex(kdf(nobleCrypto, hash, shSe, new Uint8Array(0), 64)),
    );
  }
});
