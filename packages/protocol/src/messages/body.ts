/**
 * Shared machinery of the message codecs (FDO 1.1 §3.2): decode one body, turn any failure into
 * an {@link FdoError} that names the message (EMPrevMsgID), and build arrays from exact bytes.
 */
import { concat } from '../cbor/bytes.js';
import { decode } from '../cbor/codec.js';
import { DEFAULT_LIMITS, type ScanLimits } from '../cbor/scan.js';
import type { SignatureAlgorithm } from '../cose/algorithms.js';
import type { PrivateKeyDer } from '../crypto/provider.js';
import { FdoError, MessageBodyError } from '../errors.js';

/**
 * Decodes `bytes` and applies `parse`. Any failure is rethrown as an FdoError whose prevMsgType
 * is `type`: FdoErrors keep their code; anything else (a bug or a surprise in a lower layer)
 * becomes a MessageBodyError, so a peer's bytes can never raise another kind of exception.
 */
export function decodeBody<T>(
  type: number,
  name: string,
  bytes: Uint8Array,
  parse: (value: unknown, path: string) => T,
  limits: ScanLimits = DEFAULT_LIMITS,
): T {
  try {
    if (!(bytes instanceof Uint8Array)) throw new MessageBodyError(`${name}: body is not bytes`);
    return parse(decode(bytes, limits), name);
  } catch (err) {
    throw withMsgType(err, type, name);
  }
}

const unexpected = new WeakSet<FdoError>();

/** Sets prevMsgType on an FdoError, or wraps anything else in a MessageBodyError. */
export function withMsgType(err: unknown, type: number, name: string): FdoError {
  if (err instanceof FdoError) {
    err.prevMsgType = type;
    return err;
  }
  const text = err instanceof Error ? err.message : String(err);
  const wrapped = new MessageBodyError(`${name}: ${text}`, { cause: err, prevMsgType: type });
  unexpected.add(wrapped);
  return wrapped;
}

/**
 * True for an error {@link withMsgType} made from a non-FdoError: the peer still gets a message
 * body error, but a decoder let a foreign exception through, which tests and fuzzing treat as a bug.
 */
export function isUnexpectedError(err: unknown): boolean {
  return err instanceof FdoError && unexpected.has(err);
}

/** The head of a CBOR item of `major` type carrying `n` (RFC 8949 §3, preferred serialization). */
export function cborHead(major: number, n: number): Uint8Array {
  const m = major << 5;
  if (n < 24) return new Uint8Array([m | n]);
  if (n < 0x100) return new Uint8Array([m | 24, n]);
  if (n < 0x10000) return new Uint8Array([m | 25, n >> 8, n & 0xff]);
  return new Uint8Array([m | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
}

/** A definite-length array whose elements are given as exact encoded bytes. */
export function rawArray(items: readonly Uint8Array[]): Uint8Array {
  return concat(cborHead(4, items.length), ...items);
}

/** A private key and the COSE algorithm it signs with, for the signed message bodies. */
export interface SigningKey {
  alg: SignatureAlgorithm;
  key: PrivateKeyDer;
}
