/**
 * One benchmark run: starts our services (or takes the URLs of running ones), runs the scenario's
 * phases in order, and measures each: wall time, the load generator's own CPU, every server's CPU
 * (and PostgreSQL's), peak memory, and the protocol statistics.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { privateKeyFromPem, type PrivateKeyDer } from '@fdo/protocol';
import { cpuDelta, postgresPids, snapshot, watchPeakRss } from './cpu.js';
import {
  attachVouchers,
  diPhase,
  exportVouchers,
  importVouchers,
  makeDevices,
  newAgent,
  onboardPhase,
  to0Phase,
  to1Phase,
  type Runtime,
} from './phases.js';
import { describeMachine, machine, printPhase, protocolReport, type PhaseReport, type RunReport } from './report.js';
import {
  startServices,
  type DatabaseKind,
  type Deployment,
  type DeviceCaChoice,
  type ServerProcess,
} from './servers.js';
import { ProtocolStats } from './stats.js';
import { writeSyntheticVouchers } from './synthetic.js';

export const SCENARIOS = ['di', 'import', 'to0', 'to1', 'to2'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface RunOptions {
  scenario: Scenario;
  devices: number;
  concurrency: number;
  /** Vouchers of the import scenario. */
  vouchers: number;
  /** TO1 exchanges per device in the to1 scenario. */
  rounds: number;
  /**
   * Devices that go through each protocol phase first, unmeasured, so that the figures are of servers
   * past their JIT warm-up (V8 compiles the hot paths in the first thousand or so requests).
   */
  warmup: number;
  db: DatabaseKind;
  postgresUrl?: string;
  instances: number;
  keep: boolean;
  /** The manufacturer's device CA when the services are started here (default ec256). */
  deviceCa?: DeviceCaChoice;
  /** CPUs the services started here are pinned to (taskset's list), or all. */
  serverCpus?: string;
  /** External servers: when any is given, nothing is started. */
  external?: {
    manufacturer: string[];
    rendezvous: string[];
    owner: string[];
    manufacturerToken?: string;
    ownerToken?: string;
    ownerKeyPem?: string;
    /** CPU attribution for external servers: group name → PIDs. */
    pids: Record<string, number[]>;
  };
  /** Progress and log lines (stderr). */
  log: (line: string) => void;
  progress: (line: string) => void;
  /** Figures (stdout). */
  out: (line: string) => void;
}

interface Measured {
  completed: number;
  items: number;
  protocols: Record<string, ProtocolStats>;
  perCoreOf: string[];
  notes?: string[];
}

function groupsOf(deployment: Deployment, external: RunOptions['external']): Record<string, number[]> {
  const groups: Record<string, number[]> = {};
  for (const p of deployment.processes) (groups[p.service] ??= []).push(p.pid);
  for (const [name, pids] of Object.entries(external?.pids ?? {})) groups[name] = pids;
  return groups;
}

async function measure(
  name: string,
  deployment: Deployment,
  options: RunOptions,
  body: () => Promise<Measured>,
): Promise<PhaseReport> {
  const groups = groupsOf(deployment, options.external);
  const withPg = options.db === 'postgres' || options.external !== undefined;
  const all = () => ({ ...groups, ...(withPg ? { postgres: postgresPids() } : {}) });
  const rssOf: Record<string, number> = Object.fromEntries(
    deployment.processes.map((p: ServerProcess, i) => [`${p.service}${i >= 3 ? `#${i}` : ''}`, p.pid]),
  );
  const stopRss = watchPeakRss(rssOf);
  const before = snapshot(all());
  const selfBefore = process.cpuUsage();
  const start = performance.now();
  const m = await body();
  const wallSeconds = (performance.now() - start) / 1000;
  const self = process.cpuUsage(selfBefore);
  const serverCpuMs = cpuDelta(before, snapshot(all()));
  const peakRssMiB = stopRss();
  const perItem = Object.fromEntries(Object.entries(serverCpuMs).map(([k, v]) => [k, v / Math.max(1, m.completed)]));
  const coreMs = m.perCoreOf.reduce((a, g) => a + (serverCpuMs[g] ?? 0), 0);
  const errors = Object.values(m.protocols).reduce((a, p) => a + p.errorCount, 0);
  const report: PhaseReport = {
    phase: name,
    items: m.items,
    completed: m.completed,
    errors,
    wallSeconds,
    perSecond: m.completed / wallSeconds,
    serverCpuMs,
    serverCpuMsPerItem: perItem,
    perCore: coreMs > 0 ? (m.completed * 1000) / coreMs : null,
    perCoreOf: m.perCoreOf,
    loadGeneratorCpuMs: (self.user + self.system) / 1000,
    peakRssMiB,
    protocols: Object.fromEntries(Object.entries(m.protocols).map(([k, s]) => [k, protocolReport(s)])),
    notes: m.notes ?? [],
  };
  printPhase(report, options.out);
  return report;
}

function progressOf(options: RunOptions, label: string): Runtime['progress'] {
  let last = 0;
  return (done, total, errors) => {
    const now = Date.now();
    if (done !== total && now - last < 1000) return;
    last = now;
    options.progress(`${label}: ${done}/${total}${errors > 0 ? ` (${errors} errors)` : ''}`);
  };
}

async function deploy(options: RunOptions): Promise<Deployment> {
  const ext = options.external;
  if (ext === undefined) {
    options.log(
      `starting the services on ${options.db} (${options.instances} instance(s) each; device CA: ${options.deviceCa ?? 'ec256'})…`,
    );
    return startServices({
      db: options.db,
      instances: options.instances,
      keep: options.keep,
      log: options.log,
      ...(options.deviceCa === undefined ? {} : { deviceCa: options.deviceCa }),
      ...(options.serverCpus === undefined ? {} : { serverCpus: options.serverCpus }),
      ...(options.postgresUrl === undefined ? {} : { postgresUrl: options.postgresUrl }),
    });
  }
  let ownerKey: PrivateKeyDer | undefined;
  if (ext.ownerKeyPem !== undefined) ownerKey = privateKeyFromPem(ext.ownerKeyPem);
  return {
    manufacturer: ext.manufacturer,
    rendezvous: ext.rendezvous,
    owner: ext.owner,
    manufacturerToken: ext.manufacturerToken,
    ownerToken: ext.ownerToken,
    ownerKey,
    databases: {},
    processes: [],
    stop: async () => {},
  };
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined || (Array.isArray(value) && value.length === 0))
    throw new Error(`this scenario needs ${what}`);
  return value;
}

/** Runs the scenario and returns its report (also printed as it goes). */
export async function runBenchmark(options: RunOptions): Promise<RunReport> {
  const report: RunReport = {
    scenario: options.scenario,
    startedAt: new Date().toISOString(),
    machine: machine(),
    options: {
      devices: options.devices,
      concurrency: options.concurrency,
      db: options.external === undefined ? options.db : 'external',
      instances: options.instances,
      ...(options.serverCpus === undefined ? {} : { serverCpus: options.serverCpus }),
      ...(options.scenario === 'import' ? { vouchers: options.vouchers } : {}),
      ...(options.scenario === 'to1' ? { rounds: options.rounds } : {}),
      ...(options.scenario === 'import' ? {} : { warmup: options.warmup }),
    },
    phases: [],
  };
  options.out(
    `FDO load generator: scenario ${options.scenario}; the load generator and the servers share this machine: ` +
      describeMachine(report.machine),
  );
  const deployment = await deploy(options);
  const agent = newAgent(options.concurrency);
  const rt = (label: string): Runtime => ({
    dispatcher: agent,
    concurrency: options.concurrency,
    progress: progressOf(options, label),
  });
  const dir = mkdtempSync(join(tmpdir(), 'fdo-bench-files-'));
  const phase = async (name: string, body: () => Promise<Measured>) =>
    report.phases.push(await measure(name, deployment, options, body));
  try {
    if (options.scenario === 'import') {
      await importScenario(options, deployment, dir, phase, agent);
      return report;
    }
    const runId = Date.now().toString(36);
    options.log(`making ${options.devices} device keys…`);
    const warmup = Math.min(options.warmup, options.devices - 1);
    const all = makeDevices(warmup + options.devices, runId);
    const warm = all.slice(0, warmup);
    const devices = all.slice(warmup);
    /** Runs a phase's protocol for the warm-up devices, unmeasured. */
    const warmUp = async (label: string, run: (rt: Runtime) => Promise<unknown>) => {
      if (warm.length === 0) return;
      options.log(`${label}: warm-up with ${warm.length} devices (not measured)…`);
      await run(rt(`${label} warm-up`));
    };
    const manufacturer = need(deployment.manufacturer, '--manufacturer');
    await warmUp('DI', (r) => diPhase(warm, manufacturer, r));
    await phase('DI', async () => {
      const di = await diPhase(devices, manufacturer, rt('DI'));
      return { items: devices.length, completed: di.runs.count, protocols: { DI: di }, perCoreOf: ['manufacturer'] };
    });
    if (options.scenario === 'di') return report;

    const bundle = join(dir, 'vouchers.pem');
    await exportVouchers(agent, deployment.manufacturer[0]!, deployment.manufacturerToken, bundle);
    options.log(`vouchers exported from the manufacturer: ${attachVouchers(all, bundle)} of this run's devices`);
    await phase('voucher import', async () => {
      const reply = await importVouchers(agent, need(deployment.owner, '--owner')[0]!, deployment.ownerToken, bundle);
      return importMeasured(reply, new ProtocolStats());
    });

    const ownerKey = need(deployment.ownerKey, '--owner-key (the owner private key PEM, for TO0)');
    await warmUp('TO0', (r) => to0Phase(warm, deployment.rendezvous, ownerKey, deployment.owner[0]!, r));
    await phase('TO0', async () => {
      const to0 = await to0Phase(devices, deployment.rendezvous, ownerKey, deployment.owner[0]!, rt('TO0'));
      const items = devices.filter((d) => d.voucher !== undefined).length;
      return { items, completed: to0.runs.count, protocols: { TO0: to0 }, perCoreOf: ['rendezvous'] };
    });
    if (options.scenario === 'to0') return report;

    if (options.scenario === 'to1') {
      await warmUp('TO1', (r) => to1Phase(warm, deployment.rendezvous, options.rounds, r));
      await phase('TO1', async () => {
        const to1 = await to1Phase(devices, deployment.rendezvous, options.rounds, rt('TO1'));
        const items = devices.filter((d) => d.credential !== undefined).length * options.rounds;
        return { items, completed: to1.runs.count, protocols: { TO1: to1 }, perCoreOf: ['rendezvous'] };
      });
      return report;
    }
    const ownerUrls = options.external === undefined ? deployment.owner : undefined;
    await warmUp('TO1+TO2', (r) => onboardPhase(warm, deployment.rendezvous, ownerUrls, r));
    await phase('TO1 + TO2', async () => {
      const { to1, to2 } = await onboardPhase(devices, deployment.rendezvous, ownerUrls, rt('TO1+TO2'));
      return {
        items: devices.filter((d) => d.credential !== undefined).length,
        completed: to2.runs.count,
        protocols: { TO1: to1, TO2: to2 },
        perCoreOf: ['owner'],
        notes: [
          'per core counts the owner CPU (TO2); the rendezvous CPU (TO1) is shown beside it',
          ...(options.instances > 1 ? ['TO2 spread over the owner instances round robin (a load balancer)'] : []),
        ],
      };
    });
    return report;
  } finally {
    await agent.close();
    await deployment.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function importMeasured(
  reply: { imported: number; duplicate: number; rejected: number; results: { reason?: string }[] },
  stats: ProtocolStats,
): Measured {
  for (const r of reply.results) stats.error(new Error(r.reason ?? 'rejected'));
  return {
    items: reply.imported + reply.duplicate + reply.rejected,
    completed: reply.imported,
    protocols: { import: stats },
    perCoreOf: ['owner'],
    notes: reply.duplicate > 0 ? [`${reply.duplicate} duplicates`] : [],
  };
}

async function importScenario(
  options: RunOptions,
  deployment: Deployment,
  dir: string,
  phase: (name: string, body: () => Promise<Measured>) => Promise<unknown>,
  agent: Runtime['dispatcher'],
): Promise<void> {
  const ownerKey = need(deployment.ownerKey, '--owner-key (the owner private key PEM the vouchers are extended to)');
  const bundle = join(dir, 'synthetic.pem');
  options.log(`writing ${options.vouchers} synthetic one-entry P-256 vouchers…`);
  await writeSyntheticVouchers(
    bundle,
    options.vouchers,
    ownerKey,
    deployment.rendezvous[0] ?? 'http://127.0.0.1:8040',
    (n) => options.progress(`vouchers written: ${n}/${options.vouchers}`),
  );
  await phase('voucher import (streamed, one request)', async () => {
    const reply = await importVouchers(agent, need(deployment.owner, '--owner')[0]!, deployment.ownerToken, bundle);
    return importMeasured(reply, new ProtocolStats());
  });
}
