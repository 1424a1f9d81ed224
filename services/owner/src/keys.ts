/**
 * The owner's keys (FDO 1.1 §2.7): the keys suppliers extend vouchers to, which sign TO0.OwnerSign and
 * TO2.ProveOVHdr. One key per configured type is generated on first start and persisted under the keys
 * folder (private keys mode 0600), each with a self-signed certificate; more keys can be given as PEM
 * files. Instances sharing a keys folder agree: a file is created exclusively, and an instance that
 * loses the race reads the winner's. Only fingerprints are logged, never key material.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  generateKeyPair,
  privateKeyToPem,
  type PublicKey,
  publicKeyOf,
  publicKeyToPem,
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

export interface OwnerKey {
  /** Short stable id: the key type and the first 16 hex digits of the SPKI's SHA-256. */
  id: string;
  kind: KeyKind;
  /** SHA-256 of the DER SubjectPublicKeyInfo, lower-case hex. */
  sha256: string;
  privateKey: PrivateKeyDer;
  publicKey: PublicKeyDer;
  /** Self-signed certificate of the key (DER). */
  certificate: Uint8Array;
  /** Where the private key was read from. */
  file: string;
}

/** Receives one line per key: what it is and its fingerprint. */
export type KeyLog = (message: string, fields: Record<string, string>) => void;

async function certificateFor(path: string, key: PrivateKeyDer, subject: string): Promise<Uint8Array> {
  const text =
    readOptional(path) ??
    writeOnce(path, certificatesToPem([await createSelfSignedCa({ privateKey: key, subject })]), 0o644);
  const [cert] = certificatesFromPem(text);
  if (cert === undefined) throw new Error(`${path}: no CERTIFICATE block`);
  if (fingerprint(describeCertificate(cert).publicKey.spki) !== fingerprint(publicKeyOf(key).spki)) {
    throw new Error(`${path}: the certificate is not for the private key beside it; remove it to have it made again`);
  }
  return cert;
}

async function ownerKeyOf(file: string, privateKey: PrivateKeyDer, certFile: string): Promise<OwnerKey> {
  const kind = fdoKeyKind(privateKey, file);
  const publicKey = publicKeyOf(privateKey);
  const sha256 = fingerprint(publicKey.spki);
  const certificate = await certificateFor(certFile, privateKey, `CN=FDO Owner ${kind} ${sha256.slice(0, 16)}`);
  return { id: `${kind}-${sha256.slice(0, 16)}`, kind, sha256, privateKey, publicKey, certificate, file };
}

/** The owner's keys, by fingerprint. */
export class OwnerKeys {
  private readonly bySha256 = new Map<string, OwnerKey>();

  constructor(keys: readonly OwnerKey[]) {
    for (const k of keys) this.bySha256.set(k.sha256, k);
  }

  /** Reads (or generates and persists) every configured key and logs the fingerprints. */
  static async load(
    config: { keysDir: string; keyKinds: readonly KeyKind[]; keyFiles: readonly string[] },
    log: KeyLog = () => {},
  ): Promise<OwnerKeys> {
    mkdirSync(config.keysDir, { recursive: true, mode: 0o700 });
    const keys: OwnerKey[] = [];
    for (const kind of config.keyKinds) {
      const file = join(config.keysDir, `owner-${kind}.key.pem`);
      const text = readOptional(file) ?? writeOnce(file, privateKeyToPem(generateKeyPair(kind).privateKey), 0o600);
      chmodSync(file, 0o600);
      const key = await ownerKeyOf(
        file,
        privateKeyFromPemText(text, file),
        join(config.keysDir, `owner-${kind}.crt.pem`),
      );
      if (key.kind !== kind)
        throw new Error(`${file}: holds an ${key.kind} key, but this file must hold an ${kind} key`);
      keys.push(key);
    }
    for (const file of config.keyFiles) {
      const text = readOptional(file);
      if (text === null) throw new Error(`FDO_OWNER_KEY_FILES: ${file} does not exist`);
      const privateKey = privateKeyFromPemText(text, file);
      const sha = fingerprint(publicKeyOf(privateKey).spki);
      keys.push(await ownerKeyOf(file, privateKey, join(config.keysDir, `owner-${sha.slice(0, 16)}.crt.pem`)));
    }
    const owner = new OwnerKeys(keys);
    for (const k of owner.list()) log('owner key', { id: k.id, kind: k.kind, sha256: k.sha256, file: k.file });
    return owner;
  }

  list(): OwnerKey[] {
    return [...this.bySha256.values()];
  }

  bySpkiSha256(sha256: string): OwnerKey | undefined {
    return this.bySha256.get(sha256);
  }

  byId(id: string): OwnerKey | undefined {
    return this.list().find((k) => k.id === id);
  }

  /** Our key matching an FDO public key (e.g. a voucher's last OVEPubKey), if it is one of ours. */
  find(key: PublicKey): OwnerKey | undefined {
    let spki: Uint8Array;
    try {
      spki = key.toDer().spki;
    } catch {
      return undefined;
    }
    return this.bySha256.get(fingerprint(spki));
  }
}

export const publicKeyPem = (key: OwnerKey): string => publicKeyToPem(key.publicKey);
