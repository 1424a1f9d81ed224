/**
 * fdo.csr, device side (https://github.com/fido-alliance/fdo-sim/blob/main/fsim-repository/fdo.csr.md):
 * when the owner activates the module, the device makes a fresh key pair (P-256 by default) and
 * asks for the CA certificates and a certificate: simpleenroll the first time, simplereenroll
 * (same subject, new key: a rekey) when it already holds one. The private key never leaves the
 * device. When the certificate arrives, and its key is ours, the set is stored:
 *
 * ```
 * <dir>/key.pem   PKCS#8, mode 0600
 * <dir>/cert.pem  the issued certificate (followed by the CA certificates when caFile is false)
 * <dir>/ca.pem    the CA certificates from cacerts-res (unless caFile is false)
 * ```
 * Each file is replaced atomically (temporary file, fsync, rename), key first, then CA, then
 * certificate. @NOTE A power cut between the renames can leave a new key beside the old
 * certificate; the next onboarding re-enrolls.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { read } from '@fdo/protocol/cbor';
import { InvalidMessageError, generateKeyPair, privateKeyToPem, type KeyPair } from '@fdo/protocol';
import {
  Csr,
  CsrFormat,
  decodeCsrPayload,
  encodeCsrPayload,
  type DeviceServiceInfoModule,
  type ServiceInfoMessage,
} from '@fdo/protocol/serviceinfo';
import {
  certificatesFromPem,
  certificatesFromPkcs7,
  certificatesToPem,
  createCsr,
  describeCertificate,
  verifyCertificateChain,
} from '@fdo/protocol/x509';
import { writeFileAtomic } from './files.js';

export interface CsrDeviceOptions {
  /**
   * Where key.pem, cert.pem and ca.pem live; a function is asked at each activation (the
   * credential profile's directory, named by fdo-platform.profile just before).
   */
  dir: string | (() => string);
  /**
   * Write the CA certificates from cacerts-res to ca.pem (default). False: they follow the issued
   * certificate in cert.pem instead (a chain to present in TLS), and ca.pem is left to fdo.download
   * (a credential profile's server trust anchors).
   */
  caFile?: boolean | (() => boolean);
  keyType?: 'ec256' | 'ec384';
  /** The subject asked for at first enrollment (the owner may choose another). Default `CN=fdo-device`. */
  subject?: string;
}

export interface CsrDeviceResult {
  request: 'enroll' | 'reenroll' | null;
  /** The stored certificate's serial number, when one was issued in this TO2. */
  serialNumber: string | null;
  /** fdo.csr:error from the owner, if any. */
  error: number | null;
}

export const CSR_FILES = { key: 'key.pem', cert: 'cert.pem', ca: 'ca.pem' } as const;

async function currentSubject(dir: string): Promise<string | null> {
  const pem = await readFile(join(dir, CSR_FILES.cert), 'utf8').catch(() => null);
  const der = pem === null ? undefined : certificatesFromPem(pem)[0];
  return der === undefined ? null : describeCertificate(der).subject;
}

export function csrDevice(options: CsrDeviceOptions): DeviceServiceInfoModule {
  let key: KeyPair | null = null;
  let ca: Uint8Array[] | null = null;
  let dir = '';
  const dirOf = () => (typeof options.dir === 'function' ? options.dir() : options.dir);
  const result: CsrDeviceResult = { request: null, serialNumber: null, error: null };

  async function store(certificate: Uint8Array): Promise<void> {
    if (key === null) throw new InvalidMessageError('fdo.csr: a certificate that was not asked for');
    const cert = describeCertificate(certificate);
    if (!Buffer.from(cert.publicKey.spki).equals(Buffer.from(key.publicKey.spki))) {
      throw new InvalidMessageError('fdo.csr: the certificate is not for the key this device made');
    }
    if (ca === null || ca.length === 0)
      throw new InvalidMessageError('fdo.csr: no CA certificates before the certificate');
    const chain = await verifyCertificateChain([certificate, ...ca.slice(0, -1)], ca.at(-1)!);
    if (!chain.valid)
      throw new InvalidMessageError(`fdo.csr: the certificate does not chain to the CA: ${chain.reason}`);
    const separateCa = typeof options.caFile === 'function' ? options.caFile() : (options.caFile ?? true);
    await writeFileAtomic(join(dir, CSR_FILES.key), privateKeyToPem(key.privateKey), 0o600);
    if (separateCa) await writeFileAtomic(join(dir, CSR_FILES.ca), certificatesToPem(ca));
    await writeFileAtomic(
      join(dir, CSR_FILES.cert),
      certificatesToPem(separateCa ? [certificate] : [certificate, ...ca]),
    );
    result.serialNumber = cert.serialNumber;
    key = null;
  }

  return {
    name: Csr.module,
    async activate(active) {
      key = null;
      ca = null;
      if (!active) return;
      dir = dirOf();
      const subject = await currentSubject(dir);
      result.request = subject === null ? 'enroll' : 'reenroll';
      key = generateKeyPair(options.keyType ?? 'ec256');
      const csr = await createCsr({
        privateKey: key.privateKey,
        subject: subject ?? options.subject ?? 'CN=fdo-device',
      });
      const enroll = subject === null ? Csr.simpleenrollReq : Csr.simplereenrollReq;
      return [
        { message: Csr.cacertsReq, value: CsrFormat.pkcs7CertsOnly },
        { message: enroll, value: encodeCsrPayload(csr) },
      ] satisfies ServiceInfoMessage[];
    },
    async receive(message, value) {
      switch (message) {
        case Csr.cacertsRes:
          ca = certificatesFromPkcs7(decodeCsrPayload(value, 'fdo.csr:cacerts-res'));
          return;
        case Csr.simpleenrollRes:
        case Csr.simplereenrollRes:
          return store(decodeCsrPayload(value, `fdo.csr:${message}`));
        case Csr.error:
          result.error = read.uint(value, 'fdo.csr:error');
          key = null;
          return;
        default:
          return;
      }
    },
    result: () => ({ ...result }),
  };
}
