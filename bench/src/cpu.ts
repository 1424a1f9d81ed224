/**
 * CPU time and memory of server processes, read from /proc (Linux): utime + stime of /proc/PID/stat
 * (clock ticks, 100 per second on Linux), VmRSS of /proc/PID/status. PostgreSQL's backends are found
 * by their command name, so the database's own CPU can be shown beside the services' (other users of
 * the same PostgreSQL server on the machine are counted too).
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/** CPU milliseconds (user + system) used so far by `pid`, or null when it is gone or /proc is missing. */
export function cpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1000) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** Resident memory of `pid` in MiB, or null. */
export function rssMiB(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? null : Number(m[1]) / 1024;
  } catch {
    return null;
  }
}

/** PIDs of processes named `postgres` (the server and its backends). */
export function postgresPids(): number[] {
  try {
    return readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map(Number)
      .filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres';
        } catch {
          return false;
        }
      });
  } catch {
    return [];
  }
}

/** Named CPU counters: a snapshot now, and the difference since. */
export type CpuSnapshot = Map<string, Map<number, number>>;

export function snapshot(groups: Record<string, readonly number[]>): CpuSnapshot {
  const s: CpuSnapshot = new Map();
  for (const [name, pids] of Object.entries(groups)) {
    const m = new Map<number, number>();
    for (const pid of pids) {
      const ms = cpuMs(pid);
      if (ms !== null) m.set(pid, ms);
    }
    s.set(name, m);
  }
  return s;
}

/** CPU ms per group between two snapshots (processes that appeared count from 0; those gone are lost). */
export function cpuDelta(before: CpuSnapshot, after: CpuSnapshot): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, pids] of after) {
    let total = 0;
    for (const [pid, ms] of pids) total += ms - (before.get(name)?.get(pid) ?? 0);
    out[name] = total;
  }
  return out;
}

/** Samples the peak RSS of some processes until stopped. */
export function watchPeakRss(pids: Record<string, number>, everyMs = 250): () => Record<string, number> {
  const peak: Record<string, number> = {};
  const sample = () => {
    for (const [name, pid] of Object.entries(pids)) {
      const mib = rssMiB(pid);
      if (mib !== null) peak[name] = Math.max(peak[name] ?? 0, mib);
    }
  };
  sample();
  const timer = setInterval(sample, everyMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    sample();
    return peak;
  };
}
