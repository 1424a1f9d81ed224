/**
 * ECDH256 / ECDH384 key exchange (FDO 1.1 §3.6.3).
 *
 * Each side sends `blen(X) ‖ X ‖ blen(Y) ‖ Y ‖ blen(Random) ‖ Random` with 16-bit big-endian lengths,
 * X and Y the affine coordinates of an ephemeral key on the suite's curve and Random 16 (ECDH256) or
 * 48 (ECDH384) bytes. ShSe = X coordinate of the ECDH product ‖ DeviceRandom ‖ OwnerRandom;
 * ContextRand is empty.
 */
import { InvalidMessageError, MessageBodyError } from '../errors.js';
import type { CryptoProvider, EcdhKeyPair } from '../crypto/provider.js';
import { fixedUnsigned } from './bytes.js';
import type { EcdhSuite } from './suites.js';

const FIELD = { 'P-256': 32, 'P-384': 48 } as const;

export interface EcdhParam {
  readonly x: Uint8Array;
  readonly y: Uint8Array;
  readonly random: Uint8Array;
}

/** Encodes xA / xB. */
export function encodeEcdhParam(p: EcdhParam): Uint8Array {
  const out = new Uint8Array(6 + p.x.length + p.y.length + p.random.length);
  let offset = 0;
  for (const part of [p.x, p.y, p.random]) {
    out[offset] = part.length >>> 8;
    out[offset + 1] = part.length & 0xff;
    out.set(part, offset + 2);
    offset += 2 + part.length;
  }
  return out;
}

/** Decodes xA / xB; truncation, trailing bytes or wrong sizes are MessageBodyError. */
export function decodeEcdhParam(suite: EcdhSuite, bytes: Uint8Array, what: string): EcdhParam {
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (let i = 0; i < 3; i++) {
    if (offset + 2 > bytes.length) throw new MessageBodyError(`${what} (${suite.name}) is truncated`);
    const length = (bytes[offset]! << 8) | bytes[offset + 1]!;
    offset += 2;
    if (offset + length > bytes.length) throw new MessageBodyError(`${what} (${suite.name}) is truncated`);
    parts.push(bytes.subarray(offset, offset + length));
    offset += length;
  }
  if (offset !== bytes.length) throw new MessageBodyError(`${what} (${suite.name}) has trailing bytes`);
  const [x, y, random] = parts as [Uint8Array, Uint8Array, Uint8Array];
  if (random.length !== suite.randomLength) {
    throw new MessageBodyError(`${what} random is ${random.length} bytes, ${suite.name} needs ${suite.randomLength}`);
  }
  const n = FIELD[suite.curve];
  return { x: fixedUnsigned(x, n, `${what} X`), y: fixedUnsigned(y, n, `${what} Y`), random: Uint8Array.from(random) };
}

function paramOf(key: EcdhKeyPair, random: Uint8Array): Uint8Array {
  return encodeEcdhParam({ x: key.x, y: key.y, random });
}

/** The ECDH X coordinate with the peer's point; a point off the curve is InvalidMessageError. */
function derive(key: EcdhKeyPair, peer: EcdhParam, what: string): Uint8Array {
  try {
    return key.derive(peer.x, peer.y);
  } catch (cause) {
    throw new InvalidMessageError(`${what} is not a valid ${key.curve} point`, { cause });
  }
}

function shSeOf(x: Uint8Array, deviceRandom: Uint8Array, ownerRandom: Uint8Array): Uint8Array {
  const out = new Uint8Array(x.length + deviceRandom.length + ownerRandom.length);
  out.set(x);
  out.set(deviceRandom, x.length);
  out.set(ownerRandom, x.length + deviceRandom.length);
  return out;
}

/** Owner, TO2.ProveOVHdr: a fresh key and random; `privateKey` is what the stored session keeps. */
export function ecdhBegin(provider: CryptoProvider, suite: EcdhSuite): { xA: Uint8Array; privateKey: Uint8Array } {
  const key = provider.ecdhGenerate(suite.curve);
  return { xA: paramOf(key, provider.randomBytes(suite.randomLength)), privateKey: key.privateKey };
}

/** Device, TO2.ProveDevice: answers xA and derives ShSe. */
export function ecdhRespond(
  provider: CryptoProvider,
  suite: EcdhSuite,
  xA: Uint8Array,
): { xB: Uint8Array; shSe: Uint8Array } {
  const owner = decodeEcdhParam(suite, xA, 'xA');
  const key = provider.ecdhGenerate(suite.curve);
  const deviceRandom = provider.randomBytes(suite.randomLength);
  const x = derive(key, owner, 'xA');
  return { xB: paramOf(key, deviceRandom), shSe: shSeOf(x, deviceRandom, owner.random) };
}

/** Owner, on TO2.ProveDevice: derives ShSe from the stored key and xA and the device's xB. */
export function ecdhFinish(
  provider: CryptoProvider,
  suite: EcdhSuite,
  xA: Uint8Array,
  privateKey: Uint8Array,
  xB: Uint8Array,
): Uint8Array {
  const own = decodeEcdhParam(suite, xA, 'stored xA');
  const device = decodeEcdhParam(suite, xB, 'xB');
  const key = provider.ecdhFromPrivate(suite.curve, privateKey);
  return shSeOf(derive(key, device, 'xB'), device.random, own.random);
}
