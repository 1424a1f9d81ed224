/**
 * Helpers for the COSE WG example vectors (github.com/cose-wg/Examples, read from
 * /work/shared/interop/cose-wg/, never copied). Not a test file itself.
 */
import { createPrivateKey, createPublicKey, type JsonWebKey } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fromHex } from '../../src/cbor/bytes.js';
import { nobleCrypto, nodeCrypto, type CryptoProvider } from '../../src/crypto/index.js';

const ROOT = new URL('../../../../../shared/interop/cose-wg/', import.meta.url);

/** The shape of one example file, as far as these tests read it. */
export interface CoseWgVector {
  title: string;
  fail?: boolean;
  input: {
    plaintext: string;
    rng_stream?: string[];
    failures?: Record<string, unknown>;
    [structure: string]: unknown;
  };
  intermediates?: { AAD_hex?: string; ToMac_hex?: string; ToBeSign_hex?: string; CEK_hex?: string };
  output: { cbor: string };
}

/** One structure's inputs (`mac0`, `encrypted`, `sign0`, `sign`). */
export interface CoseWgStructure {
  alg?: string;
  protected?: Record<string, string | number>;
  unprotected?: Record<string, string | number>;
  external?: string;
  key?: JsonWebKey & Record<string, string>;
  recipients?: { key: Record<string, string> }[];
  signers?: { key: Record<string, string>; protected?: Record<string, string | number> }[];
}

/** Every provider the vector tests run against. */
export const providers: readonly CryptoProvider[] = [nodeCrypto, nobleCrypto];

/** The vectors of one folder whose file name matches `filter`, with their names. */
export function vectors(folder: string, filter: RegExp = /\.json$/): [name: string, vector: CoseWgVector][] {
  const dir = new URL(`${folder}/`, ROOT);
  return readdirSync(dir)
    .filter((f) => filter.test(f))
    .sort()
    .map((f) => [f.replace(/\.json$/, ''), JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as CoseWgVector]);
}

export const b64url = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64url'));
export const hex = (s: string): Uint8Array => fromHex(s);
export const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

/** COSE algorithm names used by the examples → IANA identifiers. */
export const ALG_IDS: Record<string, number> = {
  HS256: 5,
  HS384: 6,
  HS512: 7,
  'HS256/64': 4,
  A128GCM: 1,
  A192GCM: 2,
  A256GCM: 3,
  'AES-CCM-16-128/64': 10,
  'AES-CCM-16-256/64': 11,
  'AES-CCM-64-128/64': 12,
  'AES-CCM-64-256/64': 13,
  'AES-CCM-16-128/128': 30,
  'AES-CCM-16-256/128': 31,
  'AES-CCM-64-128/128': 32,
  'AES-CCM-64-256/128': 33,
  ES256: -7,
  ES384: -35,
  ES512: -36,
  'RSA-PSS-256': -37,
  'RSA-PSS-384': -38,
  'RSA-PSS-512': -39,
};

/** Header names used by the examples → labels (RFC 8152 §3.1). */
export const HEADER_LABELS: Record<string, number> = { alg: 1, ctyp: 3, kid: 4 };

/** A JWK from the examples (EC with base64url members, RSA with `*_hex` members) as DER keys. */
export function jwkToDer(jwk: Record<string, string>): { spki: Uint8Array; pkcs8?: Uint8Array } {
  const key: Record<string, string> = {};
  for (const [k, v] of Object.entries(jwk)) {
    if (k.endsWith('_hex')) key[k.slice(0, -4).toLowerCase()] = Buffer.from(v, 'hex').toString('base64url');
    else if (k !== 'kid' && k !== 'use') key[k] = v;
  }
  const spki = createPublicKey({ key: key as JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'der' });
  if (key['d'] === undefined) return { spki: new Uint8Array(spki) };
  const pkcs8 = createPrivateKey({ key: key as JsonWebKey, format: 'jwk' }).export({ type: 'pkcs8', format: 'der' });
  return { spki: new Uint8Array(spki), pkcs8: new Uint8Array(pkcs8) };
}

/** The alg of a structure (protected bucket first) and which bucket it was in. */
export function algOf(s: CoseWgStructure): { id: number | undefined; bucket: 'protected' | 'unprotected' } {
  const p = s.protected?.['alg'];
  if (p !== undefined) return { id: ALG_IDS[String(p)], bucket: 'protected' };
  return { id: ALG_IDS[String(s.unprotected?.['alg'] ?? s.alg)], bucket: 'unprotected' };
}

/** The non-alg headers of a bucket as a COSE header map (kid as bytes, per RFC 8152 §3.1). */
export function extraHeaders(h: Record<string, string | number> | undefined): Map<number, unknown> {
  const out = new Map<number, unknown>();
  for (const [name, value] of Object.entries(h ?? {})) {
    if (name === 'alg') continue;
    const label = HEADER_LABELS[name];
    if (label === undefined) throw new Error(`unknown header ${name} in a vector`);
    out.set(label, name === 'kid' ? utf8(String(value)) : value);
  }
  return out;
}
