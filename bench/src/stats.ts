/**
 * What the load generator measures: latencies (per protocol run and per FDO message type), counts of
 * completed runs, and errors by code. Latencies are kept as raw samples (a float64 per sample: 8 MB per
 * million), so percentiles are exact.
 */
import { FdoPeerError, messageName } from '@fdo/protocol';
import { FdoTransportError } from '@fdo/client-kit';

export interface LatencySummary {
  count: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

export class Samples {
  #values: number[] = [];

  add(ms: number): void {
    this.#values.push(ms);
  }

  get count(): number {
    return this.#values.length;
  }

  summary(): LatencySummary {
    const v = Float64Array.from(this.#values).sort();
    const at = (q: number) => (v.length === 0 ? 0 : v[Math.min(v.length - 1, Math.ceil(q * v.length) - 1)]!);
    const sum = v.reduce((a, b) => a + b, 0);
    return {
      count: v.length,
      meanMs: v.length === 0 ? 0 : sum / v.length,
      p50Ms: at(0.5),
      p95Ms: at(0.95),
      p99Ms: at(0.99),
      maxMs: v.length === 0 ? 0 : v[v.length - 1]!,
    };
  }
}

/** A short stable label for an error: the FDO error code and the message it refused, or the transport problem. */
export function errorCode(err: unknown): string {
  if (err instanceof FdoPeerError) return `fdo ${err.error.code} at ${messageName(err.error.prevMsgType)}`;
  if (err instanceof FdoTransportError) return err.status === undefined ? 'transport' : `http ${err.status}`;
  return (err as Error)?.name ?? 'error';
}

/** Everything recorded for one protocol (DI, TO0, TO1, TO2, import) in one phase. */
export class ProtocolStats {
  readonly runs = new Samples();
  readonly messages = new Map<number, Samples>();
  readonly errors = new Map<string, number>();
  /** One example message per error label, for the report. */
  readonly examples = new Map<string, string>();

  message(msgType: number, ms: number): void {
    let s = this.messages.get(msgType);
    if (s === undefined) this.messages.set(msgType, (s = new Samples()));
    s.add(ms);
  }

  error(err: unknown): void {
    const code = errorCode(err);
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
    if (!this.examples.has(code)) this.examples.set(code, String((err as Error)?.message ?? err).slice(0, 300));
  }

  get errorCount(): number {
    let n = 0;
    for (const c of this.errors.values()) n += c;
    return n;
  }
}
