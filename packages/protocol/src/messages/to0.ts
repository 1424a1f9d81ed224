/**
 * TO0 protocol bodies (FDO 1.1 §5.3): Hello 20, HelloAck 21, OwnerSign 22, AcceptOwner 23.
 * The owner is the client; the rendezvous server answers.
 */
import { decode, encode } from '../cbor/codec.js';
import * as read from '../cbor/read.js';
import { rawArrayItems } from '../cbor/scan.js';
import { readNonce, type Nonce } from '../types/guid.js';
import { decodeBody, rawArray } from './body.js';
import { MsgType } from './message-types.js';
import { To1d } from './to1d.js';

const UINT32 = 0xffffffff;

/**
 * TO0.Hello (20), §5.3.1.
 * ```cddl
 * TO0.Hello = []
 * ```
 */
export type TO0Hello = Record<string, never>;

export function encodeTO0Hello(_m: TO0Hello = {}): Uint8Array {
  return encode([]);
}

export function decodeTO0Hello(bytes: Uint8Array): TO0Hello {
  return decodeBody(MsgType.TO0Hello, 'TO0.Hello', bytes, (v, path) => {
    read.array(v, path, 0);
    return {};
  });
}

/**
 * TO0.HelloAck (21), §5.3.2.
 * ```cddl
 * TO0.HelloAck = [ NonceTO0Sign ]
 * ```
 */
export interface TO0HelloAck {
  nonceTO0Sign: Nonce;
}

export function encodeTO0HelloAck(m: TO0HelloAck): Uint8Array {
  return encode([m.nonceTO0Sign]);
}

export function decodeTO0HelloAck(bytes: Uint8Array): TO0HelloAck {
  return decodeBody(MsgType.TO0HelloAck, 'TO0.HelloAck', bytes, (v, path) => {
    const [n] = read.array(v, path, 1);
    return { nonceTO0Sign: readNonce(n, `${path}.NonceTO0Sign`) };
  });
}

/**
 * to0d, the bstr-wrapped first element of TO0.OwnerSign (§5.3.3). Its exact bytes are what
 * to1dTo0dHash covers; the voucher stays raw for the voucher layer.
 * ```cddl
 * to0d = [ OwnershipVoucher, WaitSeconds: uint32, NonceTO0Sign ]
 * ```
 */
export interface To0d {
  /** The exact to0d CBOR (the bstr contents): hash these for to1dTo0dHash. */
  bytes: Uint8Array;
  /** The exact encoded OwnershipVoucher inside to0d. */
  voucherBytes: Uint8Array;
  waitSeconds: number;
  nonceTO0Sign: Nonce;
}

/** Builds to0d around an encoded voucher, keeping the voucher's bytes as they are. */
export function makeTo0d(voucherBytes: Uint8Array, waitSeconds: number, nonceTO0Sign: Nonce): To0d {
  return parseTo0d(rawArray([voucherBytes, encode(waitSeconds), encode(nonceTO0Sign)]), 'to0d');
}

function parseTo0d(bytes: Uint8Array, path: string): To0d {
  const [voucher, wait, nonce] = read.array(decode(bytes), path, 3);
  read.arrayOf(voucher, `${path}.OwnershipVoucher`, 1);
  return {
    bytes,
    voucherBytes: rawArrayItems(bytes)[0]!,
    waitSeconds: read.uint(wait, `${path}.WaitSeconds`, UINT32),
    nonceTO0Sign: readNonce(nonce, `${path}.NonceTO0Sign`),
  };
}

/**
 * TO0.OwnerSign (22), §5.3.3.
 * ```cddl
 * TO0.OwnerSign = [
 *   to0d: bstr .cbor to0d,
 *   to1d: COSE_Sign1(to1dBlobPayload)   ; see to1d.ts
 * ]
 * ```
 */
export interface TO0OwnerSign {
  to0d: To0d;
  to1d: To1d;
}

export function encodeTO0OwnerSign(m: TO0OwnerSign): Uint8Array {
  return encode([m.to0d.bytes, m.to1d.toCbor()]);
}

export function decodeTO0OwnerSign(bytes: Uint8Array): TO0OwnerSign {
  return decodeBody(MsgType.TO0OwnerSign, 'TO0.OwnerSign', bytes, (v, path) => {
    const [to0d, to1d] = read.array(v, path, 2);
    return {
      to0d: parseTo0d(read.bytes(to0d, `${path}.to0d`), `${path}.to0d`),
      to1d: To1d.fromCbor(to1d, `${path}.to1d`),
    };
  });
}

/**
 * TO0.AcceptOwner (23), §5.3.4.
 * ```cddl
 * TO0.AcceptOwner = [ WaitSeconds ]   ; what the rendezvous server grants
 * ```
 */
export interface TO0AcceptOwner {
  waitSeconds: number;
}

export function encodeTO0AcceptOwner(m: TO0AcceptOwner): Uint8Array {
  return encode([m.waitSeconds]);
}

export function decodeTO0AcceptOwner(bytes: Uint8Array): TO0AcceptOwner {
  return decodeBody(MsgType.TO0AcceptOwner, 'TO0.AcceptOwner', bytes, (v, path) => {
    const [w] = read.array(v, path, 1);
    return { waitSeconds: read.uint(w, `${path}.WaitSeconds`, UINT32) };
  });
}
