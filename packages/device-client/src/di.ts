/**
 * Device Initialize over HTTP (FDO 1.1 §5.2): generates the device attestation key, runs DI against
 * a manufacturer with the protocol's device driver, and returns what the device must keep.
 */
import { generateKeyPair, nodeCrypto, PkEnc, runDI, type CryptoProvider, type KeyKind } from '@fdo/protocol';
import { httpTransport } from '@fdo/client-kit';
import type { DeviceCredentialFile } from './credential-file.js';

export interface DeviceInitializeOptions {
  /** The manufacturer's base URL, e.g. http://127.0.0.1:8039. */
  manufacturerUrl: string;
  serialNumber: string;
  /** OVDeviceInfo; default the serial number. */
  deviceInfo?: string;
  /** The device key type; default ec256. */
  keyKind?: KeyKind;
  /** The encoding the device asks for the manufacturer key in; default X509. */
  keyEncoding?: PkEnc;
  crypto?: CryptoProvider;
  timeoutMs?: number;
}

export async function deviceInitialize(options: DeviceInitializeOptions): Promise<DeviceCredentialFile> {
  const deviceKey = generateKeyPair(options.keyKind ?? 'ec256');
  const transport = httpTransport(options.manufacturerUrl, {
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  try {
    const { credential } = await runDI(transport, {
      crypto: options.crypto ?? nodeCrypto,
      deviceKey,
      serialNumber: options.serialNumber,
      ...(options.deviceInfo === undefined ? {} : { deviceInfo: options.deviceInfo }),
      keyEncoding: options.keyEncoding ?? PkEnc.X509,
    });
    return { credential, privateKey: deviceKey.privateKey };
  } finally {
    await transport.close();
  }
}
