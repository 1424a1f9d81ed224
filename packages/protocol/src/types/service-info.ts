/**
 * ServiceInfo (FDO 1.1 §3.8): the key/value list carried by TO2.DeviceServiceInfo (68) and
 * TO2.OwnerServiceInfo (69).
 *
 * ```cddl
 * ServiceInfo = [ * ServiceInfoKeyVal ]
 * ServiceInfoKeyVal = [ ServiceInfoKey: tstr,   ; "moduleName:messageName"
 *                       ServiceInfoVal: bstr .cbor any ]
 * ```
 * Values stay the received bytes: go-fdo splits a large value's CBOR across consecutive entries
 * with the same key, so one entry's bytes need not be a whole CBOR item. Use {@link kvValue} to
 * decode a complete one.
 *
 * Sizes are exact CBOR sizes (§3.9: the serialized array, not just the values, must fit the
 * negotiated maxOwnerServiceInfoSz / maxDeviceServiceInfoSz, 1300 when null).
 */
import { decode, encode } from '../cbor/codec.js';
import * as read from '../cbor/read.js';
import { MessageBodyError } from '../errors.js';

export interface ServiceInfoKV {
  /** "module:message". */
  readonly key: string;
  /** The CBOR-encoded value (the bstr contents). */
  readonly value: Uint8Array;
}

export type ServiceInfo = ServiceInfoKV[];

/** Default ServiceInfo size when the peer sends null (go-fdo, PRI and the C SDK, §3.9 wire notes). */
export const DEFAULT_SERVICE_INFO_SIZE = 1300;

/** The devmod module (FDO 1.1 §3.8.3, table "devmod"): every device sends it first. */
export const Devmod = {
  module: 'devmod',
  active: 'devmod:active',
  os: 'devmod:os',
  arch: 'devmod:arch',
  version: 'devmod:version',
  device: 'devmod:device',
  sn: 'devmod:sn',
  pathsep: 'devmod:pathsep',
  sep: 'devmod:sep',
  nl: 'devmod:nl',
  tmp: 'devmod:tmp',
  dir: 'devmod:dir',
  progenv: 'devmod:progenv',
  bin: 'devmod:bin',
  mudurl: 'devmod:mudurl',
  nummodules: 'devmod:nummodules',
  modules: 'devmod:modules',
} as const;

/** devmod keys a device must send (FDO 1.1 §3.8.3). */
export const DEVMOD_REQUIRED: readonly string[] = [
  Devmod.active,
  Devmod.os,
  Devmod.arch,
  Devmod.version,
  Devmod.device,
  Devmod.sep,
  Devmod.bin,
  Devmod.nummodules,
  Devmod.modules,
];

/** Builds an entry, CBOR-encoding `value`. */
export function serviceInfoKV(module: string, message: string, value: unknown): ServiceInfoKV {
  return { key: `${module}:${message}`, value: encode(value) };
}

/** Splits "module:message" at the first colon; a key without one is all module. */
export function splitKey(key: string): { module: string; message: string } {
  const i = key.indexOf(':');
  return i < 0 ? { module: key, message: '' } : { module: key.slice(0, i), message: key.slice(i + 1) };
}

/** Decodes an entry's value; throws MessageBodyError when it is not one whole CBOR item. */
export function kvValue(kv: ServiceInfoKV): unknown {
  try {
    return decode(kv.value);
  } catch (err) {
    throw new MessageBodyError(`ServiceInfo "${kv.key}": ${(err as Error).message}`, { cause: err });
  }
}

export function serviceInfoToCbor(si: readonly ServiceInfoKV[]): [string, Uint8Array][] {
  return si.map((kv) => [kv.key, kv.value]);
}

export function serviceInfoFromCbor(v: unknown, path = 'ServiceInfo'): ServiceInfo {
  return read.array(v, path).map((e, i) => {
    const [k, val] = read.array(e, `${path}[${i}]`, 2);
    return { key: read.text(k, `${path}[${i}].key`), value: read.bytes(val, `${path}[${i}].value`) };
  });
}

/** Size in bytes of a CBOR head carrying `n` (RFC 8949 §3, preferred serialization). */
export function cborHeadSize(n: number): number {
  if (n < 24) return 1;
  if (n < 0x100) return 2;
  if (n < 0x10000) return 3;
  if (n < 0x100000000) return 5;
  return 9;
}

/** Exact encoded size of one entry: `[tstr, bstr]`. */
export function kvSize(kv: ServiceInfoKV): number {
  const keyLength = Buffer.byteLength(kv.key, 'utf8');
  return 1 + cborHeadSize(keyLength) + keyLength + cborHeadSize(kv.value.length) + kv.value.length;
}

/** Exact encoded size of a ServiceInfo array. */
export function serviceInfoSize(si: readonly ServiceInfoKV[]): number {
  let size = cborHeadSize(si.length);
  for (const kv of si) size += kvSize(kv);
  return size;
}

/**
 * Groups entries, in order, into ServiceInfo arrays whose encoded size is at most `maxSize`.
 * Throws RangeError when one entry alone does not fit: the module must chunk its data (§3.9).
 */
export function packServiceInfo(entries: readonly ServiceInfoKV[], maxSize: number): ServiceInfo[] {
  const groups: ServiceInfo[] = [];
  let current: ServiceInfo = [];
  let size = cborHeadSize(0);
  for (const kv of entries) {
    const add = kvSize(kv);
    // Adding an entry may also grow the array head (23 → 24 entries, 255 → 256).
    const next = size + add + cborHeadSize(current.length + 1) - cborHeadSize(current.length);
    if (next <= maxSize) {
      current.push(kv);
      size = next;
      continue;
    }
    if (current.length === 0 || cborHeadSize(1) + add > maxSize) {
      throw new RangeError(`ServiceInfo "${kv.key}" takes ${add} bytes, more than the ${maxSize} allowed`);
    }
    groups.push(current);
    current = [kv];
    size = cborHeadSize(1) + add;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}
