import t, { type Test } from 'tap';
import { decodeErrorMessage, encode, ErrorCode, InvalidTokenError, MessageBodyError, decode } from '@fdo/protocol';
import { createApp, fdoRoutes, type FdoRequest } from '../src/index.js';

/** A toy responder over real HTTP: echoes the body, answers msgType + 1, and issues a token. */
async function start(t: Test) {
  const seen: FdoRequest[] = [];
  const app = createApp({ service: 'test', logger: false });
  await app.register(fdoRoutes, {
    messageTypes: [10, 12],
    responder: async (req) => {
      seen.push(req);
      if (req.msgType === 12 && req.token !== 'tok-1') throw new InvalidTokenError('unknown session token');
      if (req.body.length === 1 && req.body[0] === 0xff) throw new MessageBodyError('DI.AppStart: bad body');
      if (req.body.length === 1 && req.body[0] === 0xfe) throw new Error('database exploded: secret detail');
      decode(req.body);
      return { msgType: req.msgType + 1, body: req.body, token: req.msgType === 10 ? 'tok-1' : undefined };
    },
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  const post = (type: number | string, body: Uint8Array, headers: Record<string, string> = {}) =>
    fetch(`${url}/fdo/101/msg/${type}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/cbor', ...headers },
      body,
    });
  return { url, post, seen };
}

const body = encode([1, 'x']);

t.test('FDO 1.1 §4.3: 200 with Message-Type, application/cbor and a bearer token', async (t) => {
  const { post, seen } = await start(t);
  const res = await post(10, body);
  t.equal(res.status, 200);
  t.equal(res.headers.get('message-type'), '11');
  t.equal(res.headers.get('content-type'), 'application/cbor');
  // The protocol's token travels inside the transport's session envelope (fdo-sessions.ts).
  const token = res.headers.get('authorization')?.replace(/^Bearer /, '') ?? '';
  t.match(token, /^s1\.di\.[0-9a-z]+\.-\.tok-1$/);
  t.equal(res.headers.get('content-length'), String(body.length));
  t.same(new Uint8Array(await res.arrayBuffer()), body);
  const next = await post(12, body, { Authorization: `Bearer ${token}` });
  t.equal(next.status, 200);
  t.equal(next.headers.get('authorization'), null, 'no token once the protocol ends');
  t.equal(seen[1]?.token, 'tok-1');
});

t.test('errors are HTTP 500 carrying message 255 with the right code', async (t) => {
  const { post } = await start(t);
  const check = async (res: Response, code: number, prev: number) => {
    t.equal(res.status, 500);
    t.equal(res.headers.get('message-type'), '255');
    t.equal(res.headers.get('content-type'), 'application/cbor');
    const em = decodeErrorMessage(new Uint8Array(await res.arrayBuffer()));
    t.equal(em.code, code);
    t.equal(em.prevMsgType, prev);
    return em;
  };
  await check(await post(12, body, { Authorization: 'Bearer stolen' }), ErrorCode.InvalidJwtToken, 12);
  await check(await post(10, new Uint8Array([0xff])), ErrorCode.MessageBodyError, 10);
  const internal = await check(await post(10, new Uint8Array([0xfe])), ErrorCode.InternalServerError, 10);
  t.notMatch(internal.message, /secret detail/, 'internal details never reach the peer');
  await check(await post(10, new Uint8Array([0x83, 0x01])), ErrorCode.MessageBodyError, 10);
  await check(await post(30, body), ErrorCode.InvalidMessageError, 30);
  await check(await post('abc', body), ErrorCode.InvalidMessageError, 0);
  await check(await post(10, body, { 'Content-Type': 'application/json' }), ErrorCode.MessageBodyError, 10);
  await check(await post(10, new Uint8Array(70_000)), ErrorCode.MessageBodyError, 10);
});
