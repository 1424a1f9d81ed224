/**
 * The load generator must not rot: every scenario once with a handful of devices, on SQLite, against
 * the services started as child processes (they must be built: `npm run build`). Only completion and
 * the absence of errors are checked here — speed is measured by the bench commands, never by a test.
 */
import t, { type Test } from 'tap';
import { runBenchmark, runRvScale, SCENARIOS, type RunReport } from '../src/index.js';

const quiet = { log: () => {}, progress: () => {}, out: () => {} };

function allDone(t: Test, report: RunReport, phases: string[]) {
  t.same(
    report.phases.map((p) => p.phase),
    phases,
  );
  for (const p of report.phases) {
    t.equal(
      p.errors,
      0,
      `${p.phase}: no errors (${JSON.stringify(Object.values(p.protocols).map((x) => x.errorExamples))})`,
    );
    t.equal(p.completed, p.items, `${p.phase}: ${p.completed}/${p.items} completed`);
    t.ok(p.items > 0, `${p.phase}: did something`);
  }
}

const expected: Record<(typeof SCENARIOS)[number], string[]> = {
  di: ['DI'],
  import: ['voucher import (streamed, one request)'],
  to0: ['DI', 'voucher import', 'TO0'],
  to1: ['DI', 'voucher import', 'TO0', 'TO1'],
  to2: ['DI', 'voucher import', 'TO0', 'TO1 + TO2'],
};

for (const scenario of SCENARIOS) {
  t.test(`bench ${scenario}: 5 devices on SQLite`, async (t) => {
    const report = await runBenchmark({
      ...quiet,
      scenario,
      devices: 5,
      concurrency: 2,
      vouchers: 5,
      rounds: 2,
      warmup: 2,
      db: 'sqlite',
      instances: 1,
      keep: false,
      // The services pinned to the first CPU (taskset), as `--server-cpus 0` does.
      ...(scenario === 'to2' ? { serverCpus: '0' } : {}),
    });
    allDone(t, report, expected[scenario]);
    // Each run records the machine's P-256 rates, so figures from two machines can be compared.
    const { crypto } = report.machine;
    t.ok(crypto.p256SignPerSecond > 0 && crypto.p256VerifyPerSecond > 0, 'the machine is calibrated');
    t.equal(crypto.relativeToReference, Math.round((crypto.p256VerifyPerSecond / 11_000) * 100) / 100);
    if (scenario !== 'import') {
      // The warm-up devices ran first and are not counted: the measured phases saw the 5 devices.
      t.equal(report.phases[0]!.items, 5, 'warm-up devices are not measured');
    }
    if (scenario === 'to2') {
      const to2 = report.phases.at(-1)!.protocols.TO2!;
      t.same(Object.keys(to2.messages), [
        'TO2.HelloDevice (60)',
        'TO2.GetOVNextEntry (62)',
        'TO2.ProveDevice (64)',
        'TO2.DeviceServiceInfoReady (66)',
        'TO2.DeviceServiceInfo (68)',
        'TO2.Done (70)',
      ]);
      t.ok(report.phases.at(-1)!.serverCpuMs.owner! >= 0, 'owner CPU read from /proc');
    }
  });
}

t.test('bench rv-scale: TO1 at 10,000 and 10,500 registrations on SQLite', async (t) => {
  const report = await runRvScale({
    ...quiet,
    devices: 5,
    concurrency: 2,
    registrations: 10_500,
    db: 'sqlite',
    keep: false,
  });
  allDone(t, report, ['TO1 at 10,000 registrations', 'TO1 at 10,500 registrations']);
});
