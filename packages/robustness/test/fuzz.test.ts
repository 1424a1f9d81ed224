/**
 * Structure-aware fuzzing of every FDO route of the platform (issue 9), reduced for CI: a few hundred
 * mutated messages per route over real HTTP, on SQLite and PostgreSQL. No crash, no hang, every reply
 * a well-formed answer or message 255 with a refusal code (never 500), no stored state changed by a
 * refused message. The long run is `npm run fuzz -- --inputs 100000` (scripts/fuzz.ts).
 */
import t from 'tap';
import { databaseTargets } from '@fdo/storage/testing';
import { fuzzRoute, validBodies } from '../harness/fuzz.js';
import { startPlatform } from '../harness/platform.js';
import { ROUTES } from '../harness/targets.js';

const INPUTS = Number(process.env['FDO_FUZZ_ROUTE_INPUTS'] ?? 60);
const SEED = Number(process.env['FDO_FUZZ_SEED'] ?? 0x0fd09);

for (const db of await databaseTargets(t)) {
  t.test(`every FDO route survives ${INPUTS} fuzzed messages (${db.name}, seed ${SEED})`, async (t) => {
    const p = await startPlatform(t, db);
    const others = await validBodies(p);
    for (const msgType of ROUTES) {
      const stats = await fuzzRoute(p, msgType, { inputs: INPUTS, seed: SEED, others });
      t.same(
        stats.failures,
        [],
        `${stats.route}: ${stats.accepted} accepted, refused ${JSON.stringify(stats.refused)}`,
      );
      t.equal(stats.internal, 0, `${stats.route}: no error 500`);
    }
    for (const service of [p.manufacturer, p.rendezvous, p.owner]) {
      t.equal((await fetch(`${service.url}/health`)).status, 200, `${service.url} is still up`);
    }
  });
}
