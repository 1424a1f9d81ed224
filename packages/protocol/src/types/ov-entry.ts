/**
 * OVEntry and OVEntryPayload (FDO 1.1 §3.4.2): one link of an ownership voucher's chain, signed
 * by the previous owner's key (the manufacturer key, OVPubKey, for entry 0).
 *
 * ```cddl
 * OVEntry = COSE_Sign1(OVEntryPayload)   ; tagged, signed with the previous owner key
 * OVEntryPayload = [
 *   OVEHashPrevEntry: Hash,   ; entry 0: H(OVHeader bytes ‖ OVHeaderHMac CBOR); else H(entry n-1, whole tagged COSE_Sign1)
 *   OVEHashHdrInfo:   Hash,   ; H(OVGuid ‖ UTF-8 OVDeviceInfo)
 *   OVEExtra:         null / bstr .cbor OVEExtraInfo,
 *   OVEPubKey:        PublicKey   ; the next owner's key
 * ]
 * OVEExtraInfo = { * OVEExtraInfoType: bstr }   ; OVEExtraInfoType = int
 * ```
 */
import { decode, encode } from '../cbor/codec.js';
import * as read from '../cbor/read.js';
import { CoseSign1 } from '../cose/sign1.js';
import { MessageBodyError } from '../errors.js';
import { Hash } from './hash.js';
import { PublicKey } from './public-key.js';

export interface OVEntryPayloadFields {
  prevHash: Hash;
  hdrInfoHash: Hash;
  extra?: Map<number, Uint8Array> | null;
  publicKey: PublicKey;
}

export class OVEntryPayload {
  private constructor(
    readonly prevHash: Hash,
    readonly hdrInfoHash: Hash,
    readonly extra: Map<number, Uint8Array> | null,
    readonly publicKey: PublicKey,
    /** The exact CBOR of the payload (the COSE_Sign1 payload bstr contents). */
    readonly bytes: Uint8Array,
  ) {}

  static decode(bytes: Uint8Array, path = 'OVEntryPayload'): OVEntryPayload {
    const [prev, hdr, extra, pk] = read.array(decode(bytes), path, 4);
    return new OVEntryPayload(
      Hash.fromCbor(prev, `${path}.OVEHashPrevEntry`),
      Hash.fromCbor(hdr, `${path}.OVEHashHdrInfo`),
      read.nullable(extra, (v) => readExtra(read.bytes(v, `${path}.OVEExtra`), `${path}.OVEExtra`)),
      PublicKey.fromCborChecked(pk, `${path}.OVEPubKey`),
      bytes,
    );
  }

  /** Builds a payload and encodes it once. */
  static create(fields: OVEntryPayloadFields): OVEntryPayload {
    const extra = fields.extra ?? null;
    const bytes = encode([
      fields.prevHash.toCbor(),
      fields.hdrInfoHash.toCbor(),
      extra === null ? null : encode(extra),
      fields.publicKey.toCbor(),
    ]);
    return OVEntryPayload.decode(bytes);
  }
}

function readExtra(bytes: Uint8Array, path: string): Map<number, Uint8Array> {
  const m = read.map(decode(bytes), path);
  const out = new Map<number, Uint8Array>();
  for (const [k, v] of m) {
    const key = read.int(k, `${path} key`);
    out.set(key, read.bytes(v, `${path}[${key}]`));
  }
  return out;
}

export class OVEntry {
  private constructor(
    /** The exact encoded (tagged) COSE_Sign1: what the next entry's OVEHashPrevEntry covers. */
    readonly bytes: Uint8Array,
    readonly sign1: CoseSign1,
    readonly payload: OVEntryPayload,
  ) {}

  /** Decodes one entry from its exact bytes, keeping them. */
  static decode(bytes: Uint8Array, path = 'OVEntry'): OVEntry {
    const sign1 = CoseSign1.decode(bytes, path);
    if (sign1.payload === null) throw new MessageBodyError(`${path}: COSE_Sign1 payload is nil`);
    return new OVEntry(bytes, sign1, OVEntryPayload.decode(sign1.payload, `${path}.payload`));
  }

  /** Wraps a freshly signed COSE_Sign1; its encoding becomes `bytes`. */
  static fromSign1(sign1: CoseSign1): OVEntry {
    return OVEntry.decode(sign1.encode());
  }
}
