/**
 * A minimal benchmark harness: runs a function repeatedly for a fixed time after a warm-up and
 * reports operations per second. Figures are printed, never asserted (speed is not a test).
 */
export interface BenchResult {
  name: string;
  opsPerSec: number;
  meanMicros: number;
  iterations: number;
}

export function bench(name: string, fn: () => unknown, seconds = Number(process.env.BENCH_SECONDS ?? 1)): BenchResult {
  const warmUntil = performance.now() + Math.min(200, seconds * 200);
  while (performance.now() < warmUntil) fn();
  let iterations = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  let now = start;
  while (now < end) {
    for (let i = 0; i < 16; i++) fn();
    iterations += 16;
    now = performance.now();
  }
  const elapsed = (now - start) / 1000;
  return { name, opsPerSec: iterations / elapsed, meanMicros: (elapsed * 1e6) / iterations, iterations };
}

export function printTable(title: string, results: BenchResult[]): void {
  const width = Math.max(...results.map((r) => r.name.length), 20);
  console.log(`\n${title}`);
  console.log(`${'operation'.padEnd(width)}  ${'ops/s'.padStart(12)}  ${'µs/op'.padStart(10)}`);
  for (const r of results) {
    console.log(
      `${r.name.padEnd(width)}  ${Math.round(r.opsPerSec).toLocaleString('en-US').padStart(12)}  ${r.meanMicros.toFixed(1).padStart(10)}`,
    );
  }
}
