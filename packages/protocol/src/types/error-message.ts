/**
 * ErrorMessage, message 255 (FDO 1.1 §3.7, codes in §5.1).
 *
 * ```cddl
 * ErrorMessage = [
 *   EMErrorCode: uint16,        ; §5.1
 *   EMPrevMsgID: uint8,         ; the message that failed
 *   EMErrorStr: tstr,           ; for logs; no security details
 *   EMErrorTs: timestamp,
 *   EMErrorCID: correlationId   ; uint / null
 * ]
 * timestamp = null / UTCStr / UTCInt / TIME_T
 * UTCStr = #6.0(tstr)
 * UTCInt = #6.1(uint)
 * TIME_T = uint                 ; device-local time
 * ```
 * In practice pri-fidoiot sends a plain integer timestamp and correlation id, fdo-rs sends null
 * timestamps, and go-fdo decodes the timestamp as an int64 (`protocol/error.go`). We accept every
 * form and emit plain unsigned integers for both, which all three read.
 */
import { Tag } from '../cbor/codec.js';
import * as read from '../cbor/read.js';
import { ErrorCode, FdoError } from '../errors.js';

/** EMErrorTs in the form received. */
export type ErrorTimestamp =
  | null
  /** A plain uint: TIME_T, or seconds since the epoch as pri-fidoiot and this library send. */
  | number
  /** #6.1(uint): seconds since the epoch. */
  | { readonly utcInt: number }
  /** #6.0(tstr): RFC 3339 date-time. */
  | { readonly utcStr: string };

export interface ErrorMessage {
  code: number;
  prevMsgType: number;
  message: string;
  timestamp: ErrorTimestamp;
  correlationId: number | null;
}

/** Longest EMErrorStr we send. */
const MAX_TEXT = 256;
const GENERIC_500 = 'internal error';

export function errorMessageToCbor(m: ErrorMessage): unknown[] {
  const ts = m.timestamp;
  const tsValue =
    ts === null || typeof ts === 'number' ? ts : 'utcInt' in ts ? new Tag(ts.utcInt, 1) : new Tag(ts.utcStr, 0);
  return [m.code, m.prevMsgType, m.message, tsValue, m.correlationId];
}

function readTimestamp(v: unknown, path: string): ErrorTimestamp {
  if (v === null || v === undefined) return null;
  // cbor-x turns tags 0 and 1 into Date; a caller that kept the raw form passes a Tag.
  if (v instanceof Tag) {
    if (v.tag === 1) return { utcInt: read.uint(v.value, path) };
    if (v.tag === 0) return { utcStr: read.text(v.value, path) };
    throw read.bodyError(path, 'a timestamp', v);
  }
  if (v instanceof Date) {
    const ms = v.getTime();
    if (!Number.isFinite(ms)) throw read.bodyError(path, 'a timestamp', v);
    return { utcInt: Math.floor(ms / 1000) };
  }
  return read.uint(v, path);
}

export function errorMessageFromCbor(v: unknown, path = 'ErrorMessage'): ErrorMessage {
  const [code, prev, text, ts, cid] = read.array(v, path, 5);
  return {
    code: read.uint(code, `${path}.EMErrorCode`, 0xffff),
    prevMsgType: read.uint(prev, `${path}.EMPrevMsgID`, 0xff),
    message: read.text(text, `${path}.EMErrorStr`),
    timestamp: readTimestamp(ts, `${path}.EMErrorTs`),
    correlationId: read.nullable(cid, (x) => read.uint(x, `${path}.EMErrorCID`)),
  };
}

export interface ErrorMessageOptions {
  /** Seconds since the epoch; defaults to now. */
  now?: number;
  /** Correlation id to log with the error; defaults to a random uint32. */
  correlationId?: number;
}

/**
 * The ErrorMessage a responder sends for `err` (§3.7). An {@link FdoError} keeps its code and its
 * own prevMsgType when set; its text is sent (the decoders' texts name only the offending field).
 * Anything else becomes code 500 with a generic text, so no internals leak; code 500 FdoErrors too.
 */
export function errorMessageFrom(err: unknown, prevMsgType: number, options: ErrorMessageOptions = {}): ErrorMessage {
  const fdo = err instanceof FdoError ? err : undefined;
  const code = fdo?.fdoCode ?? ErrorCode.InternalServerError;
  const text = fdo === undefined || code === ErrorCode.InternalServerError ? GENERIC_500 : fdo.message;
  const prev = fdo?.prevMsgType ?? prevMsgType;
  return {
    code,
    prevMsgType: Number.isInteger(prev) && prev >= 0 && prev <= 0xff ? prev : prevMsgType & 0xff,
    message: text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text,
    timestamp: Math.floor(options.now ?? Date.now() / 1000),
    correlationId: options.correlationId ?? Math.floor(Math.random() * 0x100000000),
  };
}
