import t from 'tap';
import { randomBytes } from 'node:crypto';
import { nobleCrypto } from '@fdo/protocol';
import { SealedTokenError, SealedTokens } from '../src/index.js';

const secret = () => new Uint8Array(randomBytes(32));
const payload = Uint8Array.from([0x83, 0x63, 0x54, 0x4f, 0x30, 0x01, 0x02]);

function reason(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof SealedTokenError) return err.reason;
    throw err;
  }
  return undefined;
}

t.test('a token sealed by one instance opens in another that shares the secret', async (t) => {
  const s = secret();
  const a = new SealedTokens([s], { context: 'rv' });
  const b = new SealedTokens([s], { context: 'rv' });
  const token = a.seal(payload, 60);
  t.match(token, /^[A-Za-z0-9_-]+$/, 'base64url: fits a header without escaping');
  t.same(b.open(token), payload);
  t.not(a.seal(payload, 60), token, 'every token is sealed under a fresh key');
  t.same(new SealedTokens([s], { context: 'rv', provider: nobleCrypto }).open(token), payload, 'provider-independent');
});

t.test('refusals name their reason', async (t) => {
  const s = secret();
  const tokens = new SealedTokens([s], { context: 'rv' });
  const token = tokens.seal(payload, 60);
  t.equal(
    reason(() => tokens.open('')),
    'malformed',
  );
  t.equal(
    reason(() => tokens.open('not a token!')),
    'malformed',
  );
  t.equal(
    reason(() => tokens.open(token.slice(0, 20))),
    'malformed',
  );
  const bytes = Buffer.from(token, 'base64url');
  for (const i of [6, 12, bytes.length - 20, bytes.length - 1]) {
    const tampered = Buffer.from(bytes);
    tampered[i]! ^= 0x01;
    t.equal(
      reason(() => tokens.open(tampered.toString('base64url'))),
      'forged',
      `byte ${i} altered`,
    );
  }
  const idAltered = Buffer.from(bytes);
  idAltered[1]! ^= 0x01;
  t.equal(
    reason(() => tokens.open(idAltered.toString('base64url'))),
    'unknown-key',
  );
  t.equal(
    reason(() => new SealedTokens([secret()], { context: 'rv' }).open(token)),
    'unknown-key',
    'another secret',
  );
  t.equal(
    reason(() => new SealedTokens([s], { context: 'owner' }).open(token)),
    'unknown-key',
    'another context',
  );
});

t.test('tokens expire', async (t) => {
  let now = Date.now();
  const tokens = new SealedTokens([secret()], { context: 'rv', now: () => now });
  const token = tokens.seal(payload, 30);
  now += 29_000;
  t.same(tokens.open(token), payload);
  now += 2_000;
  t.equal(
    reason(() => tokens.open(token)),
    'expired',
  );
  t.throws(() => tokens.open(token), /^the token expired at \d{4}-/);
  t.throws(() => tokens.seal(payload, 0), RangeError);
});

t.test('rotation: the first secret seals, every secret opens', async (t) => {
  const old = secret();
  const next = secret();
  const before = new SealedTokens([old], { context: 'rv' });
  const during = new SealedTokens([next, old], { context: 'rv' });
  const after = new SealedTokens([next], { context: 'rv' });
  const oldToken = before.seal(payload, 60);
  const newToken = during.seal(payload, 60);
  t.same(during.open(oldToken), payload, 'tokens from before the rotation still open');
  t.same(after.open(newToken), payload, 'tokens sealed during the rotation use the new secret');
  t.equal(
    reason(() => after.open(oldToken)),
    'unknown-key',
  );
  t.not(before.currentKeyId, during.currentKeyId);
  t.throws(() => new SealedTokens([new Uint8Array(16)], { context: 'rv' }), /needs 32 or more/);
  t.throws(() => new SealedTokens([], { context: 'rv' }), /at least one secret/);
});
