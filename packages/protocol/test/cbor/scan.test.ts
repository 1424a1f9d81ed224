import t from 'tap';
import { assertWellFormed, decode, encode, rawArrayItems } from '../../src/cbor/index.js';
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
