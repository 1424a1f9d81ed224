/**
 * TO2 sessions in sealed tokens with a version fence (phases/to2/sessions.ts): every token is claimed
 * at most once, an ended session's tokens are refused, and a state too large for a token is kept in the
 * fence's row.
 */
import t from 'tap';
import { nodeCrypto } from '../../../src/crypto/index.js';
import { ErrorCode } from '../../../src/errors.js';
import {
  MAX_TOKEN_STATE,
  openTo2Token,
  runTO2,
  SealedTo2Sessions,
  to2Responder,
  type To2OwnerSession,
} from '../../../src/phases/index.js';
import { newOwnerServiceInfoState } from '../../../src/serviceinfo/owner-driver.js';
import { LoopbackTransport, makeDevice, MemorySealer } from '../to0/fixtures.js';
import { MemoryFence, MemoryOwner } from './fixtures.js';

function session(step: number, extra: Partial<To2OwnerSession> = {}): To2OwnerSession {
  return {
    v: 1,
    step,
    guid: '00112233445566778899aabbccddeeff',
    nonceTO2ProveOV: '00'.repeat(16),
    nonceTO2ProveDv: '11'.repeat(16),
    nonceTO2SetupDv: null,
    kex: { suite: 'ECDH256', xA: 'bb', secret: 'aa' },
    cipherSuite: 1,
    maxDeviceMessageSize: 0xffff,
    maxOwnerMessageSize: 0xffff,
    maxOwnerServiceInfoSz: null,
    maxDeviceServiceInfoSz: 1300,
    numEntries: 1,
    nextEntry: 0,
    keys: null,
    ctr: null,
    replacement: null,
    replacementHmac: null,
    serviceInfo: newOwnerServiceInfoState(),
    tags: [],
    startedAt: 1,
    expiresAt: Date.now() + 60_000,
    ...extra,
  };
}

function sessions() {
  const fence = new MemoryFence();
  const sealer = new MemorySealer();
  return { fence, sealer, sessions: new SealedTo2Sessions({ sealer, fence, crypto: nodeCrypto, ttlSeconds: 60 }) };
}

t.test('each token is claimed once; the next message needs the token that answered the last', async (t) => {
  const { fence, sealer, sessions: s } = sessions();
  const first = await s.create(session(64));
  const opened = openTo2Token(sealer, first);
  t.equal(opened.version, 1);
  t.equal(opened.session?.step, 64, 'the state rides in the token');
  t.equal(fence.rows.get(opened.id)?.state, null, 'and not in the row');

  const claimed = await s.claim(first);
  t.ok(claimed, 'claimed');
  t.equal(await s.claim(first), null, 'the same token again (a replay, or a racing instance): refused');
  const next = await s.save(claimed!, { ...claimed!.session, step: 66 });
  t.type(next, 'string');
  t.equal(openTo2Token(sealer, next!).version, 2);
  const again = await s.claim(next!);
  t.equal(again?.session.step, 66, 'the saved state comes back');
  t.equal(await s.claim(first), null, 'an older token stays refused');
});

t.test('TO2.GetOVNextEntry only checks the fence: it changes nothing but the counter in its token', async (t) => {
  const { fence, sealer, sessions: s } = sessions();
  const token = await s.create(session(62));
  const { id } = openTo2Token(sealer, token);
  const a = await s.claim(token);
  const b = await s.claim(token);
  t.ok(a && b, 'a repeated GetOVNextEntry is answered again');
  t.equal(fence.rows.get(id)?.version, 1, 'the fence did not move');
  const next = await s.save(a!, { ...a!.session, step: 64, nextEntry: 1 });
  t.equal(openTo2Token(sealer, next!).version, 1, 'the next token carries the same version');
  t.ok(await s.claim(next!), 'and is claimed');
  t.equal(await s.claim(token), null, 'after which the GetOVNextEntry token is spent');
  await fence.end(id);
  t.equal(await s.claim(next!), null, 'an ended session refuses every token');
});

t.test('an ended session: its tokens are refused and its fence is gone', async (t) => {
  const { fence, sealer, sessions: s } = sessions();
  const token = await s.create(session(62));
  const { id } = openTo2Token(sealer, token);
  const claimed = await s.claim(token);
  t.equal(await s.save(claimed!, { ...claimed!.session, step: 'failed' }), null, 'no token after failure');
  t.notOk(fence.rows.has(id), 'fence removed');

  // TO2.Done: the claim itself removes the fence, so Done is answered at most once however it ends.
  const done = await s.create(session(70));
  const doneId = openTo2Token(sealer, done).id;
  const claimedDone = await s.claim(done);
  t.ok(claimedDone);
  t.notOk(fence.rows.has(doneId), 'claiming Done ends the session');
  t.equal(await s.save(claimedDone!, { ...claimedDone!.session, step: 'done' }), null);
  t.equal(await s.claim(done), null);
});

t.test('a state too large for a token is kept in the fence row, and comes back with the claim', async (t) => {
  const { fence, sealer, sessions: s } = sessions();
  const big = session(66, { tags: ['x'.repeat(MAX_TOKEN_STATE)] });
  const token = await s.create(big);
  const opened = openTo2Token(sealer, token);
  t.equal(opened.session, null, 'the token carries no state');
  t.ok(fence.rows.get(opened.id)?.state, 'the row does');
  const claimed = await s.claim(token);
  t.same(claimed?.session.tags, big.tags, 'the claim returns it');
  // Smaller again: back in the token.
  const next = await s.save(claimed!, { ...claimed!.session, tags: [] });
  t.same(openTo2Token(sealer, next!).session?.tags, []);
  t.same((await s.claim(next!))?.session.tags, []);
});

t.test('a token that does not open is refused with error 1 saying why', async (t) => {
  const { sessions: s } = sessions();
  await t.rejects(s.claim('not-a-token'), {
    name: 'InvalidTokenError',
    message: /TO2 session token refused: unknown token/,
  });
});

t.test('a replayed TO2 message with its own token: error 1, and the onboarding still completes', async (t) => {
  const device = await makeDevice();
  const store = new MemoryOwner();
  store.add(device.voucher, device.ownerKey.privateKey);
  const responder = to2Responder({ crypto: nodeCrypto, state: store });
  const transport = new LoopbackTransport(responder);
  await runTO2(transport, {
    credential: device.credential,
    deviceKey: device.deviceKey.privateKey,
    devmod: { os: 'Linux', arch: 'x86_64', version: '6.1', device: 'test-board', sn: 'SN-1' },
  });
  t.equal(store.completed.length, 1, 'onboarded');
  t.equal(store.fence.rows.size, 0, 'no fence left once TO2 ended');
  for (const sent of transport.sent.filter((m) => m.msgType !== 60)) {
    const err = await responder({ msgType: sent.msgType, body: sent.body, token: sent.token }).then(
      () => null,
      (e: unknown) => e as { fdoCode?: number },
    );
    t.equal(err?.fdoCode, ErrorCode.InvalidJwtToken, `message ${sent.msgType} again with its token: error 1`);
  }
  t.equal(store.completed.length, 1, 'nothing onboarded twice');
  t.equal(store.failed.length, 0, 'and no replay marked the device failed');
});

t.test('an expired token is refused with error 1 saying it expired', async (t) => {
  let clock = 1_000_000;
  const sealer = new MemorySealer(() => clock);
  const s = new SealedTo2Sessions({
    sealer,
    fence: new MemoryFence(),
    crypto: nodeCrypto,
    ttlSeconds: 60,
    now: () => clock,
  });
  const token = await s.create(session(64));
  clock += 61_000;
  await t.rejects(s.claim(token), {
    name: 'InvalidTokenError',
    message: /TO2 session token refused: the token has expired/,
  });
});
