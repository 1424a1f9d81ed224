/**
 * DeviceMfgInfo, the contents of DI.AppStart (FDO 1.1 §5.2.1). The spec leaves its layout to the
 * manufacturer; this is the layout go-fdo (`custom/di.go`), pri-fidoiot (`ManufacturingInfo`) and
 * the C client share:
 *
 * ```cddl
 * DeviceMfgInfo = [
 *   pkType,            ; PublicKey type of the device attestation key (§3.3.4)
 *   pkEnc,             ; PublicKey encoding the device wants in the voucher
 *   serialNo: tstr,
 *   deviceInfo: tstr,  ; model; becomes OVHeader.OVDeviceInfo
 *   CSR: bstr,         ; DER PKCS#10 certificate signing request for the device key
 *   ? * any            ; the C client once appended OnDie chain, test signature, MAROE prefix
 * ]
 * ```
 * Go and Java send it wrapped in a bstr (`bstr .cbor DeviceMfgInfo`): see messages/di.ts.
 */
import { decode, encode } from '../cbor/codec.js';
import * as read from '../cbor/read.js';
import { PkEnc, PkType } from './public-key.js';

const PK_TYPES = Object.values(PkType);
const PK_ENCS = Object.values(PkEnc);

export class DeviceMfgInfo {
  constructor(
    readonly keyType: PkType,
    readonly keyEncoding: PkEnc,
    readonly serialNumber: string,
    readonly deviceInfo: string,
    /** DER PKCS#10 CertificationRequest. */
    readonly csr: Uint8Array,
    /** Trailing items some clients append (C SDK); kept so a re-encoding is byte-identical. */
    readonly extra: readonly unknown[] = [],
  ) {}

  toCbor(): unknown[] {
    return [this.keyType, this.keyEncoding, this.serialNumber, this.deviceInfo, this.csr, ...this.extra];
  }

  encode(): Uint8Array {
    return encode(this.toCbor());
  }

  static fromCbor(v: unknown, path = 'DeviceMfgInfo'): DeviceMfgInfo {
    const items = read.arrayOf(v, path, 5, 8);
    return new DeviceMfgInfo(
      read.oneOf(items[0], `${path}.pkType`, PK_TYPES),
      read.oneOf(items[1], `${path}.pkEnc`, PK_ENCS),
      read.text(items[2], `${path}.serialNo`),
      read.text(items[3], `${path}.deviceInfo`),
      read.bytes(items[4], `${path}.CSR`),
      items.slice(5),
    );
  }

  static decode(bytes: Uint8Array, path?: string): DeviceMfgInfo {
    return DeviceMfgInfo.fromCbor(decode(bytes), path);
  }
}
