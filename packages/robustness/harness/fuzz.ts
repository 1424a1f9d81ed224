/**
 * Structure-aware fuzzing of one FDO route over real HTTP: mutations of a valid message of that route
 * (the protocol package's byte-level and value-level mutators, plus tag changes and other routes'
 * bodies), sent with the live session's token, or a wrong one now and then. Each reply must be a
 * well-formed answer (200) or message 255 with an FDO error code other than 500, within a deadline;
 * after a refusal, the tables the route guards must be unchanged.
 */
import { decodeErrorMessage, decode, encode, Tag } from '@fdo/protocol';
import {
  mutateBytes,
  mutateValue,
  pick,
  prng,
  randInt,
  randomBytes,
  type Rng,
} from '../../protocol/test/helpers/mutate.js';
import { post, type RawReply } from './capture.js';
import type { Platform } from './platform.js';
import { TARGETS, type FuzzTarget } from './targets.js';

/** The codes a refusal may carry (§3.7): everything but 500, which says the server itself failed. */
export const REFUSAL_CODES = new Set([1, 2, 3, 4, 5, 6, 100, 101, 102]);

/** One request over this is a hang. */
export const REQUEST_DEADLINE_MS = 10_000;

export interface FuzzStats {
  route: string;
  inputs: number;
  accepted: number;
  /** Refusals by FDO error code. */
  refused: Record<number, number>;
  /** Replies with error code 500 (each is a finding: something threw that should have been refused). */
  internal: number;
  /** Everything else that went wrong, with the input that caused it (first few). */
  failures: string[];
  slowestMs: number;
  ms: number;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Changes a tag number, or wraps an item in a tag it should not have (COSE 16/17/18 ↔ others). */
function retag(rng: Rng, bytes: Uint8Array): Uint8Array {
  let root: unknown;
  try {
    root = decode(bytes);
  } catch {
    return bytes;
  }
  const tags = [0, 1, 2, 16, 17, 18, 24, 55799, 61, 96, 98];
  const swap = (v: unknown, depth: number): unknown => {
    if (v instanceof Tag && rng() < 0.5) return new Tag(v.value, pick(rng, tags));
    if (Array.isArray(v) && v.length > 0 && depth < 6) {
      const i = randInt(rng, v.length);
      v[i] = swap(v[i], depth + 1);
      return v;
    }
    return rng() < 0.3 ? new Tag(v, pick(rng, tags)) : v;
  };
  try {
    return encode(swap(root, 0));
  } catch {
    return bytes;
  }
}

/** One fuzzed body for `valid` (a plaintext when the route is in the tunnel). */
export function fuzzInput(rng: Rng, valid: Uint8Array, others: readonly Uint8Array[]): Uint8Array {
  const r = rng();
  if (r < 0.35) return mutateBytes(rng, valid);
  if (r < 0.7) return mutateValue(rng, valid);
  if (r < 0.8) return mutateBytes(rng, mutateValue(rng, valid));
  if (r < 0.9) return retag(rng, valid);
  if (r < 0.95 && others.length > 0) return pick(rng, others);
  return randomBytes(rng, randInt(rng, 80));
}

/** A fuzzed body; in the tunnel, half are well-sealed mutated plaintexts, half mutated ciphertexts. */
function bodyFor(rng: Rng, target: FuzzTarget, others: readonly Uint8Array[]): Uint8Array {
  const plain = fuzzInput(rng, target.valid, others);
  if (target.seal === undefined) return plain;
  if (rng() < 0.5) return target.seal(plain);
  const sealed = target.seal(target.valid);
  return rng() < 0.5 ? mutateBytes(rng, sealed) : mutateValue(rng, sealed);
}

/** Mostly the session's token; now and then none, garbage, or one that names no session. */
function tokenFor(rng: Rng, target: FuzzTarget): string | undefined {
  const t = rng();
  if (t < 0.02) return undefined;
  if (t < 0.04) return hex(randomBytes(rng, 16));
  if (t < 0.05) return `${target.token ?? ''}x`;
  return target.token;
}

type Verdict = { kind: 'accepted' } | { kind: 'refused'; code: number } | { kind: 'bad'; problem: string };

async function classify(target: FuzzTarget, reply: RawReply): Promise<Verdict> {
  if (reply.status === 200) {
    const problem = await target.checkReply(reply);
    return problem === null ? { kind: 'accepted' } : { kind: 'bad', problem };
  }
  if (reply.status !== 500 || reply.msgType !== 255) {
    return { kind: 'bad', problem: `HTTP ${reply.status}, Message-Type ${reply.msgType}: not an FDO reply` };
  }
  try {
    const em = decodeErrorMessage(reply.body);
    if (em.prevMsgType !== (target.msgType & 0xff)) {
      return { kind: 'bad', problem: `error ${em.code} names message ${em.prevMsgType}` };
    }
    return { kind: 'refused', code: em.code };
  } catch (err) {
    return { kind: 'bad', problem: `message 255 does not decode: ${(err as Error).message}` };
  }
}

export interface FuzzOptions {
  inputs: number;
  seed: number;
  /** Valid bodies of other routes, sent now and then (type confusion). */
  others?: readonly Uint8Array[];
  /** Compare the guarded tables after every refusal (default), or every n-th one. */
  checkEvery?: number;
  onProgress?: (stats: FuzzStats) => void;
}

/** Fuzzes the route that receives `msgType` on the platform. */
export async function fuzzRoute(p: Platform, msgType: number, options: FuzzOptions): Promise<FuzzStats> {
  const build = TARGETS[msgType];
  if (build === undefined) throw new Error(`no fuzz target for message ${msgType}`);
  let target = await build(p);
  const rng = prng(options.seed + msgType);
  const stats: FuzzStats = {
    route: target.route,
    inputs: 0,
    accepted: 0,
    refused: {},
    internal: 0,
    failures: [],
    slowestMs: 0,
    ms: 0,
  };
  const started = performance.now();
  const checkEvery = options.checkEvery ?? 1;
  let refusals = 0;
  let before = await target.snapshot();
  const fail = (problem: string, body: Uint8Array) => {
    if (stats.failures.length < 10) stats.failures.push(`${problem} — input ${hex(body).slice(0, 300)}`);
  };

  for (let i = 0; i < options.inputs; i++) {
    const body = bodyFor(rng, target, options.others ?? []);
    const token = tokenFor(rng, target);
    stats.inputs++;
    const start = performance.now();
    let reply: RawReply;
    try {
      reply = await post(target.service.url, target.msgType, body, token, REQUEST_DEADLINE_MS);
    } catch (err) {
      fail(`no reply: ${(err as Error).message}`, body);
      continue;
    }
    const ms = performance.now() - start;
    stats.slowestMs = Math.max(stats.slowestMs, ms);
    const verdict = await classify(target, reply);
    if (verdict.kind === 'bad') fail(verdict.problem, body);
    if (verdict.kind === 'accepted') {
      stats.accepted++;
      if (target.spentOnAccept) target = await build(p);
      else await target.rewind();
      before = await target.snapshot();
      continue;
    }
    if (verdict.kind === 'refused') {
      stats.refused[verdict.code] = (stats.refused[verdict.code] ?? 0) + 1;
      if (!REFUSAL_CODES.has(verdict.code)) {
        stats.internal++;
        fail(`error ${verdict.code}`, body);
      }
    }
    await target.rewind();
    if (++refusals % checkEvery === 0) {
      const after = await target.snapshot();
      if (after !== before) {
        fail(`a refused message changed stored state: ${before} → ${after}`, body);
        before = after;
      }
    }
    if (options.onProgress !== undefined && i % 1000 === 999) options.onProgress(stats);
  }
  stats.ms = performance.now() - started;
  return stats;
}

/** The valid bodies of every route, for type confusion. */
export async function validBodies(p: Platform): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const type of [10, 20, 30, 60]) out.push((await TARGETS[type]!(p)).valid);
  return out;
}
