/**
 * Deterministic input mutation for fuzzing the CBOR decoders: a seeded PRNG, byte-level mutators
 * aware of CBOR heads (RFC 8949 §3), and value-level mutators that re-encode a changed tree.
 * Reused by test/messages/fuzz.test.ts and by longer fuzz runs (FDO_FUZZ_ITERATIONS).
 */
import { decode, encode, Tag } from '../../src/cbor/codec.js';

export type Rng = () => number;

/** mulberry32: a tiny, fast, seedable PRNG returning floats in [0, 1). */
export function prng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

export const randInt = (rng: Rng, n: number): number => Math.floor(rng() * n);
export const pick = <T>(rng: Rng, items: readonly T[]): T => items[randInt(rng, items.length)]!;

export function randomBytes(rng: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = randInt(rng, 256);
  return out;
}

/** Iterations per message type: `FDO_FUZZ_ITERATIONS` or the given default. */
export function fuzzIterations(fallback: number): number {
  const n = Number(process.env['FDO_FUZZ_ITERATIONS']);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/**
 * Offsets of the data-item heads in `bytes`, found by a lenient walk that stops at the first
 * inconsistency (so it also works on already-mutated input).
 */
export function headOffsets(bytes: Uint8Array): number[] {
  const out: number[] = [];
  let p = 0;
  while (p < bytes.length && out.length < 10_000) {
    out.push(p);
    const ib = bytes[p]!;
    const major = ib >> 5;
    const info = ib & 0x1f;
    const size = info < 24 ? 0 : info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
    let arg = info < 24 ? info : 0;
    for (let i = 1; i <= size; i++) arg = arg * 256 + (bytes[p + i] ?? 0);
    p += 1 + size;
    if ((major === 2 || major === 3) && info !== 31) p += arg;
  }
  return out;
}

/** Interesting single bytes: CBOR heads at boundaries, break, undefined, floats, tags. */
const INTERESTING = [
  0x00, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1f, 0x20, 0x38, 0x3b, 0x40, 0x58, 0x5b, 0x5f, 0x60, 0x7b, 0x7f, 0x80,
  0x98, 0x9b, 0x9f, 0xa0, 0xbb, 0xbf, 0xc0, 0xc1, 0xc2, 0xd2, 0xd8, 0xdb, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfb,
  0xff,
];

export type Mutator = (rng: Rng, bytes: Uint8Array) => Uint8Array;

const at = (rng: Rng, bytes: Uint8Array): number => randInt(rng, Math.max(1, bytes.length));
/** A copy as a plain Uint8Array (Buffer#slice would share memory with the input). */
const copy = (b: Uint8Array): Uint8Array => new Uint8Array(b);
const splice = (b: Uint8Array, start: number, deleteCount: number, ins: ArrayLike<number> = []): Uint8Array => {
  const del = Math.max(0, Math.min(deleteCount, b.length - start));
  const out = new Uint8Array(b.length - del + ins.length);
  out.set(b.subarray(0, start), 0);
  out.set(ins, start);
  out.set(b.subarray(start + del), start + ins.length);
  return out;
};

export const MUTATORS: Readonly<Record<string, Mutator>> = {
  bitFlip: (rng, b) => {
    const out = copy(b);
    if (out.length > 0) out[at(rng, b)]! ^= 1 << randInt(rng, 8);
    return out;
  },
  interestingByte: (rng, b) => {
    const out = copy(b);
    if (out.length > 0) out[at(rng, b)] = pick(rng, INTERESTING);
    return out;
  },
  insertByte: (rng, b) =>
    splice(b, randInt(rng, b.length + 1), 0, [rng() < 0.5 ? pick(rng, INTERESTING) : randInt(rng, 256)]),
  deleteByte: (rng, b) => (b.length === 0 ? b : splice(b, at(rng, b), 1 + randInt(rng, 4))),
  truncate: (rng, b) => copy(b.subarray(0, randInt(rng, b.length))),
  appendGarbage: (rng, b) => splice(b, b.length, 0, randomBytes(rng, 1 + randInt(rng, 8))),
  duplicateSlice: (rng, b) => {
    const s = at(rng, b);
    const piece = copy(b.subarray(s, s + 1 + randInt(rng, 32)));
    return splice(b, at(rng, b), 0, piece);
  },
  /** Sets a real head's argument to a large value (length-field inflation). */
  inflateLength: (rng, b) => {
    const heads = headOffsets(b);
    if (heads.length === 0) return b;
    const p = pick(rng, heads);
    const major = b[p]! >> 5;
    const big = pick(rng, [
      [0x18, 0xff],
      [0x19, 0xff, 0xff],
      [0x1a, 0x7f, 0xff, 0xff, 0xff],
      [0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
      [0x1b, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],
    ]);
    const info = b[p]! & 0x1f;
    const oldSize = info < 24 ? 1 : info === 24 ? 2 : info === 25 ? 3 : info === 26 ? 5 : info === 27 ? 9 : 1;
    return splice(b, p, Math.min(oldSize, b.length - p), [(major << 5) | big[0]!, ...big.slice(1)]);
  },
  /** Changes the major type of a real head (uint ↔ bstr ↔ array …). */
  swapMajorType: (rng, b) => {
    const heads = headOffsets(b);
    if (heads.length === 0) return b;
    const p = pick(rng, heads);
    const out = copy(b);
    out[p] = (randInt(rng, 8) << 5) | (out[p]! & 0x1f);
    return out;
  },
  /** Wraps the input, or a real item head position, in many nested arrays or tags. */
  deepNest: (rng, b) => {
    const depth = pick(rng, [20, 33, 100, 1000, 5000]);
    const opener = pick(rng, [0x81, 0x9f, 0xa1, 0xd2, 0xc1]);
    const prefix = new Uint8Array(depth).fill(opener);
    return splice(b, rng() < 0.5 ? 0 : pick(rng, headOffsets(b).concat([0])), 0, prefix);
  },
  /** Inserts an item declaring a huge length with little or no content behind it. */
  hugeDeclaredLength: (rng, b) => {
    const head = pick(rng, [
      [0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
      [0x7a, 0xff, 0xff, 0xff, 0xff],
      [0x9b, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00],
      [0xba, 0x7f, 0xff, 0xff, 0xff],
      [0x59, 0xff, 0xff],
    ]);
    return splice(b, pick(rng, headOffsets(b).concat([0, b.length])), 0, head);
  },
};

const MUTATOR_LIST = Object.values(MUTATORS);

/** Applies 1–`maxRounds` random byte-level mutations. */
export function mutateBytes(rng: Rng, bytes: Uint8Array, maxRounds = 3): Uint8Array {
  let out = bytes;
  const rounds = 1 + randInt(rng, maxRounds);
  for (let i = 0; i < rounds; i++) out = pick(rng, MUTATOR_LIST)(rng, out);
  return out;
}

/** A random CBOR value of a random type (shallow, small). */
export function randomValue(rng: Rng, depth = 0): unknown {
  switch (randInt(rng, depth > 2 ? 9 : 12)) {
    case 0:
      return randInt(rng, 2 ** 32);
    case 1:
      return -1 - randInt(rng, 1000);
    case 2:
      return randomBytes(rng, pick(rng, [0, 1, 15, 16, 17, 32, 48, 100]));
    case 3:
      return pick(rng, ['', 'ECDH256', 'devmod:active', 'x'.repeat(30)]);
    case 4:
      return rng() < 0.5;
    case 5:
      return null;
    case 6:
      return undefined;
    case 7:
      return rng() * 1e6;
    case 8:
      return pick(rng, [0, 1, 255, 256, 65535, 65536, -7, -16, -43, 10, 101]);
    case 9:
      return Array.from({ length: randInt(rng, 5) }, () => randomValue(rng, depth + 1));
    case 10:
      return new Map([[randomValue(rng, depth + 1), randomValue(rng, depth + 1)]]);
    default:
      return new Tag(randomValue(rng, depth + 1), pick(rng, [1, 2, 16, 17, 18, 61]));
  }
}

/**
 * Structure-aware mutation: decodes `bytes`, changes one node of the tree (replace it with a
 * value of another type, drop or add an array element, unwrap a tag, change a bstr's length)
 * and re-encodes. Returns the input unchanged when it does not decode.
 */
export function mutateValue(rng: Rng, bytes: Uint8Array): Uint8Array {
  let root: unknown;
  try {
    root = decode(bytes);
  } catch {
    return bytes;
  }
  // Collect the containers and their slots.
  const slots: { get(): unknown; set(v: unknown): void; parent?: unknown[] }[] = [
    { get: () => root, set: (v) => (root = v) },
  ];
  const walk = (v: unknown, depth: number): void => {
    if (depth > 12) return;
    if (v instanceof Tag) {
      slots.push({ get: () => v.value, set: (x) => (v.value = x) });
      walk(v.value, depth + 1);
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => {
        slots.push({ get: () => v[i], set: (x) => (v[i] = x), parent: v });
        walk(item, depth + 1);
      });
    } else if (v instanceof Map) {
      for (const k of v.keys()) {
        slots.push({ get: () => v.get(k), set: (x) => v.set(k, x) });
        walk(v.get(k), depth + 1);
      }
    }
  };
  walk(root, 0);
  const slot = pick(rng, slots);
  const cur = slot.get();
  const choice = randInt(rng, 6);
  if (choice === 0 && slot.parent !== undefined) slot.parent.splice(slot.parent.indexOf(cur), 1);
  else if (choice === 1 && Array.isArray(cur)) cur.push(randomValue(rng));
  else if (choice === 2 && cur instanceof Tag) slot.set(cur.value);
  else if (cur instanceof Uint8Array && choice < 5) {
    // A bstr: shorten it (nonce/GUID lengths), or mutate the item it embeds (bstr .cbor T).
    if (choice === 3) slot.set(copy(cur.subarray(0, Math.max(0, cur.length - 1))));
    else slot.set(rng() < 0.5 ? mutateValue(rng, cur) : mutateBytes(rng, cur, 2));
  } else slot.set(randomValue(rng));
  try {
    return encode(root);
  } catch {
    return bytes;
  }
}
