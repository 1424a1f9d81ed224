import t from 'tap';
import { decode, encode, Tag } from '../../src/cbor/codec.js';
import { InternalServerError, InvalidGuidError, MessageBodyError } from '../../src/errors.js';
import { errorMessageFrom, errorMessageFromCbor, errorMessageToCbor } from '../../src/types/error-message.js';

t.test('§3.7 ErrorMessage timestamp forms', async (t) => {
  const base = [100, 60, 'bad body'];
  t.equal(errorMessageFromCbor([...base, 1700000000, 7]).timestamp, 1700000000, 'pri-fidoiot int');
  t.equal(errorMessageFromCbor([...base, null, null]).timestamp, null, 'fdo-rs null');
  t.equal(errorMessageFromCbor([...base, null, null]).correlationId, null);
  t.same(errorMessageFromCbor([...base, new Tag(5, 1), 1]).timestamp, { utcInt: 5 });
  t.same(errorMessageFromCbor([...base, new Tag('2024-01-01T00:00:00Z', 0), 1]).timestamp, {
    utcStr: '2024-01-01T00:00:00Z',
  });
  t.same(errorMessageFromCbor(decode(encode([...base, new Tag(7, 1), 1]))).timestamp, { utcInt: 7 }, 'tag 1 via Date');
  for (const ts of [{ utcInt: 3 }, { utcStr: 'x' }, 12, null] as const) {
    const m = { code: 1, prevMsgType: 2, message: 'm', timestamp: ts, correlationId: 4 };
    t.same(errorMessageFromCbor(errorMessageToCbor(m)), m);
  }
  for (const bad of [
    [...base, 'now', 1],
    [...base, -1, 1],
    [...base, new Tag(1, 2), 1],
    [70000, 1, 's', null, null],
    [1, 256, 's', null, null],
    [1, 1, 5, null, null],
    [1, 1, 's', null, -3],
    [1, 1, 's', null],
  ]) {
    t.throws(() => errorMessageFromCbor(bad), MessageBodyError);
  }
});

t.test('errorMessageFrom maps FdoErrors and hides everything else', async (t) => {
  const e = new InvalidGuidError('unknown GUID', { prevMsgType: 30 });
  t.match(errorMessageFrom(e, 60, { now: 10, correlationId: 3 }), {
    code: 5,
    prevMsgType: 30,
    message: 'unknown GUID',
    timestamp: 10,
    correlationId: 3,
  });
  t.equal(errorMessageFrom(new MessageBodyError('x'), 61).prevMsgType, 61);
  const hidden = errorMessageFrom(new Error('db password=hunter2 at /srv/x.ts:12'), 62);
  t.equal(hidden.code, 500);
  t.equal(hidden.message, 'internal error');
  t.equal(hidden.prevMsgType, 62);
  t.equal(errorMessageFrom(new InternalServerError('pool exhausted at 10.0.0.3'), 20).message, 'internal error');
  t.equal(errorMessageFrom('string thrown', 20).code, 500);
  const long = errorMessageFrom(new MessageBodyError('y'.repeat(1000)), 20);
  t.ok(long.message.length <= 256);
  const now = errorMessageFrom(new MessageBodyError('z'), 20);
  t.ok(Math.abs((now.timestamp as number) - Date.now() / 1000) < 5);
  t.ok(Number.isInteger(now.correlationId) && now.correlationId! >= 0 && now.correlationId! < 2 ** 32);
});
