import t, { type Test } from 'tap';
import { decode, encode, Tag } from '../../src/cbor/codec.js';
import { FdoError, InvalidMessageError, MessageBodyError } from '../../src/errors.js';
import { decodeMessage, encodeMessage, type MessageNumber } from '../../src/messages/index.js';
import { MESSAGE_NUMBERS, sampleBodies } from './fixtures.js';

const bodies = sampleBodies();
const valid = (type: MessageNumber) => encodeMessage(type, bodies[type] as never);

function rejects(t: Test, type: number, bytes: Uint8Array, what: string): void {
  try {
    decodeMessage(type, bytes);
    t.fail(`${type} ${what}: accepted`);
  } catch (err) {
    t.ok(err instanceof MessageBodyError, `${type} ${what}: MessageBodyError (${(err as Error).message})`);
    t.equal((err as FdoError).prevMsgType, type, `${type} ${what}: prevMsgType`);
  }
}

t.test('trailing bytes, truncation, wrong top-level types and empty input', async (t) => {
  for (const type of MESSAGE_NUMBERS) {
    const bytes = valid(type);
    rejects(t, type, new Uint8Array([...bytes, 0]), 'trailing byte');
    rejects(t, type, bytes.subarray(0, bytes.length - 1), 'truncated');
    rejects(t, type, new Uint8Array(0), 'empty');
    rejects(t, type, encode('text'), 'a tstr');
    rejects(t, type, encode(new Map([[1, 2]])), 'a map');
  }
});

t.test('wrong array lengths', async (t) => {
  for (const type of MESSAGE_NUMBERS) {
    const v = decode(valid(type));
    // Signed bodies are COSE_Sign1 (4 elements, tagged): change the COSE array instead.
    const arr = v instanceof Tag ? (v.value as unknown[]) : (v as unknown[]);
    const wrap = (a: unknown[]) => encode(v instanceof Tag ? new Tag(a, v.tag) : a);
    rejects(t, type, wrap([...arr, 0]), 'one element too many');
    if (arr.length > 0) rejects(t, type, wrap(arr.slice(0, -1)), 'one element too few');
  }
});

t.test('wrong element types', async (t) => {
  for (const type of MESSAGE_NUMBERS) {
    const v = decode(valid(type));
    if (v instanceof Tag || (v as unknown[]).length === 0) continue;
    const arr = v as unknown[];
    for (let i = 0; i < arr.length; i++) {
      const swapped = arr.slice();
      // A value of a type no field of any message takes at that position.
      swapped[i] = arr[i] instanceof Uint8Array ? 1.5 : typeof arr[i] === 'string' ? new Uint8Array(1) : 'wrong';
      if (type === 10 && i === 0) continue; // DI.AppStart's info is implementation-defined (any item)
      rejects(t, type, encode(swapped), `element ${i} of the wrong type`);
    }
  }
});

t.test('wrong nonce and GUID lengths', async (t) => {
  const short = new Uint8Array(15);
  const cases: [MessageNumber, unknown[]][] = [
    [21, [short]],
    [30, [short, [-7, new Uint8Array(0)]]],
    [31, [new Uint8Array(17), [-7, new Uint8Array(0)]]],
    [60, [0, short, new Uint8Array(16), 'ECDH256', 1, [-7, new Uint8Array(0)]]],
    [70, [short]],
    [71, [new Uint8Array(0)]],
  ];
  for (const [type, body] of cases) rejects(t, type, encode(body), 'short nonce/GUID');
});

t.test('out-of-range integers', async (t) => {
  rejects(t, 62, encode([256]), 'OVEntryNum > uint8');
  rejects(t, 62, encode([-1]), 'negative OVEntryNum');
  rejects(t, 23, encode([2 ** 32]), 'WaitSeconds > uint32');
  rejects(t, 67, encode([65536]), 'maxDeviceServiceInfoSz > uint16');
  rejects(t, 66, encode([null, -5]), 'negative size');
  rejects(t, 255, encode([70000, 1, 'x', null, null]), 'EMErrorCode > uint16');
});

t.test('unknown message numbers are invalid messages', async (t) => {
  for (const type of [0, 14, 42, 72, 254, 256]) {
    try {
      decodeMessage(type, encode([]));
    } catch (err) {
      t.ok(err instanceof InvalidMessageError);
      t.equal((err as FdoError).prevMsgType, type);
      t.equal((err as FdoError).fdoCode, 101);
    }
  }
});

t.test('non-bytes input is a message body error, never a TypeError', async (t) => {
  for (const type of MESSAGE_NUMBERS) {
    try {
      decodeMessage(type, 'abc' as unknown as Uint8Array);
      t.fail('accepted');
    } catch (err) {
      t.ok(err instanceof FdoError && err.fdoCode === 100 && err.prevMsgType === type, `${type}`);
    }
  }
});
