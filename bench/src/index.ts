/**
 * The FDO load generator as a library: the smoke test and other scripts run its scenarios in process.
 */
export { runBenchmark, SCENARIOS, type RunOptions, type Scenario } from './run.js';
export { runRvScale, type RvScaleOptions } from './rv-scale.js';
export { startServices, type Deployment, type StartOptions } from './servers.js';
export type { PhaseReport, RunReport } from './report.js';
