/**
 * TO2 bodies carried in the encrypted session (FDO 1.1 §5.5.8–§5.5.15): SetupDevice 65,
 * DeviceServiceInfoReady 66, OwnerServiceInfoReady 67, DeviceServiceInfo 68, OwnerServiceInfo 69,
 * Done 70, Done2 71. These codecs handle the plaintext; the session layer encrypts it.
 */
import { decode, encode } from '../cbor/codec.js';
import * as read from '../cbor/read.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { CoseSign1 } from '../cose/sign1.js';
import { MessageBodyError } from '../errors.js';
import { readGuid, readNonce, type Guid, type Nonce } from '../types/guid.js';
import { HMac } from '../types/hash.js';
import { PublicKey } from '../types/public-key.js';
import { RendezvousInfo } from '../types/rv-info.js';
import { serviceInfoFromCbor, serviceInfoToCbor, type ServiceInfo } from '../types/service-info.js';
import { decodeBody, type SigningKey } from './body.js';
import { MsgType } from './message-types.js';

const UINT16 = 0xffff;

/**
 * The payload of TO2.SetupDevice: the replacement credential (§5.5.8).
 * ```cddl
 * TO2SetupDevicePayload = [ RendezvousInfo, Guid, NonceTO2SetupDv, Owner2Key: PublicKey ]
 * ```
 */
export interface SetupDevicePayload {
  rendezvousInfo: RendezvousInfo;
  guid: Guid;
  nonceTO2SetupDv: Nonce;
  owner2Key: PublicKey;
}

/**
 * TO2.SetupDevice (65), §5.5.8: signed by the Owner2 key.
 * ```cddl
 * TO2.SetupDevice = CoseSignature   ; payload TO2SetupDevicePayload
 * ```
 */
export interface TO2SetupDevice {
  sign1: CoseSign1;
  payload: SetupDevicePayload;
}

export function signTO2SetupDevice(
  provider: CryptoProvider,
  owner2: SigningKey,
  payload: SetupDevicePayload,
): TO2SetupDevice {
  const bytes = encode([
    payload.rendezvousInfo.toCbor(),
    payload.guid,
    payload.nonceTO2SetupDv,
    payload.owner2Key.toCbor(),
  ]);
  return setupDeviceOf(
    CoseSign1.sign(provider, { alg: owner2.alg, key: owner2.key, payload: bytes }),
    'TO2.SetupDevice',
  );
}

function setupDeviceOf(sign1: CoseSign1, path: string): TO2SetupDevice {
  if (sign1.payload === null) throw new MessageBodyError(`${path}: the payload is detached`);
  const [rv, guid, nonce, key] = read.array(decode(sign1.payload), `${path}.payload`, 4);
  return {
    sign1,
    payload: {
      rendezvousInfo: RendezvousInfo.fromCbor(rv, `${path}.RendezvousInfo`),
      guid: readGuid(guid, `${path}.Guid`),
      nonceTO2SetupDv: readNonce(nonce, `${path}.NonceTO2SetupDv`),
      owner2Key: PublicKey.fromCborChecked(key, `${path}.Owner2Key`),
    },
  };
}

export function encodeTO2SetupDevice(m: TO2SetupDevice): Uint8Array {
  return m.sign1.encode();
}

export function decodeTO2SetupDevice(bytes: Uint8Array): TO2SetupDevice {
  return decodeBody(MsgType.TO2SetupDevice, 'TO2.SetupDevice', bytes, (v, path) =>
    setupDeviceOf(CoseSign1.fromCbor(v, path), path),
  );
}

/**
 * TO2.DeviceServiceInfoReady (66), §5.5.9. A null HMAC accepts credential reuse.
 * ```cddl
 * TO2.DeviceServiceInfoReady = [ ReplacementHMac: HMac / null, maxOwnerServiceInfoSz: uint16 / null ]
 * ```
 */
export interface TO2DeviceServiceInfoReady {
  replacementHmac: HMac | null;
  maxOwnerServiceInfoSz: number | null;
}

export function encodeTO2DeviceServiceInfoReady(m: TO2DeviceServiceInfoReady): Uint8Array {
  return encode([m.replacementHmac === null ? null : m.replacementHmac.toCbor(), m.maxOwnerServiceInfoSz]);
}

export function decodeTO2DeviceServiceInfoReady(bytes: Uint8Array): TO2DeviceServiceInfoReady {
  return decodeBody(MsgType.TO2DeviceServiceInfoReady, 'TO2.DeviceServiceInfoReady', bytes, (v, path) => {
    const [h, size] = read.array(v, path, 2);
    return {
      replacementHmac: read.nullable(h, (x) => HMac.fromCbor(x, `${path}.ReplacementHMac`)),
      maxOwnerServiceInfoSz: read.nullable(size, (x) => read.uint(x, `${path}.maxOwnerServiceInfoSz`, UINT16)),
    };
  });
}

/**
 * TO2.OwnerServiceInfoReady (67), §5.5.10.
 * ```cddl
 * TO2.OwnerServiceInfoReady = [ maxDeviceServiceInfoSz: uint16 / null ]
 * ```
 */
export interface TO2OwnerServiceInfoReady {
  maxDeviceServiceInfoSz: number | null;
}

export function encodeTO2OwnerServiceInfoReady(m: TO2OwnerServiceInfoReady): Uint8Array {
  return encode([m.maxDeviceServiceInfoSz]);
}

export function decodeTO2OwnerServiceInfoReady(bytes: Uint8Array): TO2OwnerServiceInfoReady {
  return decodeBody(MsgType.TO2OwnerServiceInfoReady, 'TO2.OwnerServiceInfoReady', bytes, (v, path) => {
    const [size] = read.array(v, path, 1);
    return {
      maxDeviceServiceInfoSz: read.nullable(size, (x) => read.uint(x, `${path}.maxDeviceServiceInfoSz`, UINT16)),
    };
  });
}

/**
 * TO2.DeviceServiceInfo (68), §5.5.11.
 * ```cddl
 * TO2.DeviceServiceInfo = [ IsMoreServiceInfo: bool, ServiceInfo ]
 * ```
 */
export interface TO2DeviceServiceInfo {
  isMoreServiceInfo: boolean;
  serviceInfo: ServiceInfo;
}

export function encodeTO2DeviceServiceInfo(m: TO2DeviceServiceInfo): Uint8Array {
  return encode([m.isMoreServiceInfo, serviceInfoToCbor(m.serviceInfo)]);
}

export function decodeTO2DeviceServiceInfo(bytes: Uint8Array): TO2DeviceServiceInfo {
  return decodeBody(MsgType.TO2DeviceServiceInfo, 'TO2.DeviceServiceInfo', bytes, (v, path) => {
    const [more, si] = read.array(v, path, 2);
    return {
      isMoreServiceInfo: read.bool(more, `${path}.IsMoreServiceInfo`),
      serviceInfo: serviceInfoFromCbor(si, `${path}.ServiceInfo`),
    };
  });
}

/**
 * TO2.OwnerServiceInfo (69), §5.5.12.
 * ```cddl
 * TO2.OwnerServiceInfo = [ IsMoreServiceInfo: bool, IsDone: bool, ServiceInfo ]
 * ```
 */
export interface TO2OwnerServiceInfo {
  isMoreServiceInfo: boolean;
  isDone: boolean;
  serviceInfo: ServiceInfo;
}

export function encodeTO2OwnerServiceInfo(m: TO2OwnerServiceInfo): Uint8Array {
  return encode([m.isMoreServiceInfo, m.isDone, serviceInfoToCbor(m.serviceInfo)]);
}

export function decodeTO2OwnerServiceInfo(bytes: Uint8Array): TO2OwnerServiceInfo {
  return decodeBody(MsgType.TO2OwnerServiceInfo, 'TO2.OwnerServiceInfo', bytes, (v, path) => {
    const [more, done, si] = read.array(v, path, 3);
    return {
      isMoreServiceInfo: read.bool(more, `${path}.IsMoreServiceInfo`),
      isDone: read.bool(done, `${path}.IsDone`),
      serviceInfo: serviceInfoFromCbor(si, `${path}.ServiceInfo`),
    };
  });
}

/**
 * TO2.Done (70), §5.5.13.
 * ```cddl
 * TO2.Done = [ NonceTO2ProveDv ]
 * ```
 */
export interface TO2Done {
  nonceTO2ProveDv: Nonce;
}

export function encodeTO2Done(m: TO2Done): Uint8Array {
  return encode([m.nonceTO2ProveDv]);
}

export function decodeTO2Done(bytes: Uint8Array): TO2Done {
  return decodeBody(MsgType.TO2Done, 'TO2.Done', bytes, (v, path) => {
    const [n] = read.array(v, path, 1);
    return { nonceTO2ProveDv: readNonce(n, `${path}.NonceTO2ProveDv`) };
  });
}

/**
 * TO2.Done2 (71), §5.5.14.
 * ```cddl
 * TO2.Done2 = [ NonceTO2SetupDv ]
 * ```
 */
export interface TO2Done2 {
  nonceTO2SetupDv: Nonce;
}

export function encodeTO2Done2(m: TO2Done2): Uint8Array {
  return encode([m.nonceTO2SetupDv]);
}

export function decodeTO2Done2(bytes: Uint8Array): TO2Done2 {
  return decodeBody(MsgType.TO2Done2, 'TO2.Done2', bytes, (v, path) => {
    const [n] = read.array(v, path, 1);
    return { nonceTO2SetupDv: readNonce(n, `${path}.NonceTO2SetupDv`) };
  });
}
