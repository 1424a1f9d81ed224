/**
 * Key exchange entry points for both roles (FDO 1.1 §3.6, TO2.ProveOVHdr xA / TO2.ProveDevice xB).
 *
 *   owner:  beginOwner   → xA, state      (state stored with the TO2 session)
 *   device: respondDevice(xA) → xB, ShSe, ContextRand
 *   owner:  finishOwner(state, xB) → ShSe, ContextRand
 *
 * The owner state is plain JSON (hex strings), because a TO2 session is stored between messages and
 * the next message may reach another server instance. It holds the ephemeral secret (ECDH scalar or
 * DH exponent), so store it as you store session keys.
 */
import { fromHex, toHex } from '../cbor/bytes.js';
import { InternalServerError } from '../errors.js';
import type { CryptoProvider, PrivateKeyDer, PublicKeyDer } from '../crypto/provider.js';
import { asymkexBegin, asymkexFinish, asymkexRespond } from './asymkex.js';
import { dhBegin, dhFinish, dhRespond } from './dh.js';
import { ecdhBegin, ecdhFinish, ecdhRespond } from './ecdh.js';
import { isKexSuiteName, kexSuite, type KexSuite, type KexSuiteName } from './suites.js';

/** The result of a key exchange: input to the KDF (§3.6.4). */
export interface KexResult {
  readonly shSe: Uint8Array;
  /** Empty except for ASYMKEX (OwnerRandom). */
  readonly contextRand: Uint8Array;
}

/** The owner's side of an exchange in progress; JSON-serialisable. */
export interface KexOwnerState {
  readonly suite: KexSuiteName;
  /** The xA sent, hex. */
  readonly xA: string;
  /** The ephemeral private key (ECDH scalar, DH exponent), hex; empty for ASYMKEX. */
  readonly secret: string;
}

const EMPTY = new Uint8Array(0);

const suiteOf = (suite: KexSuite | string): KexSuite => (typeof suite === 'string' ? kexSuite(suite) : suite);

/** Owner: starts the exchange; send `xA` in TO2.ProveOVHdr and keep `state` with the session. */
export function beginOwner(
  provider: CryptoProvider,
  suite: KexSuite | string,
): { xA: Uint8Array; state: KexOwnerState } {
  const s = suiteOf(suite);
  let xA: Uint8Array;
  let secret: Uint8Array = EMPTY;
  if (s.kind === 'ecdh') ({ xA, privateKey: secret } = ecdhBegin(provider, s));
  else if (s.kind === 'dh') ({ xA, privateKey: secret } = dhBegin(provider, s));
  else ({ xA } = asymkexBegin(provider, s));
  return { xA, state: { suite: s.name, xA: toHex(xA), secret: toHex(secret) } };
}

/**
 * Device: answers the owner's xA; send `xB` in TO2.ProveDevice. `ownerPublicKey` (the voucher's last
 * entry key) is needed for ASYMKEX only. Malformed xA is MessageBodyError, an invalid one InvalidMessageError.
 */
export function respondDevice(
  provider: CryptoProvider,
  suite: KexSuite | string,
  xA: Uint8Array,
  ownerPublicKey?: PublicKeyDer,
): KexResult & { xB: Uint8Array } {
  const s = suiteOf(suite);
  if (s.kind === 'ecdh') return { ...ecdhRespond(provider, s, xA), contextRand: EMPTY };
  if (s.kind === 'dh') return { ...dhRespond(provider, s, xA), contextRand: EMPTY };
  return asymkexRespond(provider, s, xA, ownerPublicKey);
}

/** Checks a state read back from storage: corruption there is our fault (500), not the peer's. */
export function parseOwnerState(value: unknown): KexOwnerState {
  const v = value as Partial<Record<keyof KexOwnerState, unknown>> | null;
  const hexOk = (h: unknown): h is string => typeof h === 'string' && /^(?:[0-9a-f]{2})*$/.test(h);
  if (typeof v !== 'object' || v === null || !isKexSuiteName(v.suite) || !hexOk(v.xA) || !hexOk(v.secret)) {
    throw new InternalServerError('stored key exchange state is corrupt');
  }
  return { suite: v.suite, xA: v.xA, secret: v.secret };
}

/**
 * Owner: completes the exchange with the device's xB. `ownerPrivateKey` is needed for ASYMKEX only.
 * Malformed xB is MessageBodyError, an invalid one (off-curve point, out-of-range value, failed
 * decryption) InvalidMessageError.
 */
export function finishOwner(
  provider: CryptoProvider,
  state: KexOwnerState,
  xB: Uint8Array,
  ownerPrivateKey?: PrivateKeyDer,
): KexResult {
  const st = parseOwnerState(state);
  const s = kexSuite(st.suite);
  const xA = fromHex(st.xA);
  if (s.kind === 'ecdh') return { shSe: ecdhFinish(provider, s, xA, fromHex(st.secret), xB), contextRand: EMPTY };
  if (s.kind === 'dh') return { shSe: dhFinish(provider, s, fromHex(st.secret), xB), contextRand: EMPTY };
  return asymkexFinish(provider, s, xA, xB, ownerPrivateKey);
}
