/**
 * The figures of one run: per phase the throughput, the latency of each protocol run and of each
 * message type (p50/p95/p99), errors by code, and the servers' CPU time per completed item. Printed
 * as plain tables, and written as JSON with `--json FILE`.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { messageName } from '@fdo/protocol';
import { calibrate, describeCalibration, type CryptoCalibration } from './calibrate.js';
import type { LatencySummary, ProtocolStats } from './stats.js';

export interface ProtocolReport {
  runs: LatencySummary;
  messages: Record<string, LatencySummary>;
  errors: Record<string, number>;
  errorExamples: Record<string, string>;
}

export interface PhaseReport {
  phase: string;
  /** Items attempted and completed (devices, vouchers, exchanges). */
  items: number;
  completed: number;
  errors: number;
  wallSeconds: number;
  /** Completed items per second of wall time (client and servers share the machine). */
  perSecond: number;
  /** CPU milliseconds per group of server processes during the phase (`postgres`: every backend). */
  serverCpuMs: Record<string, number>;
  /** The same per completed item. */
  serverCpuMsPerItem: Record<string, number>;
  /**
   * Items per second one core would complete for the service(s) doing the phase's work, from their
   * CPU time (the database excluded: it is reported beside). The figure the targets are stated in.
   */
  perCore: number | null;
  /** Which server groups perCore counts. */
  perCoreOf: string[];
  loadGeneratorCpuMs: number;
  peakRssMiB: Record<string, number>;
  protocols: Record<string, ProtocolReport>;
  notes: string[];
}

export interface RunReport {
  scenario: string;
  startedAt: string;
  machine: MachineReport;
  options: Record<string, unknown>;
  phases: PhaseReport[];
}

export function protocolReport(stats: ProtocolStats): ProtocolReport {
  const messages: Record<string, LatencySummary> = {};
  for (const [type, samples] of [...stats.messages].sort((a, b) => a[0] - b[0])) {
    messages[messageName(type)] = samples.summary();
  }
  return {
    runs: stats.runs.summary(),
    messages,
    errors: Object.fromEntries(stats.errors),
    errorExamples: Object.fromEntries(stats.examples),
  };
}

export interface MachineReport {
  /** The CPU's model name, and on Linux its family and model numbers (a VM often shows only a brand). */
  cpu: string;
  cores: number;
  node: string;
  crypto: CryptoCalibration;
}

/** The machine the run is on, with its P-256 rates measured in this process (about half a second). */
export function machine(): MachineReport {
  return { cpu: cpuName(), cores: cpus().length, node: process.version, crypto: calibrate() };
}

export function describeMachine(m: MachineReport): string {
  return `${m.cores} cores (${m.cpu}), node ${m.node}; ${describeCalibration(m.crypto)}`;
}

function cpuName(): string {
  const model = cpus()[0]?.model ?? 'unknown';
  try {
    const info = readFileSync('/proc/cpuinfo', 'latin1');
    const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(\\S+)`, 'm').exec(info)?.[1];
    const family = field('cpu family');
    const number = field('model');
    return family === undefined || number === undefined ? model : `${model}, family ${family} model ${number}`;
  } catch {
    return model;
  }
}

const f = (n: number, digits = 1) => n.toLocaleString('en-US', { maximumFractionDigits: digits });
const ms = (n: number) => (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0));

function latencyRow(name: string, s: LatencySummary, width: number): string {
  return `  ${name.padEnd(width)} ${String(s.count).padStart(8)} ${ms(s.p50Ms).padStart(9)} ${ms(s.p95Ms).padStart(9)} ${ms(s.p99Ms).padStart(9)} ${ms(s.maxMs).padStart(9)}`;
}

export function printPhase(p: PhaseReport, out: (line: string) => void = console.log): void {
  out('');
  out(
    `== ${p.phase}: ${f(p.completed, 0)}/${f(p.items, 0)} in ${p.wallSeconds.toFixed(2)} s = ${f(p.perSecond)}/s` +
      (p.errors > 0 ? `, ${p.errors} errors` : ''),
  );
  const cpu = Object.entries(p.serverCpuMsPerItem)
    .map(([k, v]) => `${k} ${v.toFixed(2)} ms`)
    .join(', ');
  if (cpu !== '') out(`   server CPU per item: ${cpu}`);
  if (p.perCore !== null) out(`   per core (${p.perCoreOf.join('+')} CPU): ${f(p.perCore, 0)}/s`);
  out(`   load generator CPU: ${f(p.loadGeneratorCpuMs / Math.max(1, p.completed), 2)} ms per item`);
  const rss = Object.entries(p.peakRssMiB)
    .map(([k, v]) => `${k} ${v.toFixed(0)} MiB`)
    .join(', ');
  if (rss !== '') out(`   peak RSS: ${rss}`);
  for (const n of p.notes) out(`   note: ${n}`);
  for (const [name, r] of Object.entries(p.protocols)) {
    for (const [code, count] of Object.entries(r.errors)) {
      out(`   ${name} error ${code}: ${count} (e.g. ${r.errorExamples[code] ?? ''})`);
    }
    if (r.runs.count === 0) continue;
    const width = Math.max(28, ...Object.keys(r.messages).map((k) => k.length));
    out(
      `   ${name} latency (ms)${' '.repeat(Math.max(0, width - name.length - 13))}    count       p50       p95       p99       max`,
    );
    out(latencyRow(`${name} complete run`, r.runs, width));
    for (const [m, s] of Object.entries(r.messages)) out(latencyRow(m, s, width));
  }
}
