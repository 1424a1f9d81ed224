/**
 * Fuzzing every message decoder (FDO 1.1 §3.2 bodies): mutations of valid encodings, byte-level
 * and structure-aware, plus random bytes. A decoder must return or throw an FdoError, never
 * another exception, and never take long. Deterministic: the seed is fixed (FDO_FUZZ_SEED to
 * change it); FDO_FUZZ_ITERATIONS scales the run (default 2,000 per message type).
 */
import t from 'tap';
import { FdoError } from '../../src/errors.js';
import {
  decodeMessage,
  encodeMessage,
  isUnexpectedError,
  messageName,
  type MessageNumber,
} from '../../src/messages/index.js';
import { fuzzIterations, mutateBytes, mutateValue, prng, randInt, randomBytes, type Rng } from '../helpers/mutate.js';
import { MESSAGE_NUMBERS, sampleBodies } from './fixtures.js';
import { hex } from './normalize.js';

const ITERATIONS = fuzzIterations(2000);
const SEED = Number(process.env['FDO_FUZZ_SEED'] ?? 0x0fd0f022);
/** One decode over this is a failure (a hang or a blow-up), far above the ~50 µs typical. */
const MAX_MS = 1000;

const bodies = sampleBodies();
const valid = MESSAGE_NUMBERS.map((type) => encodeMessage(type, bodies[type] as never));

function input(rng: Rng, self: Uint8Array): Uint8Array {
  const r = rng();
  if (r < 0.55) return mutateBytes(rng, self);
  if (r < 0.8) return mutateValue(rng, self);
  if (r < 0.9) return mutateBytes(rng, mutateValue(rng, self));
  if (r < 0.95) return mutateBytes(rng, valid[randInt(rng, valid.length)]!); // another message's body
  return randomBytes(rng, randInt(rng, 64));
}

/** Decodes one input; returns what went wrong, or null. What decodes must also encode again. */
function check(type: MessageNumber, bytes: Uint8Array): { accepted: boolean; problem: string | null } {
  let body: unknown;
  try {
    body = decodeMessage(type, bytes);
  } catch (err) {
    if (!(err instanceof FdoError)) return { accepted: false, problem: `threw ${String(err)}` };
    if (err.prevMsgType !== type) return { accepted: false, problem: `prevMsgType ${err.prevMsgType}` };
    if (isUnexpectedError(err)) return { accepted: false, problem: `let through ${String(err.cause)}` };
    return { accepted: false, problem: null };
  }
  try {
    encodeMessage(type, body as never);
    return { accepted: true, problem: null };
  } catch (err) {
    return { accepted: true, problem: `re-encoding threw ${String(err)}` };
  }
}

t.test(`every decoder survives ${ITERATIONS} fuzzed inputs (seed ${SEED})`, async (t) => {
  let slowest = 0;
  for (const [index, type] of MESSAGE_NUMBERS.entries()) {
    const rng = prng(SEED + type);
    let accepted = 0;
    const failures: string[] = [];
    for (let i = 0; i < ITERATIONS && failures.length < 5; i++) {
      const bytes = input(rng, valid[index]!);
      const start = performance.now();
      const result = check(type, bytes);
      const ms = performance.now() - start;
      slowest = Math.max(slowest, ms);
      if (result.accepted) accepted++;
      const problem = ms > MAX_MS ? `took ${ms.toFixed(0)} ms` : result.problem;
      if (problem !== null) failures.push(`${problem} for ${hex(bytes).slice(0, 400)}`);
    }
    t.same(failures, [], `${messageName(type)}: ${accepted} of ${ITERATIONS} accepted`);
  }
  t.comment(`slowest single decode: ${slowest.toFixed(2)} ms`);
});

t.test('the mutation helpers are deterministic for a seed', async (t) => {
  const run = (seed: number) => {
    const rng = prng(seed);
    return Array.from({ length: 50 }, () => hex(input(rng, valid[0]!)));
  };
  t.same(run(7), run(7));
  t.not(run(7).join(), run(8).join());
});
