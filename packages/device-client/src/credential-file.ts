/**
 * The device credential file: what a device keeps after DI (FDO 1.1 §3.4.1) plus its attestation
 * private key, in one CBOR file (format described in this package's README):
 *
 * ```cddl
 * DeviceCredentialFile = [
 *   magic:      "FDO-DEVICE-CREDENTIAL",
 *   version:    1,
 *   credential: DeviceCredential,   ; §3.4.1: [active, protver, hmacSecret, deviceInfo, guid, rvInfo, pubKeyHash]
 *   privateKey: bstr,               ; the device attestation key, DER PKCS#8
 * ]
 * ```
 * Files are written atomically (a temporary file in the same folder, then a link or rename) and are
 * readable only by their owner (mode 0600). An existing credential is replaced only when asked: by
 * `--force` at DI, or by onboarding (TO2) with the replacement credential.
 */
import {
  closeSync,
  constants,
  fsyncSync,
  linkSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join, basename } from 'node:path';
import { decode, DeviceCredential, encode, privateKeyInfo, read, type PrivateKeyDer } from '@fdo/protocol';

export const CREDENTIAL_FILE_MAGIC = 'FDO-DEVICE-CREDENTIAL';
export const CREDENTIAL_FILE_VERSION = 1;

export interface DeviceCredentialFile {
  credential: DeviceCredential;
  privateKey: PrivateKeyDer;
}

export class CredentialFileError extends Error {
  override name = 'CredentialFileError';
  constructor(
    message: string,
    readonly code: 'EXISTS' | 'UNREADABLE' | 'INVALID' | 'INSECURE',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function encodeCredentialFile(file: DeviceCredentialFile): Uint8Array {
  return encode([CREDENTIAL_FILE_MAGIC, CREDENTIAL_FILE_VERSION, file.credential.toCbor(), file.privateKey.pkcs8]);
}

export function decodeCredentialFile(bytes: Uint8Array, path = 'credential'): DeviceCredentialFile {
  try {
    const items = read.array(decode(bytes), path);
    if (items[0] !== CREDENTIAL_FILE_MAGIC) throw new Error(`not an FDO device credential file`);
    if (items[1] !== CREDENTIAL_FILE_VERSION) {
      throw new Error(
        `format version ${String(items[1])} is not supported (this client reads version ${CREDENTIAL_FILE_VERSION})`,
      );
    }
    if (items.length !== 4) throw new Error(`expected 4 items, found ${items.length}`);
    const credential = DeviceCredential.fromCbor(items[2], `${path}.credential`);
    const privateKey = { pkcs8: read.bytes(items[3], `${path}.privateKey`) };
    privateKeyInfo(privateKey); // throws for bytes that are not a supported key
    return { credential, privateKey };
  } catch (err) {
    throw new CredentialFileError(`${path}: ${(err as Error).message}`, 'INVALID', { cause: err });
  }
}

export function readCredentialFile(path: string): DeviceCredentialFile {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (err) {
    throw new CredentialFileError(`${path}: cannot read: ${(err as Error).message}`, 'UNREADABLE', { cause: err });
  }
  const file = decodeCredentialFile(bytes, path);
  // The file holds the HMAC secret and the attestation key: refuse one that others may read or change.
  const mode = statSync(path).mode & 0o777;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new CredentialFileError(
      `${path}: mode ${mode.toString(8).padStart(4, '0')} lets others read or change the device secrets; chmod 600 it`,
      'INSECURE',
    );
  }
  return file;
}

const tempPrefix = (path: string) => `.${basename(path)}.`;

/**
 * Writes the credential to `path` atomically with mode 0600: the bytes go to a temporary file in the
 * same folder, are synced, then linked or renamed into place, and the folder is synced so the new
 * name survives a power cut. Until that rename the old file is untouched, so a process that dies
 * first leaves the previous credential as it was. Without `force`, fails with code `EXISTS` when a
 * file is already there (checked atomically: the final link is exclusive).
 */
export function writeCredentialFile(path: string, file: DeviceCredentialFile, options: { force?: boolean } = {}): void {
  const tmp = join(dirname(path), `${tempPrefix(path)}${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    writeSync(fd, encodeCredentialFile(file));
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    if (options.force === true) renameSync(tmp, path);
    else linkSync(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new CredentialFileError(`${path} already holds a credential; use --force to replace it`, 'EXISTS');
    }
    throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
  syncFolder(dirname(path));
}

/** fsync of the folder: makes a rename or link in it durable (POSIX); not possible on Windows. */
function syncFolder(dir: string): void {
  if (process.platform === 'win32') return;
  const fd = openSync(dir, constants.O_RDONLY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Removes temporary files a killed writer left next to `path` (they never hold the live credential,
 * which is only ever the renamed file). Returns the names removed.
 */
export function removeStaleTemporaryFiles(path: string): string[] {
  const prefix = tempPrefix(path);
  let names: string[];
  try {
    names = readdirSync(dirname(path)).filter((n) => n.startsWith(prefix) && n.endsWith('.tmp'));
  } catch {
    return [];
  }
  for (const n of names) rmSync(join(dirname(path), n), { force: true });
  return names;
}
