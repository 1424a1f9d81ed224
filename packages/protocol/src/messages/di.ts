/**
 * DI protocol bodies (FDO 1.1 §5.2): AppStart 10, SetCredentials 11, SetHMAC 12, Done 13.
 */
import { encode } from '../cbor/codec.js';
import * as read from '../cbor/read.js';
import { rawArrayItems } from '../cbor/scan.js';
import { MessageBodyError } from '../errors.js';
import { DeviceMfgInfo } from '../types/device-mfg-info.js';
import { HMac } from '../types/hash.js';
import { OVHeader } from '../types/ov-header.js';
import { decodeBody, rawArray, withMsgType } from './body.js';
import { MsgType } from './message-types.js';

/**
 * DI.AppStart (10), §5.2.1.
 * ```cddl
 * DI.AppStart = [ DeviceMfgInfo ]
 * ```
 * go-fdo and pri-fidoiot send DeviceMfgInfo wrapped in a bstr (`bstr .cbor DeviceMfgInfo`) and
 * go-fdo accepts null; a CBOR item sent inline is accepted too and kept as its exact bytes.
 */
export interface DIAppStart {
  /** The CBOR encoding of the manufacturing info (see {@link DeviceMfgInfo}), or null. */
  mfgInfo: Uint8Array | null;
  /** True when the info travels as an inline CBOR item; go-fdo and pri-fidoiot wrap it in a bstr (false). */
  inline: boolean;
}

export function encodeDIAppStart(m: DIAppStart): Uint8Array {
  if (m.mfgInfo !== null && m.inline) return rawArray([m.mfgInfo]);
  return encode([m.mfgInfo]);
}

export function decodeDIAppStart(bytes: Uint8Array): DIAppStart {
  return decodeBody(MsgType.DIAppStart, 'DI.AppStart', bytes, (v, path) => {
    const [info] = read.array(v, path, 1);
    if (info === null) return { mfgInfo: null, inline: false };
    if (info instanceof Uint8Array) return { mfgInfo: info, inline: false };
    return { mfgInfo: rawArrayItems(bytes)[0]!, inline: true };
  });
}

/** A DI.AppStart carrying `info` the way go-fdo and pri-fidoiot do (bstr-wrapped). */
export function diAppStartOf(info: DeviceMfgInfo): DIAppStart {
  return { mfgInfo: info.encode(), inline: false };
}

/** Parses the DeviceMfgInfo of an AppStart; a MessageBodyError (prevMsgType 10) when absent or not that layout. */
export function deviceMfgInfoOf(m: DIAppStart): DeviceMfgInfo {
  try {
    if (m.mfgInfo === null) throw new MessageBodyError('DI.AppStart: DeviceMfgInfo is null');
    return DeviceMfgInfo.decode(m.mfgInfo, 'DI.AppStart.DeviceMfgInfo');
  } catch (err) {
    throw withMsgType(err, MsgType.DIAppStart, 'DI.AppStart');
  }
}

/**
 * DI.SetCredentials (11), §5.2.2.
 * ```cddl
 * DI.SetCredentials = [ OVHeader ]   ; bstr .cbor OVHeader, as in the voucher (go-fdo)
 * ```
 * The header keeps its exact bytes: the device MACs them in DI.SetHMAC.
 */
export interface DISetCredentials {
  ovHeader: OVHeader;
}

export function encodeDISetCredentials(m: DISetCredentials): Uint8Array {
  return encode([m.ovHeader.bytes]);
}

export function decodeDISetCredentials(bytes: Uint8Array): DISetCredentials {
  return decodeBody(MsgType.DISetCredentials, 'DI.SetCredentials', bytes, (v, path) => {
    const [h] = read.array(v, path, 1);
    // Inline headers (an array rather than a bstr) are accepted, keeping their exact bytes.
    const headerBytes = h instanceof Uint8Array ? h : rawArrayItems(bytes)[0]!;
    if (!(h instanceof Uint8Array)) read.array(h, `${path}.OVHeader`);
    return { ovHeader: OVHeader.decode(headerBytes, `${path}.OVHeader`) };
  });
}

/**
 * DI.SetHMAC (12), §5.2.3.
 * ```cddl
 * DI.SetHMAC = [ Hmac ]   ; HMAC of the OVHeader bytes under the device secret
 * ```
 */
export interface DISetHMAC {
  hmac: HMac;
}

export function encodeDISetHMAC(m: DISetHMAC): Uint8Array {
  return encode([m.hmac.toCbor()]);
}

export function decodeDISetHMAC(bytes: Uint8Array): DISetHMAC {
  return decodeBody(MsgType.DISetHMAC, 'DI.SetHMAC', bytes, (v, path) => {
    const [h] = read.array(v, path, 1);
    return { hmac: HMac.fromCbor(h, `${path}.Hmac`) };
  });
}

/**
 * DI.Done (13), §5.2.4.
 * ```cddl
 * DI.Done = []
 * ```
 */
export type DIDone = Record<string, never>;

export function encodeDIDone(_m: DIDone = {}): Uint8Array {
  return encode([]);
}

export function decodeDIDone(bytes: Uint8Array): DIDone {
  return decodeBody(MsgType.DIDone, 'DI.Done', bytes, (v, path) => {
    read.array(v, path, 0);
    return {};
  });
}
