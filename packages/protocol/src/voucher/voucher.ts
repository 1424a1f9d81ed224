/**
 * The ownership voucher (FDO 1.1 §2.7, §3.4.2).
 *
 * ```cddl
 * OwnershipVoucher = [
 *   OVProtVer:      protver,            ; 101
 *   OVHeaderTag:    bstr .cbor OVHeader,
 *   OVHeaderHMac:   HMac,               ; HMAC(device secret, OVHeader bytes)
 *   OVDevCertChain: OVDevCertChainOrNull,
 *   OVEntries:      OVEntries
 * ]
 * OVDevCertChainOrNull = X5CHAIN / null   ; X5CHAIN = [ + bstr ] (DER, leaf first)
 * OVEntries = [ * OVEntry ]
 * ```
 * Every item keeps its received bytes: {@link OwnershipVoucher.encode} reproduces a decoded
 * voucher byte for byte, and all hashes are computed over received bytes, never re-encodings.
 */
import { concat } from '../cbor/bytes.js';
import { decode, encode } from '../cbor/codec.js';
import * as read from '../cbor/read.js';
import { rawArrayItems } from '../cbor/scan.js';
import { InvalidOwnershipVoucherError } from '../errors.js';
import { formatGuid, type Guid } from '../types/guid.js';
import { HMac } from '../types/hash.js';
import { OVEntry } from '../types/ov-entry.js';
import { OVHeader, PROTOCOL_VERSION } from '../types/ov-header.js';
import type { PublicKey } from '../types/public-key.js';

const FDO10_MESSAGE =
  'FDO 1.0 voucher (no OVProtVer, unwrapped OVHeader) is not supported; convert it to the FDO 1.1 layout or re-run DI with an FDO 1.1 manufacturer';

/** CBOR head of a definite-length array of `n` items (RFC 8949 §3, preferred serialization). */
export function arrayHead(n: number): Uint8Array {
  if (n < 24) return Uint8Array.of(0x80 | n);
  if (n < 0x100) return Uint8Array.of(0x98, n);
  if (n < 0x10000) return Uint8Array.of(0x99, n >> 8, n & 0xff);
  return Uint8Array.of(0x9a, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
}

/** Detects the FDO 1.0 layout (fdo-rs `v100`): `[OVHeader (array), HMac, chain, entries]`. */
function looksLikeFdo10(items: unknown[]): boolean {
  if (items.length === 4 && Array.isArray(items[0])) return true;
  if (items[0] === 100) return true;
  if (Array.isArray(items[0]) && (items[0] as unknown[])[0] === 100) return true;
  return false;
}

export interface CreateVoucherInput {
  header: OVHeader;
  /** HMAC over the header bytes with the device's secret: the device computes it in DI (DI.SetHMAC, §5.2.3). */
  hmac: HMac;
  /** The device certificate chain (DER, leaf first), or null when the device has none. */
  certChain: Uint8Array[] | null;
}

export class OwnershipVoucher {
  private constructor(
    readonly protVer: number,
    readonly header: OVHeader,
    readonly hmac: HMac,
    readonly certChain: Uint8Array[] | null,
    readonly entries: readonly OVEntry[],
    /** Exact bytes of OVProtVer, OVHeaderTag (the bstr), OVHeaderHMac and OVDevCertChain. */
    readonly rawItems: readonly [Uint8Array, Uint8Array, Uint8Array, Uint8Array],
  ) {}

  /** The exact CBOR of OVHeaderHMac: with the header bytes, what entry 0's OVEHashPrevEntry covers. */
  get hmacBytes(): Uint8Array {
    return this.rawItems[2];
  }

  get guid(): Guid {
    return this.header.guid;
  }

  /** The current owner's key: the last entry's OVEPubKey, or the manufacturer key if there are no entries. */
  get ownerPublicKey(): PublicKey {
    const last = this.entries.at(-1);
    return last === undefined ? this.header.publicKey : last.payload.publicKey;
  }

  /** Decodes a voucher, keeping the exact bytes of the header, HMAC, chain and each entry. */
  static decode(bytes: Uint8Array, path = 'OwnershipVoucher'): OwnershipVoucher {
    const value = decode(bytes);
    const items = read.array(value, path);
    if (looksLikeFdo10(items)) throw new InvalidOwnershipVoucherError(FDO10_MESSAGE);
    if (items.length !== 5) throw read.bodyError(path, 'an array of 5', value);
    const protVer = read.uint(items[0], `${path}.OVProtVer`, 0xffff);
    if (protVer !== PROTOCOL_VERSION) {
      throw new InvalidOwnershipVoucherError(
        `${path}.OVProtVer: protocol version ${protVer} is not supported (expected 101)`,
      );
    }
    const headerBytes = read.bytes(items[1], `${path}.OVHeaderTag`);
    const headerValue = decode(headerBytes);
    if (Array.isArray(headerValue) && headerValue[0] === 100) throw new InvalidOwnershipVoucherError(FDO10_MESSAGE);
    const header = OVHeader.decode(headerBytes, `${path}.OVHeader`);
    const hmac = HMac.fromCbor(items[2], `${path}.OVHeaderHMac`);
    const certChain = read.nullable(items[3], (v) =>
      read.arrayOf(v, `${path}.OVDevCertChain`, 1).map((c, i) => read.bytes(c, `${path}.OVDevCertChain[${i}]`)),
    );
    read.array(items[4], `${path}.OVEntries`);
    const raw = rawArrayItems(bytes);
    const entries = rawArrayItems(raw[4]!).map((e, i) => OVEntry.decode(e, `${path}.OVEntries[${i}]`));
    return new OwnershipVoucher(protVer, header, hmac, certChain, entries, [raw[0]!, raw[1]!, raw[2]!, raw[3]!]);
  }

  /** A voucher as DI makes it (§5.2): header, device-computed HMAC, cert chain, no entries. */
  static create(input: CreateVoucherInput): OwnershipVoucher {
    const raw: [Uint8Array, Uint8Array, Uint8Array, Uint8Array] = [
      encode(PROTOCOL_VERSION),
      encode(input.header.bytes),
      encode(input.hmac.toCbor()),
      encode(input.certChain),
    ];
    return new OwnershipVoucher(PROTOCOL_VERSION, input.header, input.hmac, input.certChain, [], raw);
  }

  /** This voucher with one more entry (already signed); see `extendVoucher` for building one. */
  withEntry(entry: OVEntry): OwnershipVoucher {
    return new OwnershipVoucher(
      this.protVer,
      this.header,
      this.hmac,
      this.certChain,
      [...this.entries, entry],
      [...this.rawItems],
    );
  }

  /** The voucher's CBOR: the received bytes of every item, in order. */
  encode(): Uint8Array {
    return concat(arrayHead(5), ...this.rawItems, arrayHead(this.entries.length), ...this.entries.map((e) => e.bytes));
  }

  /** A one-line summary for logs. */
  toString(): string {
    return `OwnershipVoucher(${formatGuid(this.guid)}, "${this.header.deviceInfo}", ${this.entries.length} entries)`;
  }
}
