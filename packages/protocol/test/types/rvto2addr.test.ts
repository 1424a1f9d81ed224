import t from 'tap';
import { decode, encode } from '../../src/cbor/codec.js';
import { MessageBodyError } from '../../src/errors.js';
import { RVTO2Addr, TransportProtocol } from '../../src/types/rvto2addr.js';

t.test('§3.3.12 RVTO2Addr round trips and uses the TransportProtocol enum', async (t) => {
  const a = new RVTO2Addr(null, 'owner.example', 8443, TransportProtocol.HTTPS);
  const bytes = encode(a.toCbor());
  t.equal(Buffer.from(bytes).toString('hex'), '84f66d6f776e65722e6578616d706c651920fb05');
  const b = RVTO2Addr.fromCbor(decode(bytes));
  t.same(b, a);
  t.equal(b.toUrl(), 'https://owner.example:8443');
});

t.test('URLs map to addresses and back', async (t) => {
  const cases: [string, Partial<RVTO2Addr>, string][] = [
    ['http://owner.example', { dns: 'owner.example', ip: null, port: 80, protocol: 3 }, 'http://owner.example:80'],
    ['https://10.0.0.5:8443', { dns: null, port: 8443, protocol: 5 }, 'https://10.0.0.5:8443'],
    ['http://[2001:db8::1]:8080', { dns: null, port: 8080, protocol: 3 }, 'http://[2001:db8::1]:8080'],
    ['coaps://[::ffff:1.2.3.4]', { dns: null, port: 5684, protocol: 6 }, 'coaps://1.2.3.4:5684'],
    ['tcp://h:9', { dns: 'h', port: 9, protocol: 1 }, 'tcp://h:9'],
  ];
  for (const [url, want, back] of cases) {
    const a = RVTO2Addr.fromUrl(url);
    t.match(a, want, url);
    t.equal(a.toUrl(), back, url);
  }
  t.same(RVTO2Addr.fromUrl('https://10.0.0.5').ip, new Uint8Array([10, 0, 0, 5]));
  t.equal(RVTO2Addr.fromUrl('http://[2001:db8::1]').ip?.length, 16);
  t.equal(RVTO2Addr.fromUrl('http://[2001:db8::1]').host, '2001:db8::1');
  t.throws(() => RVTO2Addr.fromUrl('ftp://x'), TypeError);
  t.throws(() => RVTO2Addr.fromUrl('tcp://x'), TypeError, 'no default port for tcp');
});

t.test('malformed RVTO2Addr values are message body errors', async (t) => {
  const bad: unknown[] = [
    [null, null, 80, 3],
    [new Uint8Array(5), null, 80, 3],
    [null, 'h', 70000, 3],
    [null, 'h', 80, 0],
    [null, 'h', 80, 7],
    [null, 'h', 80],
    [null, 5, 80, 3],
    'x',
  ];
  for (const v of bad) t.throws(() => RVTO2Addr.fromCbor(v), MessageBodyError, JSON.stringify(v));
  t.throws(() => new RVTO2Addr(null, null, 1, 3), TypeError);
});
