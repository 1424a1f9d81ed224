import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encode, FdoPeerError, ResourceNotFoundError } from '@fdo/protocol';
import { createApp, fdoRoutes } from '@fdo/server-kit';
import t, { type Test } from 'tap';
import { FdoTransportError, httpTransport, messageUrl } from '../src/index.js';

/** A real FDO server over loopback: message 30 issues a token, 32 needs it, 34 fails with code 6. */
async function server(t: Test, prefix = '') {
  const app = createApp({ service: 'test', logger: false });
  const seen: (string | undefined)[] = [];
  await app.register(fdoRoutes, {
    prefix,
    messageTypes: [30, 32, 34],
    responder: async ({ msgType, body, token }) => {
      seen.push(token);
      if (msgType === 30) return { msgType: 31, body, token: 'session-1' };
      if (msgType === 32 && token !== 'session-1') throw new ResourceNotFoundError('no such session');
      if (msgType === 34) throw new ResourceNotFoundError('no owner registration for GUID 00ff');
      return { msgType: 33, body: encode(['done']) };
    },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}${prefix}`, seen };
}

t.test('a session keeps the bearer token the server issued', async (t) => {
  const { url, seen } = await server(t);
  const transport = httpTransport(url);
  const first = await transport.send(30, encode([1, 2]));
  t.equal(first.msgType, 31);
  t.same(first.body, encode([1, 2]));
  // The server's transport wraps the protocol's token (server-kit fdo-sessions.ts); the client echoes it as is.
  t.match(transport.token, /^s1\.to1\.[0-9a-z]+\.-\.session-1$/);
  const second = await transport.send(32, encode([]));
  t.equal(second.msgType, 33);
  t.same(seen, [undefined, 'session-1']);
  await transport.close();
  t.equal(transport.token, undefined);
});

t.test("a peer's message 255 becomes FdoPeerError with the peer's code and text", async (t) => {
  const { url } = await server(t);
  const err = await httpTransport(url)
    .send(34, encode([]))
    .catch((e: unknown) => e);
  t.ok(err instanceof FdoPeerError);
  const peer = err as FdoPeerError;
  t.equal(peer.error.code, 6);
  t.equal(peer.error.prevMsgType, 34);
  t.match(peer.message, /no owner registration for GUID 00ff/);
  t.match(peer.message, /msg\/34/, 'names the URL');
});

t.test('a base URL with a path prefix', async (t) => {
  const { url } = await server(t, '/tenant-a');
  t.equal(messageUrl(url, 30), `${url}/fdo/101/msg/30`);
  t.equal(messageUrl(`${url}/`, 30), `${url}/fdo/101/msg/30`);
  t.equal((await httpTransport(url).send(30, encode(0))).msgType, 31);
});

t.test('what is not an FDO reply is a transport error naming the URL', async (t) => {
  const plain = createServer((req, res) => {
    if (req.url?.endsWith('/30')) {
      res.writeHead(404).end('not here');
    } else if (req.url?.endsWith('/32')) {
      res.writeHead(200, { 'content-type': 'application/cbor' }).end(Buffer.from([0x80]));
    } else if (req.url?.endsWith('/34')) {
      res.writeHead(200, { 'message-type': '35' }).end(Buffer.alloc(4096));
    } else {
      res.writeHead(500, { 'message-type': '255' }).end('garbage');
    }
  });
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
  t.teardown(() => plain.close());
  const url = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;

  const notFound = await httpTransport(url)
    .send(30, encode(0))
    .catch((e: unknown) => e);
  t.ok(notFound instanceof FdoTransportError);
  t.match((notFound as FdoTransportError).message, /answered HTTP 404/);
  t.equal((notFound as FdoTransportError).status, 404);

  await t.rejects(httpTransport(url).send(32, encode(0)), /without a valid Message-Type/);
  await t.rejects(httpTransport(url, { maxReplyBytes: 1024 }).send(34, encode(0)), /larger than 1024 bytes/);
  await t.rejects(httpTransport(url).send(36, encode(0)), /message 255 with an unreadable body/);
});

t.test('an unreachable server is a transport error naming the URL', async (t) => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  const err = await httpTransport(`http://127.0.0.1:${port}`)
    .send(30, encode(0))
    .catch((e: unknown) => e);
  t.ok(err instanceof FdoTransportError);
  t.match((err as Error).message, new RegExp(`cannot reach http://127.0.0.1:${port}/fdo/101/msg/30`));
  t.throws(() => httpTransport('not a url'), /Invalid URL/);
});
