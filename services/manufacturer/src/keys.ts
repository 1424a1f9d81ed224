/**
 * The manufacturer's key material: one manufacturer key (with a self-signed certificate, for devices
 * that ask for the X5CHAIN encoding) per device key type served, and the device CA that signs device
 * certificates. Read from the keys folder, or generated there on first start and persisted (private
 * keys mode 0600). Instances sharing a keys folder agree: a file is created exclusively, and an
 * instance that loses the race reads the winner's.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  generateKeyPair,
  pemBlocks,
  PRIVATE_KEY_LABELS,
  privateKeyFromDer,
  privateKeyInfo,
  privateKeyToPem,
  publicKeyOf,
  keyKindOf,
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

/** Writes `text` to `path` unless it exists; returns what the file holds afterwards (ours or a racing instance's). */
function writeOnce(path: string, text: string, mode: number): string {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, text, { mode });
  try {
    linkSync(tmp, path); // fails with EEXIST when the file is already there
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
  return readFileSync(path, 'utf8');
}

function readOptional(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** The one private key in a PEM text (PKCS#8, SEC1 or PKCS#1), as PKCS#8. */
export function privateKeyFromPemText(text: string, where: string): PrivateKeyDer {
  const blocks = pemBlocks(text).filter((b) => (PRIVATE_KEY_LABELS as readonly string[]).includes(b.label));
  if (blocks.length !== 1) throw new Error(`${where}: expected one PRIVATE KEY block, found ${blocks.length}`);
  const block = blocks[0]!;
  try {
    return privateKeyFromDer(block.der, block.label as (typeof PRIVATE_KEY_LABELS)[number]);
  } catch (err) {
    throw new Error(`${where}: the ${block.label} block is not a usable key: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function kindOfKey(key: PrivateKeyDer, where: string): KeyKind {
  const info = privateKeyInfo(key);
  const kind = keyKindOf(info);
  if (kind === null)
    throw new Error(`${where}: an RSA ${info.kind === 'rsa' ? info.bits : '?'} key is not an FDO key type`);
  return kind;
}

async function loadOrCreateKey(dir: string, name: string, kind: KeyKind): Promise<PrivateKeyDer> {
  const path = join(dir, `${name}.key.pem`);
  const text = readOptional(path) ?? writeOnce(path, privateKeyToPem(generateKeyPair(kind).privateKey), 0o600);
  chmodSync(path, 0o600);
  const key = privateKeyFromPemText(text, path);
  const actual = kindOfKey(key, path);
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
