/**
 * Guid and Nonce (FDO 1.1 §3.3.5, §3.3.6): both `bstr .size 16`.
 * A Guid is a 128-bit random number identifying a device, replaced at every TO2.
 */
import * as read from '../cbor/read.js';
import type { CryptoProvider } from '../crypto/provider.js';

export type Guid = Uint8Array;
export type Nonce = Uint8Array;

export const GUID_LENGTH = 16;
export const NONCE_LENGTH = 16;

export const readGuid = (v: unknown, path = 'Guid'): Guid => read.bytes(v, path, GUID_LENGTH);
export const readNonce = (v: unknown, path = 'Nonce'): Nonce => read.bytes(v, path, NONCE_LENGTH);

export const newGuid = (crypto: CryptoProvider): Guid => crypto.randomBytes(GUID_LENGTH);
export const newNonce = (crypto: CryptoProvider): Nonce => crypto.randomBytes(NONCE_LENGTH);

/** The canonical text form: 8-4-4-4-12 lower-case hex, like a UUID. */
export function formatGuid(guid: Guid): string {
  const h = Buffer.from(guid.buffer, guid.byteOffset, guid.byteLength).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Parses a GUID written as 32 hex digits, with or without dashes (go-fdo prints it without). */
export function parseGuid(text: string): Guid {
  const h = text.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(h)) throw new TypeError(`not a GUID: "${text}" (expected 32 hex digits)`);
  return new Uint8Array(Buffer.from(h, 'hex'));
}
