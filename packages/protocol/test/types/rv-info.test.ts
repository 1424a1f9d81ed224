import { readFileSync } from 'node:fs';
import t from 'tap';
import { decode, encode, equal, pemBlocks } from '../../src/index.js';
import { MessageBodyError } from '../../src/errors.js';
import { formatIp, ipToBytes } from '../../src/types/ip.js';
import { RendezvousInfo, RVProtocol, RVVariable } from '../../src/types/rv-info.js';

const vectors = new URL('../../../../../shared/interop/go-fdo/', import.meta.url);
const headerOf = (file: string) => {
  const ov = decode(pemBlocks(readFileSync(new URL(file, vectors), 'utf8'))[0]!.der) as unknown[];
  return decode(ov[1] as Uint8Array) as unknown[];
};

t.test('interop RendezvousInfo decodes and re-encodes byte for byte', async (t) => {
  for (const file of ['ov.pem', 'ov_extended.pem']) {
    const cbor = headerOf(file)[2];
    const rv = RendezvousInfo.fromCbor(cbor);
    t.ok(equal(encode(rv.toCbor()), encode(cbor)), file);
  }
  const rv = RendezvousInfo.fromCbor(headerOf('ov.pem')[2]);
  t.same(rv.describe(), ['http://192.168.122.1:8082', 'http://fdo.example.com:8082']);
  t.same(rv.deviceEndpoints(), [
    { host: '192.168.122.1', port: 8082, protocol: 'http' },
    { host: 'fdo.example.com', port: 8082, protocol: 'http' },
  ]);
  t.same(RendezvousInfo.fromCbor(headerOf('ov_extended.pem')[2]).ownerEndpoints(), [
    { host: '127.0.0.1', port: 7777, protocol: 'http' },
  ]);
});

t.test('fromUrls builds one directive per URL with default ports', async (t) => {
  const rv = RendezvousInfo.fromUrls('http://rv.example.com:8040', 'https://10.1.2.3', 'http://[2001:db8::7]');
  t.same(
    rv.directives[0]!.map((i) => i.variable),
    [RVVariable.Dns, RVVariable.DevPort, RVVariable.OwnerPort, RVVariable.Protocol],
  );
  t.equal(rv.directives[1]![0]!.variable, RVVariable.IPAddress);
  t.same(rv.directives[1]![3]!.value, RVProtocol.Https);
  const back = RendezvousInfo.fromCbor(decode(encode(rv.toCbor())));
  t.same(back.deviceEndpoints(), [
    { host: 'rv.example.com', port: 8040, protocol: 'http' },
    { host: '10.1.2.3', port: 443, protocol: 'https' },
    { host: '2001:db8::7', port: 80, protocol: 'http' },
  ]);
  t.same(back.describe(), ['http://rv.example.com:8040', 'https://10.1.2.3:443', 'http://[2001:db8::7]:80']);
  t.throws(() => RendezvousInfo.fromUrls('ftp://x'), TypeError);
});

t.test('DevOnly / OwnerOnly select the side; flags carry no value; delay and owner port', async (t) => {
  const rv = new RendezvousInfo([
    [
      { variable: RVVariable.DevOnly },
      { variable: RVVariable.Dns, value: 'dev.example' },
      { variable: RVVariable.Delaysec, value: 30 },
    ],
    [
      { variable: RVVariable.OwnerOnly },
      { variable: RVVariable.Dns, value: 'owner.example' },
      { variable: RVVariable.OwnerPort, value: 8443 },
      { variable: RVVariable.Protocol, value: RVProtocol.Https },
    ],
    [
      { variable: RVVariable.Dns, value: 'tcp.example' },
      { variable: RVVariable.Protocol, value: RVProtocol.Tcp },
    ],
  ]);
  const back = RendezvousInfo.fromCbor(decode(encode(rv.toCbor())));
  t.same(encode(back.toCbor()), encode(rv.toCbor()));
  t.same(back.toCbor()[0], [[0], [5, encode('dev.example')], [13, encode(30)]]);
  t.same(back.deviceEndpoints(), [{ host: 'dev.example', port: 80, protocol: 'http', delaySec: 30 }]);
  t.same(back.ownerEndpoints(), [{ host: 'owner.example', port: 8443, protocol: 'https' }]);
  t.match(back.describe()[0], /DevOnly/);
  t.match(back.describe()[1], /owner port 8443/);
});

t.test('§3.7.1 RVBypass: the directive names the owner itself; its endpoints say so', async (t) => {
  const rv = new RendezvousInfo([
    [
      { variable: RVVariable.IPAddress, value: new Uint8Array([127, 0, 0, 1]) },
      { variable: RVVariable.DevPort, value: 8042 },
      { variable: RVVariable.Protocol, value: RVProtocol.Http },
      { variable: RVVariable.Bypass },
    ],
    [{ variable: RVVariable.Dns, value: 'rv.example' }],
  ]);
  const back = RendezvousInfo.fromCbor(decode(encode(rv.toCbor())));
  t.same((back.toCbor()[0] as unknown[])[3], [RVVariable.Bypass], 'a flag: no RVValue');
  t.same(back.deviceEndpoints(), [
    { host: '127.0.0.1', port: 8042, protocol: 'http', bypass: true },
    { host: 'rv.example', port: 80, protocol: 'http' },
  ]);
  t.match(back.describe()[0], /Bypass/);
});

t.test('malformed instructions are MessageBodyError naming the path', async (t) => {
  t.throws(() => RendezvousInfo.fromCbor([[[RVVariable.DevPort, encode('x')]]]), MessageBodyError);
  t.throws(() => RendezvousInfo.fromCbor([[[RVVariable.Dns]]]), { message: /Dns needs a value/ });
  t.throws(() => RendezvousInfo.fromCbor([[[RVVariable.IPAddress, encode(new Uint8Array(3))]]]), {
    message: /RendezvousInfo\[0\]\[0\]\.IPAddress/,
  });
  t.throws(() => RendezvousInfo.fromCbor([[[2, 'not bstr']]]), MessageBodyError);
  t.throws(() => RendezvousInfo.fromCbor('x'), MessageBodyError);
});

t.test('IP helpers', async (t) => {
  t.equal(formatIp(ipToBytes('192.168.1.10')), '192.168.1.10');
  t.equal(formatIp(ipToBytes('::1')), '::1');
  t.equal(formatIp(ipToBytes('fe80::1:0:0:2')), 'fe80::1:0:0:2');
  // IPv4-mapped IPv6 (what go-fdo's net.IP sends for IPv4) prints as IPv4.
  t.equal(formatIp(ipToBytes('::ffff:10.0.0.1')), '10.0.0.1');
  t.equal(formatIp(ipToBytes('2001:db8:1:2:3:4:5:6')), '2001:db8:1:2:3:4:5:6');
});
