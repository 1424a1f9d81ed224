/**
 * COSE header labels (RFC 8152 §3.1) and the FDO-specific labels (FDO 1.1 §3.3.2, §3.5.4, §5.5.3).
 */
import { encode } from '../cbor/codec.js';
import { decode } from '../cbor/codec.js';
import { MessageBodyError } from '../errors.js';

export const HeaderLabel = {
  alg: 1,
  crit: 2,
  contentType: 3,
  kid: 4,
  iv: 5,
  partialIv: 6,
  /** CUPHNonce: unprotected header of TO2.ProveOVHdr carrying NonceTO2ProveDv (FDO 1.1 §5.5.3). */
  CUPHNonce: 256,
  /** CUPHOwnerPubKey: unprotected header of TO2.ProveOVHdr carrying the owner public key. */
  CUPHOwnerPubKey: 257,
  /** EUPHNonce: unprotected header of the TO2.ProveDevice EAT carrying NonceTO2SetupDv (FDO 1.1 §5.5.8). */
  EUPHNonce: -259,
  /** EATMAROEPrefix (FDO 1.1 §3.5.4). */
  EATMAROEPrefix: -258,
} as const;

/** A COSE header map: integer (or text) labels to values. */
export type HeaderMap = Map<number | string, unknown>;

/**
 * Encodes a protected header map as the bstr contents. An empty map is the zero-length string
 * (RFC 8152 §3), which is what FDO peers send.
 */
export function encodeProtected(headers: HeaderMap): Uint8Array {
  return headers.size === 0 ? new Uint8Array(0) : encode(headers);
}

/** Decodes protected header bytes; a zero-length string is the empty map. */
export function decodeProtected(bytes: Uint8Array, path: string): HeaderMap {
  if (bytes.length === 0) return new Map();
  const value = decode(bytes);
  if (!(value instanceof Map)) throw new MessageBodyError(`${path}: protected header is not a map`);
  return value as HeaderMap;
}

export function headerMap(value: unknown, path: string): HeaderMap {
  if (!(value instanceof Map)) throw new MessageBodyError(`${path}: unprotected header is not a map`);
  return value as HeaderMap;
}
