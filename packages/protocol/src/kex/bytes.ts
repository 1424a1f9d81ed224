/** Helpers for the unsigned big-endian integers that key exchange parameters carry. */
import { MessageBodyError } from '../errors.js';

/**
 * An unsigned big-endian integer normalised to exactly `size` bytes. Shorter values are left-padded
 * (go-fdo and PRI read these with big.Int / BigInteger, so a peer may drop leading zeros) and one
 * extra leading 0x00 is tolerated (Java's BigInteger.toByteArray sign byte). Anything else is malformed.
 */
export function fixedUnsigned(value: Uint8Array, size: number, what: string): Uint8Array {
  let v = value;
  while (v.length > size && v[0] === 0) v = v.subarray(1);
  if (v.length === 0 || v.length > size) {
    throw new MessageBodyError(`${what} is ${value.length} bytes, expected at most ${size}`);
  }
  const out = new Uint8Array(size);
  out.set(v, size - v.length);
  return out;
}

export function toBigInt(b: Uint8Array): bigint {
  let hex = '';
  for (const x of b) hex += x.toString(16).padStart(2, '0');
  return hex === '' ? 0n : BigInt(`0x${hex}`);
}
