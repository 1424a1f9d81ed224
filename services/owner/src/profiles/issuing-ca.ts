/**
 * The owner's issuing CA, which signs devices' operational certificates (fdo.csr): a key and
 * certificate from PEM files (FDO_OWNER_ISSUING_CA_KEY_FILE / _CERT_FILE), or generated on first
 * start under the keys folder (`issuing-ca.key.pem`, mode 0600, and `issuing-ca.crt.pem`) with the
 * configured subject and lifetime. Instances sharing the keys folder agree (files created once).
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair, privateKeyToPem, publicKeyOf } from '@fdo/protocol';
import {
  certificatesFromPem,
  certificatesToPem,
  createSelfSignedCa,
  describeCertificate,
  fingerprint,
  type CertificateIssuer,
} from '@fdo/protocol/x509';
import { privateKeyFromPemText, readOptional, writeOnce } from '@fdo/server-kit';

export interface IssuingCaConfig {
  keysDir: string;
  keyFile: string | null;
  certFile: string | null;
  subject: string;
  validityDays: number;
}

export interface IssuingCa extends CertificateIssuer {
  /** The CA certificates sent to devices (the issuing CA first, then the rest of its chain). */
  chain: Uint8Array[];
  keyFile: string;
  certFile: string;
}

export async function loadIssuingCa(c: IssuingCaConfig): Promise<IssuingCa> {
  let keyFile = c.keyFile;
  let certFile = c.certFile;
  if ((keyFile === null) !== (certFile === null)) {
    throw new Error(
      'FDO_OWNER_ISSUING_CA_KEY_FILE and FDO_OWNER_ISSUING_CA_CERT_FILE go together: set both or neither',
    );
  }
  if (keyFile === null || certFile === null) {
    mkdirSync(c.keysDir, { recursive: true, mode: 0o700 });
    keyFile = join(c.keysDir, 'issuing-ca.key.pem');
    certFile = join(c.keysDir, 'issuing-ca.crt.pem');
    const keyText =
      readOptional(keyFile) ?? writeOnce(keyFile, privateKeyToPem(generateKeyPair('ec256').privateKey), 0o600);
    chmodSync(keyFile, 0o600);
    const privateKey = privateKeyFromPemText(keyText, keyFile);
    if (readOptional(certFile) === null) {
      const cert = await createSelfSignedCa({ privateKey, subject: c.subject, validityDays: c.validityDays });
      writeOnce(certFile, certificatesToPem([cert]), 0o644);
    }
  }
  const keyText = readOptional(keyFile);
  if (keyText === null) throw new Error(`FDO_OWNER_ISSUING_CA_KEY_FILE: ${keyFile} does not exist`);
  const privateKey = privateKeyFromPemText(keyText, keyFile);
  const chain = certificatesFromPem(readOptional(certFile) ?? '');
  const certificate = chain[0];
  if (certificate === undefined)
    throw new Error(`FDO_OWNER_ISSUING_CA_CERT_FILE: ${certFile} holds no CERTIFICATE block`);
  const summary = describeCertificate(certificate);
  if (fingerprint(summary.publicKey.spki) !== fingerprint(publicKeyOf(privateKey).spki)) {
    throw new Error(`${certFile}: its first certificate is not for the key in ${keyFile}`);
  }
  if (!summary.ca) throw new Error(`${certFile}: not a CA certificate (basicConstraints cA is not set)`);
  return { privateKey, certificate, chain, keyFile, certFile };
}
