/**
 * The long fuzz run (issue 9): every FDO route of the platform, `--inputs` mutated messages each, on a
 * fresh SQLite database (or `--postgres`). Prints per-route figures and exits 1 on any finding.
 *
 *   npm run fuzz -- --inputs 100000 [--routes 60,62] [--seed N] [--postgres] [--check-every N]
 *
 * Routes run one after another in this process; run several processes with `--routes` to use more cores.
 */
import { parseArgs } from 'node:util';
import { postgresTarget, sqliteTarget } from '@fdo/storage/testing';
import { fuzzRoute, validBodies, type FuzzStats } from '../harness/fuzz.js';
import { startPlatform } from '../harness/platform.js';
import { ROUTES } from '../harness/targets.js';

const { values } = parseArgs({
  options: {
    inputs: { type: 'string', default: '100000' },
    routes: { type: 'string' },
    seed: { type: 'string', default: String(0x0fd09) },
    postgres: { type: 'boolean', default: false },
    'check-every': { type: 'string', default: '1' },
  },
});

const teardowns: (() => unknown)[] = [];
const ctx = {
  teardown: (fn: () => unknown) => void teardowns.push(fn),
  comment: (...m: unknown[]) => console.log(...m),
};
const inputs = Number(values.inputs);
const seed = Number(values.seed);
const routes = values.routes === undefined ? ROUTES : values.routes.split(',').map(Number);

const db = values.postgres ? await postgresTarget(ctx) : sqliteTarget(ctx);
if (db === null) throw new Error('PostgreSQL is not reachable');
// Each route's base session must outlive the whole run: with the default 300 s, the owner's sweep removed
// an earlier route's expired session in the middle of a later route, which the table check counted as
// state changed by a refused message.
const p = await startPlatform(ctx, db, { owner: { to2: { sessionTtlSeconds: 7 * 86_400 } } });
const others = await validBodies(p);
const memory = () => `rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`;
console.log(`fuzzing ${routes.length} routes × ${inputs} inputs on ${db.name}, seed ${seed}`);

const all: FuzzStats[] = [];
for (const msgType of routes) {
  const stats = await fuzzRoute(p, msgType, {
    inputs,
    seed,
    others,
    checkEvery: Number(values['check-every']),
    onProgress: (s) => {
      if (s.inputs % 10_000 === 0)
        console.log(`  ${s.route}: ${s.inputs} inputs, ${s.failures.length} findings, ${memory()}`);
    },
  });
  all.push(stats);
  const perSecond = (stats.inputs / (stats.ms / 1000)).toFixed(0);
  console.log(
    `${stats.route}: ${stats.inputs} inputs in ${(stats.ms / 1000).toFixed(1)} s (${perSecond}/s), ` +
      `${stats.accepted} accepted, refused ${JSON.stringify(stats.refused)}, 500s ${stats.internal}, ` +
      `findings ${stats.failures.length}, slowest ${stats.slowestMs.toFixed(0)} ms, ${memory()}`,
  );
  for (const f of stats.failures) console.log(`  FINDING ${f}`);
}
for (const service of [p.manufacturer, p.rendezvous, p.owner]) {
  const res = await fetch(`${service.url}/health`);
  if (res.status !== 200) all[0]!.failures.push(`${service.url} /health answered ${res.status}`);
}
for (const fn of teardowns.reverse()) await fn();
const findings = all.reduce((n, s) => n + s.failures.length, 0);
const total = all.reduce((n, s) => n + s.inputs, 0);
console.log(`total: ${total} inputs, ${findings} findings`);
process.exit(findings > 0 ? 1 : 0);
