/**
 * The device's DI driver (FDO 1.1 §5.2): AppStart → SetCredentials, SetHMAC → Done, and the
 * DeviceCredential (§3.4.1) the device keeps afterwards.
 */
import { rawArrayItems } from '../../cbor/scan.js';
import { publicKeyInfo, type KeyPair } from '../../crypto/keys.js';
import type { CryptoProvider, HashAlg } from '../../crypto/provider.js';
import { DeviceCredential } from '../../types/device-credential.js';
import { DeviceMfgInfo } from '../../types/device-mfg-info.js';
import { Hash, hashAlgFor, type HMac } from '../../types/hash.js';
import type { OVHeader } from '../../types/ov-header.js';
import { PkEnc, PkType, pkTypeFor } from '../../types/public-key.js';
import { createCsr, type DistinguishedName } from '../../x509/csr.js';
import type { FdoTransport } from '../transport.js';
import { sendAppStart } from './app-start.js';
import { sendSetHmac } from './set-hmac.js';

export interface RunDIOptions {
  crypto: CryptoProvider;
  /** The device attestation key; its CSR goes in DeviceMfgInfo. */
  deviceKey: KeyPair;
  serialNumber: string;
  /** OVDeviceInfo (model); default the serial number. */
  deviceInfo?: string;
  /** The encoding the device wants for the manufacturer key in its voucher; default X509. */
  keyEncoding?: PkEnc;
  /** The CSR subject; default `CN=<serial number>`. */
  subject?: DistinguishedName;
}

export interface DIResult {
  credential: DeviceCredential;
  /** The header the device MACed (as received in DI.SetCredentials). */
  header: OVHeader;
  hmac: HMac;
}

/** The pkType a device names its key with: RSA2048RESTR for RSA 2048 and RSAPKCS for RSA 3072, as go-fdo does. */
export function devicePkType(info: ReturnType<typeof publicKeyInfo>): PkType {
  return info.kind === 'rsa' && info.bits === 2048 ? PkType.RSA2048RESTR : pkTypeFor(info);
}

const SECRET_LENGTH: Record<HashAlg, number> = { 'SHA-256': 32, 'SHA-384': 48 };

/** Runs DI as the device and returns its credential. The HMAC secret is made here and never sent. */
export async function runDI(transport: FdoTransport, options: RunDIOptions): Promise<DIResult> {
  const { crypto, deviceKey } = options;
  const info = publicKeyInfo(deviceKey.publicKey);
  const csr = await createCsr({
    privateKey: deviceKey.privateKey,
    publicKey: deviceKey.publicKey,
    subject: options.subject ?? [{ CN: [options.serialNumber] }],
  });
  const mfgInfo = new DeviceMfgInfo(
    devicePkType(info),
    options.keyEncoding ?? PkEnc.X509,
    options.serialNumber,
    options.deviceInfo ?? options.serialNumber,
    csr,
  );
  const header = await sendAppStart(transport, mfgInfo);
  // §3.3.1: SHA-384 only when both the device key and the manufacturer key are of 384-bit strength.
  const alg = hashAlgFor(info, header.publicKey.info);
  const secret = crypto.randomBytes(SECRET_LENGTH[alg]);
  const hmac = await sendSetHmac(transport, crypto, header, alg, secret);
  const credential = new DeviceCredential({
    active: true,
    protVer: header.protVer,
    hmacSecret: secret,
    deviceInfo: header.deviceInfo,
    guid: header.guid,
    rvInfo: header.rvInfo,
    // DCPubKeyHash covers OVPubKey exactly as received (ADR 0002).
    pubKeyHash: Hash.compute(crypto, alg, rawArrayItems(header.bytes)[4]!),
  });
  return { credential, header, hmac };
}
