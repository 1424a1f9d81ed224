/**
 * Slow clients (slowloris): a client that trickles its headers or its body must not hold a connection
 * for long. Real sockets on loopback; the limits are made short here, the defaults are checked as set.
 */
import { connect } from 'node:net';
import t, { type Test } from 'tap';
import { encode } from '@fdo/protocol';
import { createApp, DEFAULT_TIMEOUTS, fdoRoutes, FDO_BODY_TIMEOUT_MS, type AppOptions } from '../src/index.js';

async function start(t: Test, options: Partial<AppOptions>, bodyMs?: number) {
  const app = createApp({ service: 'test', logger: false, ...options });
  await app.register(fdoRoutes, {
    messageTypes: [10],
    responder: async (req) => ({ msgType: 11, body: req.body }),
    ...(bodyMs === undefined ? {} : { bodyTimeoutMs: bodyMs }),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  return { app, port: (app.server.address() as { port: number }).port };
}

/**
 * Writes `head` then one byte of `trickle` every `everyMs`; resolves with the milliseconds until the
 * server closed the socket, and what it answered, or 'still open' after `giveUpMs`.
 */
function trickle(port: number, head: string, trickleBytes: string, everyMs: number, giveUpMs: number) {
  return new Promise<{ ms: number; answer: string } | 'still open'>((resolve) => {
    const start = Date.now();
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    let i = 0;
    const timer = setInterval(() => {
      if (i < trickleBytes.length) socket.write(trickleBytes[i++]!);
    }, everyMs);
    const giveUp = setTimeout(() => {
      clearInterval(timer);
      socket.destroy();
      resolve('still open');
    }, giveUpMs);
    socket.on('data', (d) => (answer += d.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ ms: Date.now() - start, answer });
    });
    socket.write(head);
  });
}

t.test('the defaults are set on every app (Fastify would leave the request timeout off)', async (t) => {
  const { app } = await start(t, {});
  t.equal(app.server.requestTimeout, DEFAULT_TIMEOUTS.requestMs);
  t.equal(app.server.headersTimeout, DEFAULT_TIMEOUTS.headersMs);
  t.equal(app.server.timeout, DEFAULT_TIMEOUTS.idleMs);
  t.ok(FDO_BODY_TIMEOUT_MS <= 10_000, 'an FDO message has seconds, not minutes');
});

t.test('an FDO body sent one byte at a time is cut off at the body deadline', async (t) => {
  const { port } = await start(t, {}, 500);
  const body = Buffer.from(encode(['x'.repeat(200)])).toString('latin1');
  const head =
    'POST /fdo/101/msg/10 HTTP/1.1\r\nHost: x\r\nContent-Type: application/cbor\r\n' +
    `Content-Length: ${body.length}\r\n\r\n`;
  const result = await trickle(port, head, body, 50, 8000);
  t.not(result, 'still open', 'the server closed the connection');
  if (result !== 'still open')
    t.ok(result.ms < 3000, `closed after ${result.ms} ms (the body needs ${body.length * 50} ms)`);
});

t.test('headers sent one byte at a time are cut off at the header deadline', async (t) => {
  const { port } = await start(t, { timeouts: { headersMs: 500 } });
  const head = 'POST /fdo/101/msg/10 HTTP/1.1\r\nHost: x\r\n' + 'X-Slow: '.padEnd(400, 'a');
  const result = await trickle(port, head.slice(0, 5), head.slice(5), 50, 8000);
  t.not(result, 'still open', 'the server closed the connection');
  if (result !== 'still open') {
    t.ok(result.ms < 3500, `closed after ${result.ms} ms`);
    t.match(result.answer, /^$|408/, 'with 408 Request Timeout or nothing');
  }
});

t.test('a message sent at a normal pace is answered', async (t) => {
  const { port } = await start(t, {}, 2000);
  const body = Buffer.from(encode([1])).toString('latin1');
  const head =
    'POST /fdo/101/msg/10 HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/cbor\r\n' +
    `Content-Length: ${body.length}\r\n\r\n`;
  const result = await trickle(port, head, body, 20, 8000);
  t.not(result, 'still open');
  if (result !== 'still open') t.match(result.answer, /^HTTP\/1\.1 200/);
});
