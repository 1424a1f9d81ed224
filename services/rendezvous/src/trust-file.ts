/**
 * Trust lists from a file (`FDO_RV_TRUST_FILE`), for operators who keep policy in configuration
 * management. They add to the lists kept in the database (admin API); neither can remove the other's.
 *
 * ```json
 * {
 *   "ownerKeys":        ["-----BEGIN PUBLIC KEY----- …", "-----BEGIN CERTIFICATE----- …"],
 *   "manufacturerKeys": ["-----BEGIN PUBLIC KEY----- …"],
 *   "deviceCAs":        ["-----BEGIN CERTIFICATE----- …"],
 *   "deniedGuids":      ["3f2a…", "…"]
 * }
 * ```
 * Each key is a PEM public key or certificate (its key is taken); every field is optional.
 */
import { readFileSync } from 'node:fs';
import {
  formatGuid,
  nodeCrypto,
  parseGuid,
  pemBlocks,
  publicKeyInfo,
  publicKeyOfCertificate,
  toHex,
} from '@fdo/protocol';
import type { TrustList } from './store/trust.js';

export interface TrustFileKey {
  fingerprint: string;
  publicKey: Uint8Array;
}

export interface TrustFile {
  keys: Record<TrustList, TrustFileKey[]>;
  deniedGuids: Set<string>;
}

export const EMPTY_TRUST_FILE: TrustFile = {
  keys: { owner: [], manufacturer: [], 'device-ca': [] },
  deniedGuids: new Set(),
};

/** SHA-256 of a DER SubjectPublicKeyInfo, lower-case hex. */
export function spkiFingerprint(spki: Uint8Array): string {
  return toHex(nodeCrypto.digest('SHA-256', spki));
}

/** The public key (DER SPKI) of one PEM block: `PUBLIC KEY` or `CERTIFICATE`. Throws a sentence saying what is wrong. */
export function publicKeyFromPem(pem: string): Uint8Array {
  const blocks = pemBlocks(pem);
  if (blocks.length !== 1) {
    throw new Error(`expected one PEM block (PUBLIC KEY or CERTIFICATE), found ${blocks.length}`);
  }
  const { label, der } = blocks[0]!;
  if (label !== 'PUBLIC KEY' && label !== 'CERTIFICATE') {
    throw new Error(`a "${label}" PEM block is not a public key or certificate`);
  }
  try {
    const spki = label === 'PUBLIC KEY' ? der : publicKeyOfCertificate(der).spki;
    publicKeyInfo({ spki });
    return spki;
  } catch (err) {
    throw new Error(`not a usable public key (${(err as Error).message})`, { cause: err });
  }
}

const FIELDS: Record<string, TrustList> = {
  ownerKeys: 'owner',
  manufacturerKeys: 'manufacturer',
  deviceCAs: 'device-ca',
};

function stringArray(value: unknown, field: string, file: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new Error(`${file}: "${field}" must be an array of strings`);
  }
  return value as string[];
}

/** Reads and checks a trust file; errors name the file, the field and the entry. */
export function readTrustFile(file: string): TrustFile {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`FDO_RV_TRUST_FILE ${file}: ${(err as Error).message}`, { cause: err });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error(`FDO_RV_TRUST_FILE ${file}: expected a JSON object`);
  }
  const obj = json as Record<string, unknown>;
  const unknownFields = Object.keys(obj).filter((k) => !(k in FIELDS) && k !== 'deniedGuids');
  if (unknownFields.length > 0) throw new Error(`${file}: unknown field "${unknownFields[0]}"`);
  const result: TrustFile = { keys: { owner: [], manufacturer: [], 'device-ca': [] }, deniedGuids: new Set() };
  for (const [field, list] of Object.entries(FIELDS)) {
    stringArray(obj[field], field, file).forEach((pem, i) => {
      try {
        const publicKey = publicKeyFromPem(pem);
        result.keys[list].push({ fingerprint: spkiFingerprint(publicKey), publicKey });
      } catch (err) {
        throw new Error(`${file}: ${field}[${i}]: ${(err as Error).message}`, { cause: err });
      }
    });
  }
  stringArray(obj.deniedGuids, 'deniedGuids', file).forEach((text, i) => {
    try {
      result.deniedGuids.add(formatGuid(parseGuid(text)));
    } catch (err) {
      throw new Error(`${file}: deniedGuids[${i}]: ${(err as Error).message}`, { cause: err });
    }
  });
  return result;
}
