/**
 * `fdo-bench SCENARIO [options]`: the FDO load generator (issue 8). From the repository root:
 *
 *   npm run bench:di -- --devices 2000 --concurrency 32
 *   npm run bench:import -- --vouchers 100000
 *   npm run bench:to0 | bench:to1 | bench:to2 -- --devices 1000 --db postgres
 *   npm run bench:rv-scale -- --registrations 1000000
 *
 * Figures go to stdout, progress to stderr; `--json FILE` also writes them as JSON.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runBenchmark, SCENARIOS, type RunOptions, type Scenario } from './run.js';
import { runRvScale } from './rv-scale.js';
import { DEVICE_CA_CHOICES, type DeviceCaChoice } from './servers.js';

export const USAGE = `Usage: fdo-bench SCENARIO [options]

Scenarios (each runs the phases before it as set-up, and reports every phase):
  di        DI of --devices devices at the manufacturer
  import    one streamed import of --vouchers synthetic one-entry P-256 vouchers at the owner
  to0       DI, voucher export and import, TO0 of every voucher
  to1       … then TO1 of every device, --rounds times
  to2       … then TO1 + TO2 (devmod only) of every device: complete onboardings
  rv-scale  TO1 throughput at 10,000 and at --registrations registrations (bulk-inserted)

Options:
  --devices N            simulated devices (default 200)
  --concurrency N        devices in flight at once (default 16)
  --warmup N             more devices that run each protocol phase first, unmeasured, so that the figures
                         are of warm servers (V8 compiles the hot paths over the first thousand or so
                         requests; default: a quarter of --devices, at most 500; 0: none)
  --vouchers N           vouchers for the import scenario (default 10000)
  --rounds N             TO1 exchanges per device: to1 scenario (default 1); rv-scale (default: 5,000 in all)
  --registrations N      rv-scale: registrations in the large round (default 1000000)
  --db sqlite|postgres   database of the services started here (default sqlite)
  --postgres-url URL     PostgreSQL server for --db postgres (default FDO_BENCH_POSTGRES_URL,
                         FDO_TEST_POSTGRES_URL or postgresql://postgres@127.0.0.1:5432/postgres)
  --instances N          instances of each service on one database (default 1)
  --json FILE            also write the figures as JSON
  --keep                 keep the services' data and databases afterwards
  --server-cpus LIST     pin the services started here to these CPUs (taskset -c LIST), e.g. 1 with the
                         load generator on the others: taskset -c 0 npm run bench:to2 -- --server-cpus 1
  --device-ca ec256|service   the manufacturer's device CA: a P-256 CA made here (default; the targets are
                         for P-256 keys) or the one the manufacturer generates itself (P-384)

Against running servers (ours or another implementation) instead of starting them:
  --manufacturer URL     DI (repeat or comma-separate for several instances)
  --rendezvous URL       TO0 and TO1
  --owner URL            voucher import (our management API) and TO2
  --manufacturer-token T / --owner-token T   management-API tokens (export, import)
  --owner-key FILE       the owner private key (PEM) that TO0 signs with and vouchers are extended to
  --server-pid NAME=PID  attribute the CPU of process PID to NAME (repeatable)
`;

class UsageError extends Error {}

/** The integer option `--name` (at least `min`), or `fallback` when it is not given. */
function intOption(name: string, value: string | undefined, fallback: number, min: 0 | 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new UsageError(`--${name} must be ${min === 0 ? '0 or ' : ''}a positive integer, not "${value}"`);
  }
  return n;
}

const positiveInt = (name: string, value: string | undefined, fallback: number) => intOption(name, value, fallback, 1);

const urls = (values: string[] | undefined) => (values ?? []).flatMap((v) => v.split(',')).filter((v) => v !== '');

function parse(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      devices: { type: 'string' },
      concurrency: { type: 'string' },
      vouchers: { type: 'string' },
      rounds: { type: 'string' },
      registrations: { type: 'string' },
      db: { type: 'string' },
      'postgres-url': { type: 'string' },
      instances: { type: 'string' },
      json: { type: 'string' },
      keep: { type: 'boolean' },
      'device-ca': { type: 'string' },
      warmup: { type: 'string' },
      'server-cpus': { type: 'string' },
      manufacturer: { type: 'string', multiple: true },
      rendezvous: { type: 'string', multiple: true },
      owner: { type: 'string', multiple: true },
      'manufacturer-token': { type: 'string' },
      'owner-token': { type: 'string' },
      'owner-key': { type: 'string' },
      'server-pid': { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  return { values, positionals };
}

function externalOf(values: ReturnType<typeof parse>['values']): RunOptions['external'] {
  const manufacturer = urls(values.manufacturer);
  const rendezvous = urls(values.rendezvous);
  const owner = urls(values.owner);
  if (manufacturer.length + rendezvous.length + owner.length === 0) return undefined;
  const pids: Record<string, number[]> = {};
  for (const entry of values['server-pid'] ?? []) {
    const m = /^([\w.-]+)=(\d+)$/.exec(entry);
    if (m === null) throw new UsageError(`--server-pid takes NAME=PID, not "${entry}"`);
    (pids[m[1]!] ??= []).push(Number(m[2]));
  }
  return {
    manufacturer,
    rendezvous,
    owner,
    pids,
    ...(values['manufacturer-token'] === undefined ? {} : { manufacturerToken: values['manufacturer-token'] }),
    ...(values['owner-token'] === undefined ? {} : { ownerToken: values['owner-token'] }),
    ...(values['owner-key'] === undefined ? {} : { ownerKeyPem: readFileSync(values['owner-key'], 'utf8') }),
  };
}

/** Runs the command line; resolves with the exit code. */
export async function runBenchCli(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parse(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const scenario = positionals[0];
  const tty = process.stderr.isTTY;
  const log = (line: string) => process.stderr.write(`${tty ? '\r\x1b[K' : ''}${line}\n`);
  const progress = (line: string) => process.stderr.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
  const out = (line: string) => {
    if (tty) process.stderr.write('\r\x1b[K');
    process.stdout.write(`${line}\n`);
  };
  try {
    if (positionals.length !== 1 || !([...SCENARIOS, 'rv-scale'] as string[]).includes(scenario!)) {
      throw new UsageError(`name one scenario: ${[...SCENARIOS, 'rv-scale'].join(', ')}`);
    }
    const db = values.db ?? 'sqlite';
    if (db !== 'sqlite' && db !== 'postgres') throw new UsageError(`--db must be sqlite or postgres, not "${db}"`);
    const deviceCa = values['device-ca'] ?? 'ec256';
    if (!(DEVICE_CA_CHOICES as readonly string[]).includes(deviceCa)) {
      throw new UsageError(`--device-ca must be ${DEVICE_CA_CHOICES.join(' or ')}, not "${deviceCa}"`);
    }
    const serverCpus = values['server-cpus'];
    if (serverCpus !== undefined && !/^\d+([-,]\d+)*$/.test(serverCpus)) {
      throw new UsageError(`--server-cpus takes a CPU list such as 1 or 2-3, not "${serverCpus}"`);
    }
    const devices = positiveInt('devices', values.devices, 200);
    const common = {
      devices,
      concurrency: positiveInt('concurrency', values.concurrency, 16),
      db: db as 'sqlite' | 'postgres',
      ...(values['postgres-url'] === undefined ? {} : { postgresUrl: values['postgres-url'] }),
      keep: values.keep ?? false,
      log,
      progress,
      out,
    };
    const report =
      scenario === 'rv-scale'
        ? await runRvScale({
            ...common,
            registrations: positiveInt('registrations', values.registrations, 1_000_000),
            ...(values.rounds === undefined ? {} : { rounds: positiveInt('rounds', values.rounds, 5) }),
          })
        : await runBenchmark({
            ...common,
            scenario: scenario as Scenario,
            vouchers: positiveInt('vouchers', values.vouchers, 10_000),
            rounds: positiveInt('rounds', values.rounds, 1),
            warmup: intOption('warmup', values.warmup, Math.min(500, Math.floor(devices / 4)), 0),
            ...(serverCpus === undefined ? {} : { serverCpus }),
            instances: positiveInt('instances', values.instances, 1),
            deviceCa: deviceCa as DeviceCaChoice,
            external: externalOf(values),
          });
    if (values.json !== undefined) {
      writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
      log(`figures written to ${values.json}`);
    }
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n\n${USAGE}`);
      return 2;
    }
    log(`fdo-bench: ${(err as Error).stack ?? String(err)}`);
    return 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await runBenchCli(process.argv.slice(2));
}
