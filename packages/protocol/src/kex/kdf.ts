/**
 * The FDO key derivation function (FDO 1.1 §3.6.4 "Key Derivation Function"): NIST SP 800-108
 * KDF in counter mode with HMAC-SHA256 or HMAC-SHA384 as PRF and an 8-bit counter (r = 8):
 *
 *   K(i) = HMAC(ShSe, [i]₈ ‖ "FIDO-KDF" ‖ 0x00 ‖ "AutomaticOnboardTunnel" ‖ ContextRand ‖ [L]₁₆)
 *
 * for i = 1..⌈L/h⌉, where L is the output length in bits (16-bit big-endian) and the output is the
 * leftmost L bits of K(1) ‖ K(2) ‖ … Label = "FIDO-KDF", Context = "AutomaticOnboardTunnel" ‖ ContextRand.
 */
import type { CryptoProvider, HashAlg } from '../crypto/provider.js';

const LABEL = new TextEncoder().encode('FIDO-KDF');
const CONTEXT = new TextEncoder().encode('AutomaticOnboardTunnel');
const PRF_LENGTH: Record<HashAlg, number> = { 'SHA-256': 32, 'SHA-384': 48 };

/**
 * Derives `lengthBytes` bytes of key material (SEK ‖ SVK, or SEVK) from the shared secret.
 * @param hash the PRF hash of the cipher suite (FDO 1.1 §3.6.4 table: SHA-256 except the AES-256 CTR/CBC suites)
 * @param shSe the shared secret from the key exchange (§3.6.1–§3.6.3)
 * @param contextRand empty for ECDH and DH, the owner random for ASYMKEX
 */
export function kdf(
  provider: CryptoProvider,
  hash: HashAlg,
  shSe: Uint8Array,
  contextRand: Uint8Array,
  lengthBytes: number,
): Uint8Array {
  const bits = lengthBytes * 8;
  const h = PRF_LENGTH[hash];
  const n = Math.ceil(lengthBytes / h);
  // L must fit its 16-bit field and n the 8-bit counter (SP 800-108 §5.1 step 2); a caller's bug, not a peer's.
  if (!Number.isInteger(lengthBytes) || lengthBytes <= 0 || bits > 0xffff || n > 0xff) {
    throw new RangeError(`KDF output length ${lengthBytes} bytes is out of range`);
  }
  const input = new Uint8Array(1 + LABEL.length + 1 + CONTEXT.length + contextRand.length + 2);
  let offset = 1; // input[0] is the counter, set per round
  input.set(LABEL, offset);
  offset += LABEL.length + 1; // the 0x00 separator is already zero
  input.set(CONTEXT, offset);
  offset += CONTEXT.length;
  input.set(contextRand, offset);
  offset += contextRand.length;
  input[offset] = bits >>> 8;
  input[offset + 1] = bits & 0xff;

  const out = new Uint8Array(n * h);
  for (let i = 1; i <= n; i++) {
    input[0] = i;
    out.set(provider.hmac(hash, shSe, input), (i - 1) * h);
  }
  return out.slice(0, lengthBytes);
}
