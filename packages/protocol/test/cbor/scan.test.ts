import t from 'tap';
import { assertWellFormed, decode, encode, rawArrayItems, read } from '../../src/cbor/index.js';
import { MessageBodyError } from '../../src/errors.js';

const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));

t.test('RFC 8949 Appendix A examples decode and re-encode identically', async (t) => {
  for (const h of [
    '00',
    '17',
    '1818',
    '1903e8',
    '1a000f4240',
    '20',
    '3863',
    '40',
    '4401020304',
    '60',
    '6449455446',
    '80',
    '83010203',
    'a0',
    'a201020304',
    'f4',
    'f5',
    'f6',
  ]) {
    t.equal(Buffer.from(encode(decode(hex(h)))).toString('hex'), h, h);
  }
});

t.test('malformed input is refused with a message body error', async (t) => {
  const cases: Record<string, string> = {
    empty: '',
    truncated: '8301',
    'huge declared array': '9bffffffffffffffff',
    'huge declared bstr': '5affffffff00',
    'trailing bytes': '0000',
    'reserved info': '1c',
    'unknown tag (shared reference)': 'd81c80',
    'lone break': 'ff',
  };
  for (const [name, h] of Object.entries(cases)) {
    t.throws(() => decode(hex(h)), MessageBodyError, name);
  }
  const deep = new Uint8Array(1000).fill(0x81);
  t.throws(() => assertWellFormed(new Uint8Array([...deep, 0])), MessageBodyError, 'deep nesting');
});

t.test('rawArrayItems returns the exact bytes of each element', async (t) => {
  const items = rawArrayItems(hex('83 01 820203 43010203'.replace(/ /g, '')));
  t.same(
    items.map((b) => Buffer.from(b).toString('hex')),
    ['01', '820203', '43010203'],
  );
});

t.test('integers beyond 32 bits encode as CBOR integers, not floats (RFC 8949 §3.1)', async (t) => {
  t.equal(Buffer.from(encode(2 ** 40)).toString('hex'), '1b0000010000000000');
  t.equal(Buffer.from(encode(-(2 ** 33))).toString('hex'), '3b00000001ffffffff');
  t.equal(Buffer.from(encode([1, new Map([[2, 2 ** 35]])])).toString('hex'), '8201a1021b0000000800000000');
  // cbor-x hands 64-bit heads back as BigInt; the typed readers turn safe ones into numbers.
  t.equal(read.uint(decode(encode(2 ** 40)), 'x'), 2 ** 40);
  t.throws(() => read.uint(decode(hex('1bffffffffffffffff')), 'x'), MessageBodyError);
});

t.test('tags must wrap the type of item they are defined for', async (t) => {
  for (const h of ['c2f6', 'c3f6', 'c1f6', 'd24101', 'd0a0']) t.throws(() => decode(hex(h)), MessageBodyError, h);
  t.equal(decode(hex('c11a5f5e1000')) instanceof Date, true);
});
