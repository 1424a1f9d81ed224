import t from 'tap';
import { decode, encode } from '../../src/cbor/codec.js';
import { MessageBodyError } from '../../src/errors.js';
import {
  Devmod,
  DEVMOD_REQUIRED,
  kvSize,
  kvValue,
  packServiceInfo,
  serviceInfoFromCbor,
  serviceInfoKV,
  serviceInfoSize,
  serviceInfoToCbor,
  splitKey,
  type ServiceInfoKV,
} from '../../src/types/service-info.js';

t.test('§3.8 ServiceInfo builds, encodes and splits keys', async (t) => {
  const si = [serviceInfoKV('devmod', 'active', true), serviceInfoKV('devmod', 'os', 'Linux')];
  t.same(si[0], { key: Devmod.active, value: new Uint8Array([0xf5]) });
  const bytes = encode(serviceInfoToCbor(si));
  t.same(serviceInfoFromCbor(decode(bytes)), si);
  t.same(splitKey('fdo.download:data'), { module: 'fdo.download', message: 'data' });
  t.same(splitKey('a:b:c'), { module: 'a', message: 'b:c' });
  t.same(splitKey('x'), { module: 'x', message: '' });
  t.equal(kvValue(si[1]!), 'Linux');
  t.throws(() => kvValue({ key: 'k', value: new Uint8Array([0x82, 1]) }), MessageBodyError);
  t.equal(DEVMOD_REQUIRED.length, 9);
});

t.test('sizes are exact CBOR sizes', async (t) => {
  const lengths = [0, 1, 23, 24, 255, 256, 1000, 65535, 65536];
  const entries: ServiceInfoKV[] = lengths.map((n, i) => ({
    key: 'm:'.padEnd(2 + ((i * 7) % 30), 'k'),
    value: new Uint8Array(n),
  }));
  for (const kv of entries) t.equal(kvSize(kv), encode([kv.key, kv.value]).length, `value ${kv.value.length}`);
  t.equal(kvSize({ key: 'é:ü', value: new Uint8Array(1) }), encode(['é:ü', new Uint8Array(1)]).length);
  for (const n of [0, 1, 23, 24, 30, 300]) {
    const si = Array.from({ length: n }, (_, i) => ({ key: `m:${i}`, value: new Uint8Array(i % 40) }));
    t.equal(serviceInfoSize(si), encode(serviceInfoToCbor(si)).length, `${n} entries`);
  }
});

t.test('packServiceInfo fills groups up to the size and never over', async (t) => {
  const entries = Array.from({ length: 200 }, (_, i) => ({
    key: `mod:msg${i}`,
    value: new Uint8Array((i * 37) % 120),
  }));
  for (const max of [140, 300, 1300]) {
    const groups = packServiceInfo(entries, max);
    t.same(groups.flat(), entries, `order kept at ${max}`);
    for (let g = 0; g < groups.length; g++) {
      const size = encode(serviceInfoToCbor(groups[g]!)).length;
      t.ok(size <= max, `group ${g} fits ${max}`);
      if (g + 1 < groups.length) t.ok(size + kvSize(groups[g + 1]![0]!) + 1 > max, 'greedy');
    }
  }
  const tiny = Array.from({ length: 30 }, () => ({ key: 'a:b', value: new Uint8Array(1) }));
  t.equal(packServiceInfo(tiny, serviceInfoSize(tiny)).length, 1, 'array head growth accounted');
  t.equal(packServiceInfo(tiny, serviceInfoSize(tiny) - 1).length, 2);
  t.throws(() => packServiceInfo([{ key: 'a:b', value: new Uint8Array(200) }], 100), RangeError);
  t.same(packServiceInfo([], 100), []);
});

t.test('malformed ServiceInfo is a message body error', async (t) => {
  for (const v of [new Map(), [['k']], [[1, new Uint8Array(0)]], [['k', 'v']], ['x']]) {
    t.throws(() => serviceInfoFromCbor(v), MessageBodyError);
  }
});
