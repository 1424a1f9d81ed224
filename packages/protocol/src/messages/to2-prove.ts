/**
 * TO2 plaintext bodies (FDO 1.1 §5.5.1–§5.5.7): HelloDevice 60, ProveOVHdr 61, GetOVNextEntry 62,
 * OVNextEntry 63, ProveDevice 64 (the last plaintext message).
 */
import { decode, encode } from '../cbor/codec.js';
import * as read from '../cbor/read.js';
import { rawArrayItems } from '../cbor/scan.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { HeaderLabel } from '../cose/headers.js';
import { CoseSign1 } from '../cose/sign1.js';
import { MessageBodyError } from '../errors.js';
import { EntityAttestationToken } from '../types/eat.js';
import { readGuid, readNonce, type Guid, type Nonce } from '../types/guid.js';
import { Hash, HMac } from '../types/hash.js';
import { OVEntry } from '../types/ov-entry.js';
import { OVHeader } from '../types/ov-header.js';
import { PublicKey } from '../types/public-key.js';
import { SigInfo } from '../types/sig-info.js';
import { decodeBody, rawArray, type SigningKey } from './body.js';
import { MsgType } from './message-types.js';

const UINT8 = 0xff;
const UINT16 = 0xffff;

/**
 * TO2.HelloDevice (60), §5.5.1. Its exact bytes are hashed into ProveOVHdr's helloDeviceHash.
 * ```cddl
 * TO2.HelloDevice = [ maxDeviceMessageSize: uint16, Guid, NonceTO2ProveOV,
 *                     kexSuiteName: tstr, cipherSuiteName: int, eASigInfo ]
 * ```
 */
export interface TO2HelloDevice {
  maxDeviceMessageSize: number;
  guid: Guid;
  nonceTO2ProveOV: Nonce;
  kexSuiteName: string;
  cipherSuiteName: number;
  eASigInfo: SigInfo;
}

export function encodeTO2HelloDevice(m: TO2HelloDevice): Uint8Array {
  return encode([
    m.maxDeviceMessageSize,
    m.guid,
    m.nonceTO2ProveOV,
    m.kexSuiteName,
    m.cipherSuiteName,
    m.eASigInfo.toCbor(),
  ]);
}

export function decodeTO2HelloDevice(bytes: Uint8Array): TO2HelloDevice {
  return decodeBody(MsgType.TO2HelloDevice, 'TO2.HelloDevice', bytes, (v, path) => {
    const [size, guid, nonce, kex, cipher, sig] = read.array(v, path, 6);
    return {
      maxDeviceMessageSize: read.uint(size, `${path}.maxDeviceMessageSize`, UINT16),
      guid: readGuid(guid, `${path}.Guid`),
      nonceTO2ProveOV: readNonce(nonce, `${path}.NonceTO2ProveOV`),
      kexSuiteName: read.text(kex, `${path}.kexSuiteName`),
      cipherSuiteName: read.int(cipher, `${path}.cipherSuiteName`),
      eASigInfo: SigInfo.fromCbor(sig, `${path}.eASigInfo`),
    };
  });
}

/**
 * The payload of TO2.ProveOVHdr (§5.5.2).
 * ```cddl
 * TO2ProveOVHdrPayload = [
 *   bstr .cbor OVHeader, NumOVEntries: uint8, OVHeaderHMac: HMac, NonceTO2ProveOV,
 *   eBSigInfo, xAKeyExchange: bstr, helloDeviceHash: Hash, maxOwnerMessageSize: uint16 ]
 * ```
 */
export interface ProveOVHdrPayload {
  ovHeader: OVHeader;
  numOVEntries: number;
  hmac: HMac;
  nonceTO2ProveOV: Nonce;
  eBSigInfo: SigInfo;
  xAKeyExchange: Uint8Array;
  helloDeviceHash: Hash;
  maxOwnerMessageSize: number;
}

/**
 * TO2.ProveOVHdr (61), §5.5.2: signed by the owner key.
 * ```cddl
 * TO2.ProveOVHdr = CoseSignature   ; payload TO2ProveOVHdrPayload
 * $$TO2ProveOVHdrUnprotectedHeaders //= ( CUPHNonce: NonceTO2ProveDv, CUPHOwnerPubKey: PublicKey )
 * ```
 */
export interface TO2ProveOVHdr {
  sign1: CoseSign1;
  payload: ProveOVHdrPayload;
  /** CUPHNonce (256). */
  nonceTO2ProveDv: Nonce;
  /** CUPHOwnerPubKey (257). */
  ownerPubKey: PublicKey;
}

export function signTO2ProveOVHdr(
  provider: CryptoProvider,
  owner: SigningKey,
  payload: ProveOVHdrPayload,
  nonceTO2ProveDv: Nonce,
  ownerPubKey: PublicKey,
): TO2ProveOVHdr {
  const bytes = encode([
    payload.ovHeader.bytes,
    payload.numOVEntries,
    payload.hmac.toCbor(),
    payload.nonceTO2ProveOV,
    payload.eBSigInfo.toCbor(),
    payload.xAKeyExchange,
    payload.helloDeviceHash.toCbor(),
    payload.maxOwnerMessageSize,
  ]);
  const unprotected = new Map<number, unknown>([
    [HeaderLabel.CUPHNonce, nonceTO2ProveDv],
    [HeaderLabel.CUPHOwnerPubKey, ownerPubKey.toCbor()],
  ]);
  const sign1 = CoseSign1.sign(provider, { alg: owner.alg, key: owner.key, payload: bytes, unprotected });
  return proveOVHdrOf(sign1, 'TO2.ProveOVHdr');
}

function proveOVHdrOf(sign1: CoseSign1, path: string): TO2ProveOVHdr {
  if (sign1.payload === null) throw new MessageBodyError(`${path}: the payload is detached`);
  const p = read.array(decode(sign1.payload), `${path}.payload`, 8);
  const payload: ProveOVHdrPayload = {
    ovHeader: OVHeader.decode(read.bytes(p[0], `${path}.OVHeader`), `${path}.OVHeader`),
    numOVEntries: read.uint(p[1], `${path}.NumOVEntries`, UINT8),
    hmac: HMac.fromCbor(p[2], `${path}.OVHeaderHMac`),
    nonceTO2ProveOV: readNonce(p[3], `${path}.NonceTO2ProveOV`),
    eBSigInfo: SigInfo.fromCbor(p[4], `${path}.eBSigInfo`),
    xAKeyExchange: read.bytes(p[5], `${path}.xAKeyExchange`),
    helloDeviceHash: Hash.fromCbor(p[6], `${path}.helloDeviceHash`),
    maxOwnerMessageSize: read.uint(p[7], `${path}.maxOwnerMessageSize`, UINT16),
  };
  return {
    sign1,
    payload,
    nonceTO2ProveDv: readNonce(sign1.unprotected.get(HeaderLabel.CUPHNonce), `${path}.CUPHNonce`),
    ownerPubKey: PublicKey.fromCborChecked(
      sign1.unprotected.get(HeaderLabel.CUPHOwnerPubKey),
      `${path}.CUPHOwnerPubKey`,
    ),
  };
}

export function encodeTO2ProveOVHdr(m: TO2ProveOVHdr): Uint8Array {
  return m.sign1.encode();
}

export function decodeTO2ProveOVHdr(bytes: Uint8Array): TO2ProveOVHdr {
  return decodeBody(MsgType.TO2ProveOVHdr, 'TO2.ProveOVHdr', bytes, (v, path) =>
    proveOVHdrOf(CoseSign1.fromCbor(v, path), path),
  );
}

/**
 * TO2.GetOVNextEntry (62), §5.5.4.
 * ```cddl
 * TO2.GetOVNextEntry = [ OVEntryNum: uint8 ]
 * ```
 */
export interface TO2GetOVNextEntry {
  entryNum: number;
}

export function encodeTO2GetOVNextEntry(m: TO2GetOVNextEntry): Uint8Array {
  return encode([m.entryNum]);
}

export function decodeTO2GetOVNextEntry(bytes: Uint8Array): TO2GetOVNextEntry {
  return decodeBody(MsgType.TO2GetOVNextEntry, 'TO2.GetOVNextEntry', bytes, (v, path) => {
    const [n] = read.array(v, path, 1);
    return { entryNum: read.uint(n, `${path}.OVEntryNum`, UINT8) };
  });
}

/**
 * TO2.OVNextEntry (63), §5.5.5. The entry travels inline; its exact bytes are kept, since the
 * next entry's OVEHashPrevEntry covers them.
 * ```cddl
 * TO2.OVNextEntry = [ OVEntryNum: uint8, OVEntry ]   ; OVEntry = COSE_Sign1
 * ```
 */
export interface TO2OVNextEntry {
  entryNum: number;
  entry: OVEntry;
}

export function encodeTO2OVNextEntry(m: TO2OVNextEntry): Uint8Array {
  return rawArray([encode(m.entryNum), m.entry.bytes]);
}

export function decodeTO2OVNextEntry(bytes: Uint8Array): TO2OVNextEntry {
  return decodeBody(MsgType.TO2OVNextEntry, 'TO2.OVNextEntry', bytes, (v, path) => {
    const [n] = read.array(v, path, 2);
    return {
      entryNum: read.uint(n, `${path}.OVEntryNum`, UINT8),
      entry: OVEntry.decode(rawArrayItems(bytes)[1]!, `${path}.OVEntry`),
    };
  });
}

/**
 * TO2.ProveDevice (64), §5.5.6: an EAT signed by the device key.
 * ```cddl
 * TO2.ProveDevice = EAToken   ; EAT-NONCE = NonceTO2ProveDv
 * TO2ProveDevicePayload = [ xBKeyExchange: bstr ]            ; the EAT-FDO claim
 * $$EATUnprotectedHeaders //= ( EUPHNonce: NonceTO2SetupDv )
 * ```
 */
export interface TO2ProveDevice {
  eat: EntityAttestationToken;
  xBKeyExchange: Uint8Array;
  /** EUPHNonce (-259). */
  nonceTO2SetupDv: Nonce;
}

export interface ProveDeviceInput {
  guid: Guid;
  nonceTO2ProveDv: Nonce;
  nonceTO2SetupDv: Nonce;
  xBKeyExchange: Uint8Array;
}

export function signTO2ProveDevice(
  provider: CryptoProvider,
  device: SigningKey,
  input: ProveDeviceInput,
): TO2ProveDevice {
  const eat = EntityAttestationToken.sign(provider, {
    alg: device.alg,
    key: device.key,
    guid: input.guid,
    nonce: input.nonceTO2ProveDv,
    fdo: [input.xBKeyExchange],
    euphNonce: input.nonceTO2SetupDv,
  });
  return proveDeviceOf(eat, 'TO2.ProveDevice');
}

function proveDeviceOf(eat: EntityAttestationToken, path: string): TO2ProveDevice {
  const [xB] = read.array(eat.fdo, `${path}.EAT-FDO`, 1);
  if (eat.euphNonce === null) throw new MessageBodyError(`${path}: EUPHNonce (NonceTO2SetupDv) is missing`);
  return { eat, xBKeyExchange: read.bytes(xB, `${path}.xBKeyExchange`), nonceTO2SetupDv: eat.euphNonce };
}

export function encodeTO2ProveDevice(m: TO2ProveDevice): Uint8Array {
  return m.eat.encode();
}

export function decodeTO2ProveDevice(bytes: Uint8Array): TO2ProveDevice {
  return decodeBody(MsgType.TO2ProveDevice, 'TO2.ProveDevice', bytes, (v, path) =>
    proveDeviceOf(EntityAttestationToken.fromCbor(v, path), path),
  );
}
