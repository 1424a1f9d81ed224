/**
 * How many bytes the session KDF (FDO 1.1 §3.6.4) must produce for a cipher suite, and how that
 * key material splits into SEK and SVK.
 *
 * AEAD suites take only a SEK (SEVK): 16 bytes for AES-128, 24 for AES-192, 32 for AES-256.
 * For the encrypt-then-MAC suites the implementations disagree (wire notes §5, divergence 1):
 *
 * | layout        | order   | SVK (AES-128 / AES-256 suites) |
 * |---------------|---------|--------------------------------|
 * | `conformance` | SVK‖SEK | 32 / 64 bytes                  |
 * | `pri`         | SEK‖SVK | 32 / 64 bytes                  |
 * | `go-fdo`      | SEK‖SVK | 16 / 32 bytes                  |
 *
 * The default is `conformance`: the FIDO Alliance conformance tools derive `SVK‖SEK` with an SVK
 * as long as the HMAC block-size-bounded key the spec's table names (HMAC-SHA256 → 32 bytes,
 * HMAC-SHA384 → 64 bytes, as PRI also uses). The other layouts are kept for interop testing.
 */
import type { CipherSuite } from './cipher-suites.js';

export type KeyLayoutName = 'conformance' | 'pri' | 'go-fdo';

export interface KeyLayout {
  readonly name: KeyLayoutName;
  readonly order: 'svk-sek' | 'sek-svk';
  /** SVK length in bytes for an HMAC-SHA256 and an HMAC-SHA384 suite. */
  readonly svkLength: { readonly 'SHA-256': number; readonly 'SHA-384': number };
}

export const KEY_LAYOUTS: Readonly<Record<KeyLayoutName, KeyLayout>> = {
  conformance: { name: 'conformance', order: 'svk-sek', svkLength: { 'SHA-256': 32, 'SHA-384': 64 } },
  pri: { name: 'pri', order: 'sek-svk', svkLength: { 'SHA-256': 32, 'SHA-384': 64 } },
  'go-fdo': { name: 'go-fdo', order: 'sek-svk', svkLength: { 'SHA-256': 16, 'SHA-384': 32 } },
};

export const DEFAULT_KEY_LAYOUT: KeyLayout = KEY_LAYOUTS.conformance;

/** The session keys: SEK always, SVK for the encrypt-then-MAC suites. */
export interface SessionKeys {
  readonly sek: Uint8Array;
  readonly svk?: Uint8Array;
}

/** SVK length in bytes for `suite` under `layout` (0 for AEAD suites). */
export function svkLength(suite: CipherSuite, layout: KeyLayout = DEFAULT_KEY_LAYOUT): number {
  return suite.kind === 'etm' ? layout.svkLength[suite.mac.hash] : 0;
}

/** How many bytes of key material the KDF must produce (its L is this × 8 bits). */
export function keyMaterialLength(suite: CipherSuite, layout: KeyLayout = DEFAULT_KEY_LAYOUT): number {
  return suite.sekLength + svkLength(suite, layout);
}

/** Splits KDF output into SEK and SVK. The material must be exactly {@link keyMaterialLength} bytes. */
export function splitKeyMaterial(
  suite: CipherSuite,
  material: Uint8Array,
  layout: KeyLayout = DEFAULT_KEY_LAYOUT,
): SessionKeys {
  const expected = keyMaterialLength(suite, layout);
  if (material.length !== expected) {
    throw new RangeError(`${suite.name} needs ${expected} bytes of key material, got ${material.length}`);
  }
  if (suite.kind === 'aead') return { sek: material.slice() };
  const svkLen = svkLength(suite, layout);
  return layout.order === 'svk-sek'
    ? { svk: material.slice(0, svkLen), sek: material.slice(svkLen) }
    : { sek: material.slice(0, suite.sekLength), svk: material.slice(suite.sekLength) };
}
