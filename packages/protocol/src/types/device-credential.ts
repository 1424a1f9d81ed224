/**
 * DeviceCredential (FDO 1.1 §3.4.1): what a device keeps after DI. The spec defines its contents,
 * not a storage format; the device client's on-disk format is designed elsewhere.
 *
 * ```cddl
 * DeviceCredential = [
 *   DCActive:     bool,
 *   DCProtVer:    protver,
 *   DCHmacSecret: bstr,
 *   DCDeviceInfo: tstr,
 *   DCGuid:       Guid,
 *   DCRVInfo:     RendezvousInfo,
 *   DCPubKeyHash: Hash      ; hash of the manufacturer's PublicKey (OVPubKey) CBOR
 * ]
 * ```
 * {@link readFdoRsCredential} reads the fdo-rs `dc.bin` layout found in the interop vectors.
 */
import { decode, encode } from '../cbor/codec.js';
import * as read from '../cbor/read.js';
import { privateKeyFromDer } from '../crypto/keys.js';
import type { CryptoProvider, PrivateKeyDer } from '../crypto/provider.js';
import { MessageBodyError } from '../errors.js';
import { readGuid, type Guid } from './guid.js';
import { Hash } from './hash.js';
import type { PublicKey } from './public-key.js';
import { RendezvousInfo } from './rv-info.js';

export interface DeviceCredentialFields {
  active: boolean;
  protVer: number;
  hmacSecret: Uint8Array;
  deviceInfo: string;
  guid: Guid;
  rvInfo: RendezvousInfo;
  pubKeyHash: Hash;
}

export class DeviceCredential implements DeviceCredentialFields {
  readonly active: boolean;
  readonly protVer: number;
  readonly hmacSecret: Uint8Array;
  readonly deviceInfo: string;
  readonly guid: Guid;
  readonly rvInfo: RendezvousInfo;
  readonly pubKeyHash: Hash;

  constructor(fields: DeviceCredentialFields) {
    this.active = fields.active;
    this.protVer = fields.protVer;
    this.hmacSecret = fields.hmacSecret;
    this.deviceInfo = fields.deviceInfo;
    this.guid = fields.guid;
    this.rvInfo = fields.rvInfo;
    this.pubKeyHash = fields.pubKeyHash;
  }

  /** True when `key` (the voucher's OVPubKey) hashes to DCPubKeyHash. */
  matchesManufacturerKey(crypto: CryptoProvider, key: PublicKey): boolean {
    return this.pubKeyHash.matches(crypto, encode(key.toCbor()));
  }

  toCbor(): unknown[] {
    return [
      this.active,
      this.protVer,
      this.hmacSecret,
      this.deviceInfo,
      this.guid,
      this.rvInfo.toCbor(),
      this.pubKeyHash.toCbor(),
    ];
  }

  encode(): Uint8Array {
    return encode(this.toCbor());
  }

  static fromCbor(v: unknown, path = 'DeviceCredential'): DeviceCredential {
    const f = read.array(v, path, 7);
    return new DeviceCredential({
      active: read.bool(f[0], `${path}.DCActive`),
      protVer: read.uint(f[1], `${path}.DCProtVer`, 0xffff),
      hmacSecret: read.bytes(f[2], `${path}.DCHmacSecret`),
      deviceInfo: read.text(f[3], `${path}.DCDeviceInfo`),
      guid: readGuid(f[4], `${path}.DCGuid`),
      rvInfo: RendezvousInfo.fromCbor(f[5], `${path}.DCRVInfo`),
      pubKeyHash: Hash.fromCbor(f[6], `${path}.DCPubKeyHash`),
    });
  }

  static decode(bytes: Uint8Array, path?: string): DeviceCredential {
    return DeviceCredential.fromCbor(decode(bytes), path);
  }
}

/** A byte string that fdo-rs serialises as an array of uints (serde's `Vec<u8>`). */
function byteArray(v: unknown, path: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  return Uint8Array.from(read.array(v, path).map((b, i) => read.uint(b, `${path}[${i}]`, 0xff)));
}

/**
 * Reads the fdo-rs (and go-fdo testdata) `dc.bin` file:
 * `[active, protver, deviceInfo, guid, rvInfo, pubKeyHash, {"Plain": {"hmac_secret": [*uint], "private_key": [*uint]}}]`.
 * The private key is DER (SEC1, PKCS#1 or PKCS#8), returned as PKCS#8.
 */
export function readFdoRsCredential(
  bytes: Uint8Array,
  path = 'dc.bin',
): { credential: DeviceCredential; privateKey: PrivateKeyDer } {
  const f = read.array(decode(bytes), path, 7);
  const keys = read.map(f[6], `${path}.keys`);
  const plain = keys.get('Plain');
  if (plain === undefined) throw new MessageBodyError(`${path}.keys: only "Plain" key storage is supported`);
  const p = read.map(plain, `${path}.keys.Plain`);
  const hmacSecret = byteArray(p.get('hmac_secret'), `${path}.keys.Plain.hmac_secret`);
  const keyDer = byteArray(p.get('private_key'), `${path}.keys.Plain.private_key`);
  let privateKey: PrivateKeyDer | undefined;
  for (const label of ['EC PRIVATE KEY', 'RSA PRIVATE KEY'] as const) {
    try {
      privateKey = privateKeyFromDer(keyDer, label);
      break;
    } catch {
      // try the next form
    }
  }
  if (privateKey === undefined) {
    throw new MessageBodyError(`${path}.keys.Plain.private_key: not a SEC1, PKCS#1 or PKCS#8 private key`);
  }
  const credential = new DeviceCredential({
    active: read.bool(f[0], `${path}.active`),
    protVer: read.uint(f[1], `${path}.protver`, 0xffff),
    hmacSecret,
    deviceInfo: read.text(f[2], `${path}.deviceInfo`),
    guid: readGuid(f[3], `${path}.guid`),
    rvInfo: RendezvousInfo.fromCbor(f[4], `${path}.rvInfo`),
    pubKeyHash: Hash.fromCbor(f[5], `${path}.pubKeyHash`),
  });
  return { credential, privateKey };
}
