/**
 * Values split across ServiceInfo entries (FDO 1.1 §3.9; go-fdo `serviceinfo/chunk.go` streams a
 * value's CBOR across consecutive entries with the same key): split, join, and data room.
 */
import t from 'tap';
import { encode } from '../../src/cbor/codec.js';
import { dataRoom, joinValues, splitValue, ValueJoiner } from '../../src/serviceinfo/chunk.js';
import { kvSize } from '../../src/types/service-info.js';

t.test('a value larger than the budget is split into entries that each fit, and joined back', async (t) => {
  const value = 'x'.repeat(3000);
  for (const budget of [40, 256, 1300]) {
    const parts = splitValue('fdo.csr:cacerts-res', encode(value), budget);
    t.ok(parts.length > 1, `${parts.length} entries at ${budget}`);
    t.ok(
      parts.every((p) => kvSize(p) <= budget),
      'each entry fits',
    );
    t.same(joinValues(parts), [{ key: 'fdo.csr:cacerts-res', value }]);
  }
  t.same(splitValue('a:b', encode(1), 100), [{ key: 'a:b', value: encode(1) }], 'one entry when it fits');
  t.throws(() => splitValue('a-long-module:message', encode('x'.repeat(100)), 20), RangeError);
});

t.test('consecutive whole values with the same key stay separate messages', async (t) => {
  const kvs = [1, 2].map((n) => ({ key: 'fdo.download:data', value: encode(new Uint8Array(n)) }));
  t.same(
    joinValues(kvs).map((m) => m.value),
    [new Uint8Array(1), new Uint8Array(2)],
  );
});

t.test('a split value may span calls; one left incomplete is a message body error', async (t) => {
  const parts = splitValue('m:v', encode('y'.repeat(500)), 100);
  const joiner = new ValueJoiner();
  t.same(joiner.push(parts[0]!), []);
  t.ok(joiner.pending);
  t.throws(() => joinValues(parts.slice(0, -1)), { code: 'ERR_FDO_MESSAGE_BODY' });
  t.throws(() => joinValues([parts[0]!, { key: 'other:key', value: encode(1) }]), { code: 'ERR_FDO_MESSAGE_BODY' });
});

t.test('dataRoom: the largest data block that fits as bstr .cbor bstr', async (t) => {
  for (const budget of [30, 255, 256, 300, 1299, 70000]) {
    const key = 'fdo.download:data';
    const n = dataRoom(key, budget);
    t.ok(kvSize({ key, value: encode(new Uint8Array(n)) }) <= budget, `${n} fits in ${budget}`);
    t.ok(kvSize({ key, value: encode(new Uint8Array(n + 1)) }) > budget || n + 1 > budget, `${n + 1} does not`);
  }
});
