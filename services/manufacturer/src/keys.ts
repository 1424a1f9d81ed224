/**
 * The manufacturer's key material: one manufacturer key (with a self-signed certificate, for devices
 * that ask for the X5CHAIN encoding) per device key type served, and the device CA that signs device
 * certificates. Read from the keys folder, or generated there on first start and persisted (private
 * keys mode 0600). Instances sharing a keys folder agree: a file is created exclusively, and an
 * instance that loses the race reads the winner's.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  generateKeyPair,
  privateKeyToPem,
  publicKeyOf,
  type KeyKind,
  type PrivateKeyDer,
  type PublicKeyDer,
} from '@fdo/protocol';
import {
  certificatesFromPem,
  certificatesToPem,
  createSelfSignedCa,
  describeCertificate,
  fingerprint,
} from '@fdo/protocol/x509';
import { fdoKeyKind, privateKeyFromPemText, readOptional, writeOnce } from '@fdo/server-kit';
import type { ManufacturerConfig } from './config.js';

export interface ManufacturerKeyPair {
  kind: KeyKind;
  privateKey: PrivateKeyDer;
  publicKey: PublicKeyDer;
  /** Self-signed certificate of the key: its X5CHAIN. */
  certChain: Uint8Array[];
}

export interface DeviceCa {
  privateKey: PrivateKeyDer;
  /** The CA certificate first, then any issuers above it: appended to every device certificate. */
  chain: Uint8Array[];
}

export interface KeyMaterial {
  manufacturerKeys: Map<KeyKind, ManufacturerKeyPair>;
  deviceCa: DeviceCa;
}

/** Receives one line per key: what it is and its fingerprint (never key material). */
export type KeyLog = (message: string, fields: Record<string, string>) => void;

const DEVICE_CA_KIND: KeyKind = 'ec384';

async function loadOrCreateKey(dir: string, name: string, kind: KeyKind): Promise<PrivateKeyDer> {
  const path = join(dir, `${name}.key.pem`);
  const text = readOptional(path) ?? writeOnce(path, privateKeyToPem(generateKeyPair(kind).privateKey), 0o600);
  chmodSync(path, 0o600);
  const key = privateKeyFromPemText(text, path);
  const actual = fdoKeyKind(key, path);
  if (actual !== kind) throw new Error(`${path}: holds an ${actual} key, but this file must hold an ${kind} key`);
  return key;
}

async function loadOrCreateCert(dir: string, name: string, key: PrivateKeyDer, subject: string): Promise<Uint8Array[]> {
  const path = join(dir, `${name}.crt.pem`);
  const existing = readOptional(path);
  const text =
    existing ?? writeOnce(path, certificatesToPem([await createSelfSignedCa({ privateKey: key, subject })]), 0o644);
  const chain = certificatesFromPem(text);
  checkCertMatchesKey(chain, key, path);
  return chain;
}

function checkCertMatchesKey(chain: Uint8Array[], key: PrivateKeyDer, where: string): void {
  if (chain.length === 0) throw new Error(`${where}: no CERTIFICATE block`);
  const certKey = describeCertificate(chain[0]!).publicKey.spki;
  if (fingerprint(certKey) !== fingerprint(publicKeyOf(key).spki)) {
    throw new Error(`${where}: the (first) certificate is not for the private key beside it`);
  }
}

async function loadDeviceCa(config: ManufacturerConfig): Promise<DeviceCa> {
  if (config.deviceCa !== null) {
    const { keyFile, certFile } = config.deviceCa;
    const keyText = readOptional(keyFile);
    const certText = readOptional(certFile);
    if (keyText === null) throw new Error(`FDO_MFG_DEVICE_CA_KEY: ${keyFile} does not exist`);
    if (certText === null) throw new Error(`FDO_MFG_DEVICE_CA_CERT: ${certFile} does not exist`);
    const privateKey = privateKeyFromPemText(keyText, keyFile);
    const chain = certificatesFromPem(certText);
    checkCertMatchesKey(chain, privateKey, certFile);
    if (!describeCertificate(chain[0]!).ca) throw new Error(`${certFile}: the certificate is not a CA certificate`);
    return { privateKey, chain };
  }
  const privateKey = await loadOrCreateKey(config.keysDir, 'device-ca', DEVICE_CA_KIND);
  const chain = await loadOrCreateCert(config.keysDir, 'device-ca', privateKey, 'CN=FDO Device CA');
  return { privateKey, chain };
}

/** Loads (or generates and persists) every key the configuration needs, and logs their fingerprints. */
export async function loadKeyMaterial(config: ManufacturerConfig, log: KeyLog = () => {}): Promise<KeyMaterial> {
  mkdirSync(config.keysDir, { recursive: true, mode: 0o700 });
  const manufacturerKeys = new Map<KeyKind, ManufacturerKeyPair>();
  for (const kind of config.keyKinds) {
    const name = `manufacturer-${kind}`;
    const privateKey = await loadOrCreateKey(config.keysDir, name, kind);
    const certChain = await loadOrCreateCert(config.keysDir, name, privateKey, `CN=FDO Manufacturer ${kind}`);
    const publicKey = publicKeyOf(privateKey);
    manufacturerKeys.set(kind, { kind, privateKey, publicKey, certChain });
    log('manufacturer key', {
      kind,
      sha256: fingerprint(publicKey.spki),
      file: join(config.keysDir, `${name}.key.pem`),
    });
  }
  const deviceCa = await loadDeviceCa(config);
  const ca = describeCertificate(deviceCa.chain[0]!);
  log('device CA', {
    subject: ca.subject,
    sha256: fingerprint(deviceCa.chain[0]!),
    notAfter: ca.notAfter.toISOString(),
  });
  return { manufacturerKeys, deviceCa };
}
