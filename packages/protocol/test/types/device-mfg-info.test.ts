import t from 'tap';
import { decode } from '../../src/cbor/codec.js';
import { MessageBodyError } from '../../src/errors.js';
import { DeviceMfgInfo } from '../../src/types/device-mfg-info.js';
import { PkEnc, PkType } from '../../src/types/public-key.js';

const csr = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]);

t.test('DeviceMfgInfo (go-fdo custom/di.go, pri-fidoiot layout) round trips', async (t) => {
  const info = new DeviceMfgInfo(PkType.SECP256R1, PkEnc.X509, 'SN-1', 'model', csr);
  const bytes = info.encode();
  t.same(decode(bytes), [10, 1, 'SN-1', 'model', csr]);
  const back = DeviceMfgInfo.decode(bytes);
  t.same(back, info);
  t.same(back.encode(), bytes);
});

t.test('trailing C-client items are kept', async (t) => {
  const info = DeviceMfgInfo.fromCbor([11, 2, 's', 'd', csr, new Uint8Array(2), new Uint8Array(3)]);
  t.equal(info.extra.length, 2);
  t.equal(info.toCbor().length, 7);
});

t.test('malformed DeviceMfgInfo is a message body error', async (t) => {
  for (const v of [
    [10, 1, 's', 'd'],
    [99, 1, 's', 'd', csr],
    [10, 9, 's', 'd', csr],
    [10, 1, 5, 'd', csr],
    [10, 1, 's', 'd', 'csr'],
    new Map(),
  ]) {
    t.throws(() => DeviceMfgInfo.fromCbor(v), MessageBodyError);
  }
});
