/**
 * SigInfo (FDO 1.1 §3.3.7): eASigInfo / eBSigInfo, the device's signature type.
 *
 * ```cddl
 * SigInfo = [ sgType: DeviceSgType, Info: bstr ]
 * DeviceSgType = -7 / -35 / -257 / -258 / -37 / -38 / 90 / 91   ; ES256 … PS384, EPID 1.0/1.1
 * ```
 * Info is empty except for EPID.
 */
import * as read from '../cbor/read.js';

export const SgType = {
  ES256: -7,
  ES384: -35,
  RS256: -257,
  RS384: -258,
  PS256: -37,
  PS384: -38,
  EPID10: 90,
  EPID11: 91,
} as const;
export type SgType = (typeof SgType)[keyof typeof SgType];
const SG_TYPES = Object.values(SgType);

export class SigInfo {
  constructor(
    readonly sgType: SgType,
    readonly info: Uint8Array = new Uint8Array(0),
  ) {}

  toCbor(): [number, Uint8Array] {
    return [this.sgType, this.info];
  }

  static fromCbor(v: unknown, path = 'SigInfo'): SigInfo {
    const [t, info] = read.array(v, path, 2);
    return new SigInfo(read.oneOf(t, `${path}.sgType`, SG_TYPES), read.bytes(info, `${path}.info`));
  }
}
