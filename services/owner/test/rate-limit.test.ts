/**
 * The owner's per-source limit (server-kit rate-limit.ts): a HelloDevice flood makes the owner sign a
 * ProveOVHdr per message, so one source is held to its rate; a limited FDO message gets HTTP 429 with
 * message 255 (code 500, "retry in N s"), a limited management request 429 JSON, and the probes stay open.
 */
import { decodeErrorMessage, ErrorCode } from '@fdo/protocol';
import t from 'tap';
import { loadConfig } from '../src/index.js';
import { onEachDatabase, startOwner, tempDir } from './helpers.js';

t.test('default: 200 requests/s per source, bursts of 2,000', async (t) => {
  const c = loadConfig({ FDO_OWNER_DATA_DIR: '/srv/owner' });
  t.same(c.rateLimit, { perSecond: 200, burst: 2000, trustProxyHops: 0 });
});

onEachDatabase(t, 'a HelloDevice flood from one source is refused with 429 and message 255', async (t, db) => {
  const owner = await startOwner(t, {
    databaseUrl: db.url,
    keysDir: tempDir(t),
    rateLimit: { perSecond: 1, burst: 2, trustProxyHops: 0 },
  });
  // A malformed HelloDevice still costs a request: the limit is taken before the body is read.
  const hello = () =>
    fetch(`${owner.url}/fdo/101/msg/60`, {
      method: 'POST',
      headers: { 'content-type': 'application/cbor' },
      body: Uint8Array.of(0x80),
    });
  for (let i = 0; i < 2; i++) {
    const res = await hello();
    const em = decodeErrorMessage(new Uint8Array(await res.arrayBuffer()));
    t.equal(em.code, ErrorCode.MessageBodyError, `request ${i + 1} reaches the protocol`);
  }
  const limited = await hello();
  t.equal(limited.status, 429);
  t.equal(limited.headers.get('message-type'), '255');
  t.ok(Number(limited.headers.get('retry-after')) >= 1, 'Retry-After says when to come back');
  const em = decodeErrorMessage(new Uint8Array(await limited.arrayBuffer()));
  t.equal(em.code, ErrorCode.InternalServerError);
  t.equal(em.prevMsgType, 60, 'EMPrevMsgID names the refused HelloDevice');
  t.match(em.message, /^too many requests from 127\.0\.0\.1; retry in \d+ s$/);

  const api = await owner.api('GET', '/devices');
  t.equal(api.status, 429, 'the management API shares the source budget');
  t.equal(api.json.error, 'rate_limited');
  t.equal((await fetch(`${owner.url}/health`)).status, 200, '/health is never limited');
  t.equal((await fetch(`${owner.url}/ready`)).status, 200, '/ready is never limited');
});
