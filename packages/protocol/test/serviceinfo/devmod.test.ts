import t from 'tap';
import {
  devmodMessages,
  newOwnerServiceInfoState,
  ownerServiceInfoStep,
  parseDevmod,
} from '../../src/serviceinfo/index.js';
import { serviceInfoKV } from '../../src/types/service-info.js';

const info = { os: 'Linux', arch: 'aarch64', version: '6.6', device: 'board-7', sn: 'SN-9' };

t.test('FDO 1.1 §3.8.3 devmod: what the device sends, the owner reads back', async (t) => {
  const facts = parseDevmod(devmodMessages(info, ['fdo.download']));
  t.match(facts, {
    os: 'Linux',
    arch: 'aarch64',
    version: '6.6',
    device: 'board-7',
    sn: 'SN-9',
    sep: ';',
    bin: 'aarch64',
  });
  t.same(facts.modules, ['devmod', 'fdo.download']);
  t.same(JSON.parse(JSON.stringify(facts)), facts, 'JSON-serialisable');
});

t.test('devmod: missing required keys and inconsistent counts are message body errors (100)', async (t) => {
  const all = devmodMessages(info, []);
  t.throws(() => parseDevmod(all.filter((kv) => kv.key !== 'devmod:os')), {
    fdoCode: 100,
    message: /devmod:os/,
  } as object as Error);
  t.throws(() => parseDevmod(all.filter((kv) => kv.key !== 'devmod:modules')), { message: /devmod:modules/ });
  const wrongCount = [...all.filter((kv) => kv.key !== 'devmod:nummodules'), serviceInfoKV('devmod', 'nummodules', 3)];
  t.throws(() => parseDevmod(wrongCount), { message: /nummodules is 3/ });
});

t.test('owner driver: no modules → IsDone after devmod; device batches spanning messages are collected', async (t) => {
  const ctx = { modules: [], guid: 'g', nextGuid: 'g', tags: [], budget: 1300, maxRounds: 10 };
  const entries = devmodMessages(info, []);
  let step = await ownerServiceInfoStep(
    newOwnerServiceInfoState(),
    { isMoreServiceInfo: true, serviceInfo: entries.slice(0, 3) },
    ctx,
  );
  t.same(step.reply, { isMoreServiceInfo: false, isDone: false, serviceInfo: [] });
  step = await ownerServiceInfoStep(step.state, { isMoreServiceInfo: false, serviceInfo: entries.slice(3) }, ctx);
  t.equal(step.reply.isDone, true);
  t.equal(step.state.devmod?.os, 'Linux');
  await t.rejects(ownerServiceInfoStep(step.state, { isMoreServiceInfo: false, serviceInfo: [] }, ctx), {
    message: /after IsDone/,
  });
});
