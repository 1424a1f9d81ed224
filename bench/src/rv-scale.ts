/**
 * The rendezvous at scale (issue 8: "one million rendezvous registrations stored with TO1 lookups
 * staying within 20% of the 10,000-registration figure"). Real devices run DI and their owner runs
 * TO0 through the services; then the registration table is padded with copies of a real row under
 * fresh random GUIDs, directly in SQL (set-up only: TO0 at 1,000,000 would take hours of signatures
 * and measure TO0, not the lookup), first to 10,000 rows, TO1 measured, then to the large count, TO1
 * measured again. TO1 of the real devices then looks up one GUID among all of them, by primary key.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuDelta, postgresPids, snapshot } from './cpu.js';
import { attachVouchers, diPhase, exportVouchers, makeDevices, newAgent, to0Phase, to1Phase } from './phases.js';
import { describeMachine, machine, printPhase, protocolReport, type PhaseReport, type RunReport } from './report.js';
import { startServices, type DatabaseKind } from './servers.js';

export interface RvScaleOptions {
  devices: number;
  concurrency: number;
  registrations: number;
  /** TO1 exchanges per device at each size (default: at least 5, at least 5,000 exchanges in all). */
  rounds?: number;
  db: DatabaseKind;
  postgresUrl?: string;
  keep: boolean;
  log: (line: string) => void;
  progress: (line: string) => void;
  out: (line: string) => void;
}

const COLUMNS =
  'to1d, device_key, owner_key_fingerprint, voucher_header_hash, voucher_entry_hash, wait_seconds, registered_at, expires_at';

/** Adds rows until the table holds `total`; returns the count. */
async function padTo(db: DatabaseKind, url: string, total: number, log: (l: string) => void): Promise<number> {
  const batch = 100_000;
  if (db === 'sqlite') {
    const sqlite = new Database(url.replace(/^file:/, ''));
    try {
      sqlite.pragma('busy_timeout = 30000');
      const count = () => (sqlite.prepare('SELECT count(*) AS n FROM rv_registration').get() as { n: number }).n;
      // GUIDs as the service writes them: 8-4-4-4-12 lower-case hex.
      const insert = sqlite.prepare(`
        WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?)
        INSERT INTO rv_registration (guid, ${COLUMNS})
        SELECT substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-' || substr(h, 13, 4) || '-' || substr(h, 17, 4) || '-' || substr(h, 21, 12),
               ${COLUMNS}
        FROM (SELECT lower(hex(randomblob(16))) AS h FROM s), (SELECT ${COLUMNS} FROM rv_registration LIMIT 1)`);
      for (let n = count(); n < total; n = count()) {
        insert.run(Math.min(batch, total - n));
        log(`registrations: ${count()}/${total}`);
      }
      sqlite.exec('ANALYZE');
      return count();
    } finally {
      sqlite.close();
    }
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const count = async () => Number((await client.query('SELECT count(*) AS n FROM rv_registration')).rows[0].n);
    for (let n = await count(); n < total; n = await count()) {
      await client.query(
        `INSERT INTO rv_registration (guid, ${COLUMNS})
         SELECT gen_random_uuid()::text, ${COLUMNS}
         FROM generate_series(1, $1), (SELECT ${COLUMNS} FROM rv_registration LIMIT 1) AS template`,
        [Math.min(batch, total - n)],
      );
      log(`registrations: ${await count()}/${total}`);
    }
    await client.query('VACUUM ANALYZE rv_registration');
    return await count();
  } finally {
    await client.end();
  }
}

export async function runRvScale(options: RvScaleOptions): Promise<RunReport> {
  const report: RunReport = {
    scenario: 'rv-scale',
    startedAt: new Date().toISOString(),
    machine: machine(),
    options: {
      devices: options.devices,
      concurrency: options.concurrency,
      db: options.db,
      registrations: options.registrations,
    },
    phases: [],
  };
  options.out(
    `FDO load generator: rendezvous at scale on ${options.db}, TO1 of ${options.devices} devices at 10,000 and at ` +
      `${options.registrations.toLocaleString('en-US')} registrations; ${describeMachine(report.machine)}`,
  );
  const deployment = await startServices({
    db: options.db,
    keep: options.keep,
    log: options.log,
    ...(options.postgresUrl === undefined ? {} : { postgresUrl: options.postgresUrl }),
  });
  const agent = newAgent(options.concurrency);
  const rt = (label: string) => ({
    dispatcher: agent,
    concurrency: options.concurrency,
    progress: (done: number, total: number) => {
      if (done % 200 === 0 || done === total) options.progress(`${label}: ${done}/${total}`);
    },
  });
  const dir = mkdtempSync(join(tmpdir(), 'fdo-bench-rv-'));
  try {
    const devices = makeDevices(options.devices, Date.now().toString(36));
    await diPhase(devices, deployment.manufacturer, rt('DI'));
    const bundle = join(dir, 'vouchers.pem');
    await exportVouchers(agent, deployment.manufacturer[0]!, deployment.manufacturerToken, bundle);
    attachVouchers(devices, bundle);
    const to0 = await to0Phase(devices, deployment.rendezvous, deployment.ownerKey!, deployment.owner[0]!, rt('TO0'));
    if (to0.runs.count === 0) throw new Error(`TO0 failed for every device: ${[...to0.examples.values()].join('; ')}`);
    const rvDb = deployment.databases.rendezvous!;
    const rvPid = deployment.processes.find((p) => p.service === 'rendezvous')!.pid;
    const rounds = options.rounds ?? Math.max(5, Math.ceil(5000 / options.devices));
    for (const total of [10_000, options.registrations]) {
      const started = Date.now();
      const rows = await padTo(options.db, rvDb, total, options.progress);
      options.log(
        `${rows.toLocaleString('en-US')} registrations stored (${((Date.now() - started) / 1000).toFixed(1)} s)`,
      );
      // One warm-up round (connections, JIT), then the measured rounds.
      await to1Phase(devices, deployment.rendezvous, 1, rt('TO1 warm-up'));
      const groups = { rendezvous: [rvPid], ...(options.db === 'postgres' ? { postgres: postgresPids() } : {}) };
      const before = snapshot(groups);
      const start = performance.now();
      const to1 = await to1Phase(devices, deployment.rendezvous, rounds, rt(`TO1 at ${rows}`));
      const wallSeconds = (performance.now() - start) / 1000;
      const serverCpuMs = cpuDelta(before, snapshot(groups));
      const completed = to1.runs.count;
      const phase: PhaseReport = {
        phase: `TO1 at ${rows.toLocaleString('en-US')} registrations`,
        items: devices.length * rounds,
        completed,
        errors: to1.errorCount,
        wallSeconds,
        perSecond: completed / wallSeconds,
        serverCpuMs,
        serverCpuMsPerItem: Object.fromEntries(Object.entries(serverCpuMs).map(([k, v]) => [k, v / completed])),
        perCore: serverCpuMs.rendezvous! > 0 ? (completed * 1000) / serverCpuMs.rendezvous! : null,
        perCoreOf: ['rendezvous'],
        loadGeneratorCpuMs: 0,
        peakRssMiB: {},
        protocols: { TO1: protocolReport(to1) },
        notes: [`${rows} registrations in rv_registration`],
      };
      printPhase(phase, options.out);
      report.phases.push(phase);
    }
    const [small, large] = report.phases;
    if (small !== undefined && large !== undefined) {
      const change = (a: number, b: number) => `${(((b - a) / a) * 100).toFixed(1)}%`;
      options.out(
        `\nTO1 at ${options.registrations.toLocaleString('en-US')} vs 10,000 registrations: throughput ${change(small.perSecond, large.perSecond)}, ` +
          `per core ${change(small.perCore ?? 1, large.perCore ?? 1)}, p50 ${change(small.protocols.TO1!.runs.p50Ms, large.protocols.TO1!.runs.p50Ms)}`,
      );
    }
    return report;
  } finally {
    await agent.close();
    await deployment.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
