/**
 * OVHeader (FDO 1.1 §3.4.2): the unchanging part of an ownership voucher, written at DI.
 *
 * ```cddl
 * OVHeader = [
 *   OVHProtVer:         protver,            ; 101
 *   OVGuid:             Guid,
 *   OVRVInfo:           RendezvousInfo,
 *   OVDeviceInfo:       tstr,
 *   OVPubKey:           PublicKey,          ; the manufacturer's key
 *   OVDevCertChainHash: OVDevCertChainHashOrNull
 * ]
 * OVDevCertChainHashOrNull = Hash / null   ; null iff OVDevCertChain is null
 * ```
 * The header travels as `bstr .cbor OVHeader`; {@link OVHeader.bytes} keeps those exact bytes,
 * which are what the header HMAC and the first entry's hash cover.
 */
import { decode, encode } from '../cbor/codec.js';
import * as read from '../cbor/read.js';
import { MessageBodyError } from '../errors.js';
import { readGuid, type Guid } from './guid.js';
import { Hash } from './hash.js';
import { PublicKey } from './public-key.js';
import { RendezvousInfo } from './rv-info.js';

/** The protocol version FDO 1.1 transmits (§1.1): major × 100 + minor. */
export const PROTOCOL_VERSION = 101;

export interface OVHeaderFields {
  protVer?: number;
  guid: Guid;
  rvInfo: RendezvousInfo;
  deviceInfo: string;
  publicKey: PublicKey;
  certChainHash: Hash | null;
}

export class OVHeader {
  private constructor(
    /** The exact CBOR of the header (the bstr contents): what is hashed and MACed. */
    readonly bytes: Uint8Array,
    readonly protVer: number,
    readonly guid: Guid,
    readonly rvInfo: RendezvousInfo,
    readonly deviceInfo: string,
    /** OVPubKey: the manufacturer's public key, which signs entry 0. */
    readonly publicKey: PublicKey,
    readonly certChainHash: Hash | null,
  ) {}

  /** Decodes header bytes, keeping them. Rejects a protocol version other than 101. */
  static decode(bytes: Uint8Array, path = 'OVHeader'): OVHeader {
    const fields = read.array(decode(bytes), path, 6);
    const protVer = read.uint(fields[0], `${path}.OVHProtVer`, 0xffff);
    if (protVer !== PROTOCOL_VERSION) {
      throw new MessageBodyError(`${path}.OVHProtVer: protocol version ${protVer} is not supported (expected 101)`);
    }
    return new OVHeader(
      bytes,
      protVer,
      readGuid(fields[1], `${path}.OVGuid`),
      RendezvousInfo.fromCbor(fields[2], `${path}.OVRVInfo`),
      read.text(fields[3], `${path}.OVDeviceInfo`),
      PublicKey.fromCborChecked(fields[4], `${path}.OVPubKey`),
      read.nullable(fields[5], (v) => Hash.fromCbor(v, `${path}.OVDevCertChainHash`)),
    );
  }

  /** Builds a header and encodes it once; `bytes` is that encoding. */
  static create(fields: OVHeaderFields): OVHeader {
    const bytes = encode([
      fields.protVer ?? PROTOCOL_VERSION,
      fields.guid,
      fields.rvInfo.toCbor(),
      fields.deviceInfo,
      fields.publicKey.toCbor(),
      fields.certChainHash === null ? null : fields.certChainHash.toCbor(),
    ]);
    return OVHeader.decode(bytes);
  }
}
