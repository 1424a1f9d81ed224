/**
 * Sustained load (issue 9, not in CI): full onboardings (DI → import → TO0 → TO1 → TO2) against the three
 * services in this process for `--minutes`, `--concurrency` devices at a time, sampling memory (RSS and
 * heap after a forced GC when run with --expose-gc) every `--sample` seconds. Reports onboardings per
 * second, failures and lost registrations, and the memory figures first/last/max, to show it stays flat.
 *
 *   npm run load -- --minutes 10 [--concurrency 4] [--postgres]
 */
import { parseArgs } from 'node:util';
import { httpTransport } from '@fdo/client-kit';
import { runTO1, runTO2 } from '@fdo/protocol';
import { postgresTarget, sqliteTarget } from '@fdo/storage/testing';
import { manufactureAndImport, register, startPlatform } from '../harness/index.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '4' },
    sample: { type: 'string', default: '30' },
    postgres: { type: 'boolean', default: false },
  },
});

const teardowns: (() => unknown)[] = [];
const ctx = {
  teardown: (fn: () => unknown) => void teardowns.push(fn),
  comment: (...m: unknown[]) => console.log(...m),
};
const db = values.postgres ? await postgresTarget(ctx) : sqliteTarget(ctx);
if (db === null) throw new Error('PostgreSQL is not reachable');
const p = await startPlatform(ctx, db);
const devmod = { os: 'Linux', arch: 'x86_64', version: '6.1', device: 'load', sn: 'SN-LOAD' };
const end = Date.now() + Number(values.minutes) * 60_000;
let onboarded = 0;
let registered = 0;
const failures: string[] = [];

const gc = (globalThis as { gc?: () => void }).gc;
const samples: { at: number; rssMiB: number; heapMiB: number; onboarded: number }[] = [];
const sample = () => {
  gc?.();
  const m = process.memoryUsage();
  samples.push({
    at: Math.round((Date.now() - (end - Number(values.minutes) * 60_000)) / 1000),
    rssMiB: Math.round(m.rss / 2 ** 20),
    heapMiB: Math.round(m.heapUsed / 2 ** 20),
    onboarded,
  });
  console.log(JSON.stringify(samples.at(-1)));
};
sample();
const timer = setInterval(sample, Number(values.sample) * 1000);

async function worker(): Promise<void> {
  while (Date.now() < end) {
    try {
      const d = await manufactureAndImport(p);
      await register(p, d);
      registered++;
      const rv = httpTransport(p.rendezvous.url);
      const to1 = await runTO1(rv, { credential: d.credential, deviceKey: d.deviceKey.privateKey }).finally(() =>
        rv.close(),
      );
      const owner = httpTransport(to1.addresses[0]!.toUrl());
      await runTO2(owner, {
        credential: d.credential,
        deviceKey: d.deviceKey.privateKey,
        to1d: to1.to1d,
        devmod,
      }).finally(() => owner.close());
      onboarded++;
    } catch (err) {
      if (failures.length < 20) failures.push((err as Error).message);
    }
  }
}

await Promise.all(Array.from({ length: Number(values.concurrency) }, worker));
clearInterval(timer);
sample();
const onboardedRows = await p.store.prisma.ownerVoucher.count({ where: { state: 'onboarded' } });
const first = samples[1] ?? samples[0]!;
const last = samples.at(-1)!;
console.log(
  JSON.stringify({
    database: db.name,
    minutes: Number(values.minutes),
    onboarded,
    registered,
    onboardedRows,
    lost: registered - onboarded - failures.length,
    failures,
    perSecond: +(onboarded / (Number(values.minutes) * 60)).toFixed(2),
    rssMiB: { first: first.rssMiB, last: last.rssMiB, max: Math.max(...samples.map((s) => s.rssMiB)) },
    heapMiB: { first: first.heapMiB, last: last.heapMiB, max: Math.max(...samples.map((s) => s.heapMiB)) },
  }),
);
for (const fn of teardowns.reverse()) await fn();
process.exit(failures.length > 0 || onboardedRows !== onboarded ? 1 : 0);
