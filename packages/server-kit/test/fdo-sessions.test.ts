import { Writable } from 'node:stream';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import {
  decodeErrorMessage,
  encode,
  encodeErrorMessage,
  ErrorCode,
  InvalidTokenError,
  MessageBodyError,
} from '@fdo/protocol';
import { createApp, fdoRoutes, metricSample, type SessionOutcome } from '../src/index.js';

const GUID = '0123456789abcdef0123456789abcdef';
const DASHED = '01234567-89ab-cdef-0123-456789abcdef';

/** A DI-like service over real HTTP whose log lines and session outcomes the test reads. */
async function start(t: Test) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const outcomes: SessionOutcome[] = [];
  const app = createApp({ service: 'test', loggerInstance: pino({ level: 'info' }, stream) });
  await app.register(fdoRoutes, {
    messageTypes: [10, 12, 60, 62, 255],
    onOutcome: (o) => outcomes.push(o),
    responder: async (req) => {
      if (req.msgType === 10) return { msgType: 11, body: encode([]), token: 'tok', guid: DASHED };
      if (req.msgType === 60) return { msgType: 61, body: encode([]), token: 'to2' };
      if (req.msgType === 62) return { msgType: 63, body: encode([]), token: req.token };
      if (req.token !== 'tok') throw new InvalidTokenError('unknown session token');
      if (req.msgType === 255) return { msgType: 255, body: req.body };
      if (req.body[0] === 0xff) throw new MessageBodyError('DI.SetHMAC: bad body');
      return { msgType: 13, body: encode([]) };
    },
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  const post = async (type: number, token?: string, body = encode([1])) => {
    const res = await fetch(`${url}/fdo/101/msg/${type}`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/cbor',
        ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }),
      },
      body,
    });
    return { res, token: res.headers.get('authorization')?.replace(/^Bearer /, '') };
  };
  const sessionLines = () => lines.filter((l) => typeof l.protocol === 'string');
  return { app, post, outcomes, sessionLines };
}

t.test('one log line per session outcome, with GUID, step and duration; metrics count it', async (t) => {
  const { app, post, outcomes, sessionLines } = await start(t);
  const first = await post(10);
  t.match(first.token, new RegExp(`^s1\\.di\\.[0-9a-z]+\\.${GUID}\\.tok$`), 'the GUID learnt travels with the token');
  const done = await post(12, first.token);
  t.equal(done.res.status, 200);
  t.equal(done.token, undefined);
  t.match(outcomes, [{ protocol: 'DI', guid: DASHED, step: 'DI.SetHMAC', outcome: 'completed', durationMs: Number }]);
  t.ok(outcomes[0]!.durationMs! >= 0 && outcomes[0]!.durationMs! < 10_000);
  t.match(sessionLines(), [
    { level: 30, msg: 'DI session completed', protocol: 'DI', guid: DASHED, step: 'DI.SetHMAC', durationMs: Number },
  ]);

  const metrics = await app.metrics.text();
  const di = { protocol: 'DI', service: 'test' };
  t.equal(metricSample(metrics, 'fdo_sessions_total', { ...di, outcome: 'started' }), 1);
  t.equal(metricSample(metrics, 'fdo_sessions_total', { ...di, outcome: 'completed' }), 1);
  t.equal(metricSample(metrics, 'fdo_session_duration_seconds_count', { ...di, outcome: 'completed' }), 1);
  t.equal(metricSample(metrics, 'fdo_messages_total', { msg_type: '10', error_code: 'none' }), 1);
  const route = { method: 'POST', route: '/fdo/:version/msg/:type', status_code: '200' };
  t.equal(metricSample(metrics, 'fdo_http_request_duration_seconds_count', route), 2);
  t.match(metrics, /^process_resident_memory_bytes /m, 'process metrics too');
});

t.test('a refused message ends its session as failed, with the code sent and the GUID from the token', async (t) => {
  const { app, post, outcomes, sessionLines } = await start(t);
  const first = await post(10);
  const refused = await post(12, first.token, new Uint8Array([0xff]));
  t.equal(refused.res.status, 500);
  t.equal(decodeErrorMessage(new Uint8Array(await refused.res.arrayBuffer())).code, ErrorCode.MessageBodyError);
  t.match(outcomes, [
    { protocol: 'DI', guid: DASHED, step: 'DI.SetHMAC', outcome: 'failed', errorCode: 100, durationMs: Number },
  ]);
  t.match(sessionLines(), [
    { level: 40, msg: 'DI session failed at DI.SetHMAC', guid: DASHED, fdoCode: 100, reason: /bad body/ },
  ]);
  t.equal(metricSample(await app.metrics.text(), 'fdo_messages_total', { msg_type: '12', error_code: '100' }), 1);
});

t.test('a refused token (error 1) is not believed: its GUID is only "claimed", no duration', async (t) => {
  const { post, outcomes, sessionLines } = await start(t);
  const first = await post(10);
  const forged = first.token!.replace(/\.tok$/, '.stolen');
  const refused = await post(12, forged);
  t.equal(decodeErrorMessage(new Uint8Array(await refused.res.arrayBuffer())).code, ErrorCode.InvalidJwtToken);
  t.match(outcomes, [{ protocol: 'DI', guid: null, outcome: 'failed', errorCode: 1, durationMs: null }]);
  t.match(sessionLines(), [{ msg: 'DI session failed at DI.SetHMAC', guid: null, claimedGuid: DASHED, fdoCode: 1 }]);

  await post(12, 'not-an-envelope');
  t.match(outcomes[1], { guid: null, durationMs: null }, 'a bare token: no GUID, no duration, still one outcome');
  const future = first.token!.replace(/^s1\.di\.[0-9a-z]+\./, `s1.di.${(Date.now() + 3_600_000).toString(36)}.`);
  await post(12, future);
  t.equal(outcomes[2]!.durationMs, null, 'a start in the future is not believed');
});

t.test("the device's own message 255 ends the session it names as failed, with the device's code", async (t) => {
  const { post, outcomes } = await start(t);
  const first = await post(10);
  const em = {
    code: ErrorCode.ResourceNotFound,
    prevMsgType: 11,
    message: 'no room',
    timestamp: null,
    correlationId: 7,
  };
  const res = await post(255, first.token, encodeErrorMessage(em));
  t.equal(res.res.status, 200);
  t.match(outcomes, [{ protocol: 'DI', outcome: 'failed', errorCode: 6, reason: /the device sent error 6: no room/ }]);
});

t.test('a session is complete at its last message even when a token comes back (TO2.Done2 style)', async (t) => {
  const { post, outcomes } = await start(t);
  const hello = await post(60);
  t.match(hello.token, /^s1\.to2\.[0-9a-z]+\.-\.to2$/);
  await post(62, hello.token);
  t.same(outcomes, [], '63 does not end TO2');
});
