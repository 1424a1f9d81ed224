/**
 * A structural CBOR scanner (RFC 8949 §3): finds where each data item ends without building it.
 *
 * It serves two purposes:
 * - a well-formedness gate in front of the decoder, so that no input (truncated, huge declared
 *   lengths, deep nesting, unknown tags, trailing bytes) reaches cbor-x;
 * - slicing out the exact received bytes of array elements that FDO hashes or signs even though
 *   they travel unwrapped (OVEntries, TO2.OVNextEntry), so nothing is ever verified over a re-encoding.
 */
import { MessageBodyError } from '../errors.js';

export interface ScanLimits {
  /** Deepest nesting of arrays, maps and tags. */
  maxDepth: number;
  /** Tags the caller accepts; any other tag is an error. */
  allowedTags: ReadonlySet<number>;
}

/**
 * Tags FDO uses: 16/17/18 COSE_Encrypt0/Mac0/Sign1, 61 CWT (EAT may be tagged), 1 epoch time
 * (EMErrorTs), 2/3 bignums. Everything else (shared references, typed arrays, records …) is refused.
 */
export const FDO_TAGS: ReadonlySet<number> = new Set([1, 2, 3, 16, 17, 18, 61]);

export const DEFAULT_LIMITS: ScanLimits = { maxDepth: 32, allowedTags: FDO_TAGS };

function fail(message: string): never {
  throw new MessageBodyError(`malformed CBOR: ${message}`);
}

/** Reads the argument of the head at `pos` (RFC 8949 §3). Returns [value, offset after the head]. */
function readHead(bytes: Uint8Array, pos: number): [major: number, info: number, arg: number, next: number] {
  if (pos >= bytes.length) fail(`truncated at byte ${pos}`);
  const ib = bytes[pos]!;
  const major = ib >> 5;
  const info = ib & 0x1f;
  if (info < 24) return [major, info, info, pos + 1];
  const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
  if (size === 0) {
    if (info === 31) return [major, info, -1, pos + 1];
    fail(`reserved additional information ${info} at byte ${pos}`);
  }
  if (pos + 1 + size > bytes.length) fail(`truncated head at byte ${pos}`);
  let arg = 0;
  for (let i = 1; i <= size; i++) arg = arg * 256 + bytes[pos + i]!;
  // Arguments above 2^53 cannot be lengths that fit in memory; for integers the decoder handles them.
  return [major, info, arg, pos + 1 + size];
}

/**
 * Returns the offset just past the data item that starts at `pos`.
 * Throws {@link MessageBodyError} for anything not well formed within `limits`.
 */
// eslint-disable-next-line complexity -- one case per CBOR major type, as RFC 8949 §3.1 lists them
export function itemEnd(bytes: Uint8Array, pos: number, limits: ScanLimits = DEFAULT_LIMITS, depth = 0): number {
  if (depth > limits.maxDepth) fail(`nesting deeper than ${limits.maxDepth}`);
  const [major, info, arg, next] = readHead(bytes, pos);
  const remaining = bytes.length - next;
  switch (major) {
    case 0:
    case 1:
      if (info === 31) fail(`indefinite length on an integer at byte ${pos}`);
      return next;
    case 2:
    case 3:
      if (info === 31) return indefiniteString(bytes, next, major, limits, depth);
      if (arg > remaining) fail(`string of ${arg} bytes at byte ${pos} runs past the end (${remaining} left)`);
      return next + arg;
    case 4:
    case 5: {
      const perItem = major === 4 ? 1 : 2;
      let p = next;
      if (info === 31) {
        for (;;) {
          if (p >= bytes.length) fail('unterminated indefinite-length container');
          if (bytes[p] === 0xff) return p + 1;
          p = itemEnd(bytes, p, limits, depth + 1);
        }
      }
      // Each element takes at least one byte: a declared count larger than what is left is a lie.
      if (arg * perItem > remaining) fail(`container of ${arg} items at byte ${pos} runs past the end`);
      for (let i = 0; i < arg * perItem; i++) p = itemEnd(bytes, p, limits, depth + 1);
      return p;
    }
    case 6:
      if (info === 31) fail(`indefinite length on a tag at byte ${pos}`);
      if (!limits.allowedTags.has(arg)) fail(`tag ${arg} at byte ${pos} is not used by FDO`);
      checkTagContent(bytes, arg, next);
      return itemEnd(bytes, next, limits, depth + 1);
    default:
      // major 7: simple values and floats; the head already covered their size.
      if (info === 31) fail(`unexpected break at byte ${pos}`);
      if (info === 24 && arg < 32) fail(`non-preferred simple value at byte ${pos}`);
      return next;
  }
}

/**
 * The content type each FDO tag requires (RFC 8949 §3.4): bignums wrap a bstr, epoch time a number,
 * COSE structures an array. Checked here so the decoder never sees a nonsensical combination.
 */
const TAG_CONTENT: ReadonlyMap<number, readonly number[]> = new Map([
  [0, [3]],
  [1, [0, 1, 7]],
  [2, [2]],
  [3, [2]],
  [16, [4]],
  [17, [4]],
  [18, [4]],
]);

function checkTagContent(bytes: Uint8Array, tag: number, pos: number): void {
  const majors = TAG_CONTENT.get(tag);
  if (majors === undefined) return;
  if (pos >= bytes.length) fail(`truncated after tag ${tag}`);
  const major = bytes[pos]! >> 5;
  if (!majors.includes(major)) fail(`tag ${tag} at byte ${pos - 1} wraps the wrong type of item`);
  if (tag === 1 && major === 7 && (bytes[pos]! & 0x1f) < 25) fail(`tag 1 at byte ${pos - 1} wraps a simple value`);
}

function indefiniteString(bytes: Uint8Array, pos: number, major: number, limits: ScanLimits, depth: number): number {
  let p = pos;
  for (;;) {
    if (p >= bytes.length) fail('unterminated indefinite-length string');
    if (bytes[p] === 0xff) return p + 1;
    if (bytes[p]! >> 5 !== major || (bytes[p]! & 0x1f) === 31)
      fail(`bad chunk in indefinite-length string at byte ${p}`);
    p = itemEnd(bytes, p, limits, depth + 1);
  }
}

/** Checks that `bytes` holds exactly one well-formed data item, with no trailing bytes. */
export function assertWellFormed(bytes: Uint8Array, limits: ScanLimits = DEFAULT_LIMITS): void {
  if (bytes.length === 0) fail('empty input');
  const end = itemEnd(bytes, 0, limits);
  if (end !== bytes.length) fail(`${bytes.length - end} trailing bytes after the data item`);
}

/**
 * Returns the exact encoded bytes of each element of the CBOR array at the start of `bytes`
 * (definite length only, as FDO encodes). The slices share memory with `bytes`.
 */
export function rawArrayItems(bytes: Uint8Array, pos = 0, limits: ScanLimits = DEFAULT_LIMITS): Uint8Array[] {
  const [major, info, count, next] = readHead(bytes, pos);
  if (major !== 4) fail(`expected an array at byte ${pos}`);
  const items: Uint8Array[] = [];
  let p = next;
  if (info === 31) {
    while (bytes[p] !== 0xff) {
      const end = itemEnd(bytes, p, limits, 1);
      items.push(bytes.subarray(p, end));
      p = end;
    }
    return items;
  }
  for (let i = 0; i < count; i++) {
    const end = itemEnd(bytes, p, limits, 1);
    items.push(bytes.subarray(p, end));
    p = end;
  }
  return items;
}
