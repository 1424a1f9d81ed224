/**
 * Sealed session tokens: a protocol session's small state (a nonce, a GUID, a step) encrypted and
 * authenticated under a key every instance shares, with an expiry and a key id, and carried as the
 * `Authorization: Bearer` token (FDO 1.1 §4.3 leaves its format to the server). Any instance can open
 * it, so consecutive messages of one session need not reach the same instance, and no database write.
 *
 * ```
 * token = base64url( version 0x01 ‖ keyId (4) ‖ expiresAt (uint32 BE, seconds) ‖ salt (16) ‖ ciphertext ‖ tag (16) )
 * key   = HMAC-SHA256(HKDF-SHA256(secret, info = "fdo-sealed-token/" ‖ context), salt)   ; one key per token
 * AEAD  = AES-256-GCM, IV = 12 zero bytes (each key seals once), AAD = the first 9 bytes
 * ```
 * A fresh key per token: random 96-bit IVs under one long-lived key are safe for about 2^32 tokens,
 * which a fleet of busy instances reaches in days. Rotation: seal with the first secret, open with any;
 * the key id says which. The context keeps tokens of one purpose from opening as another.
 */
import { createHmac, createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import { nodeCrypto, type AeadParams, type CryptoProvider } from '@fdo/protocol';

const VERSION = 0x01;
const HEADER = 9;
const SALT = 16;
const TAG = 16;
const GCM: AeadParams = { mode: 'GCM', tagLength: TAG };
const ZERO_IV = new Uint8Array(12);
const MAX_EXPIRY = 0xffffffff;

export type SealedTokenFailure = 'malformed' | 'unknown-key' | 'forged' | 'expired';

/** Why a token was refused: `reason` for programs, the message for people (and FDO error texts). */
export class SealedTokenError extends Error {
  override name = 'SealedTokenError';
  constructor(
    readonly reason: SealedTokenFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface SealedTokensOptions {
  /** What the tokens are for, e.g. `rendezvous-session`: a token sealed for one context never opens in another. */
  context: string;
  /** Milliseconds since the epoch (tests move it). */
  now?: () => number;
  provider?: CryptoProvider;
}

interface Key {
  id: Uint8Array;
  /**
   * The HKDF output the per-token keys are derived from, as a node:crypto key object: HMAC with one
   * costs half of HMAC with the key's bytes, imported again at each call (two per TO1, issue 8).
   */
  master: KeyObject;
}

function keyIdHex(id: Uint8Array): string {
  return Buffer.from(id).toString('hex');
}

export class SealedTokens {
  readonly #keys: Key[];
  readonly #now: () => number;
  readonly #crypto: CryptoProvider;

  /**
   * @param secrets at least 32 random bytes each; the first seals, every one opens (rotation: put the
   * new secret first and keep the old one until the longest token lifetime has passed).
   */
  constructor(secrets: readonly Uint8Array[], options: SealedTokensOptions) {
    if (secrets.length === 0) throw new TypeError('SealedTokens needs at least one secret');
    this.#crypto = options.provider ?? nodeCrypto;
    this.#now = options.now ?? Date.now;
    this.#keys = secrets.map((secret, i) => {
      if (secret.length < 32)
        throw new TypeError(`sealing secret ${i} has ${secret.length} bytes; it needs 32 or more`);
      const master = new Uint8Array(
        hkdfSync('sha256', secret, new Uint8Array(0), `fdo-sealed-token/${options.context}`, 32),
      );
      return { id: this.#crypto.digest('SHA-256', master).subarray(0, 4), master: createSecretKey(master) };
    });
  }

  /** The key id that new tokens carry (hex), for logs. */
  get currentKeyId(): string {
    return keyIdHex(this.#keys[0]!.id);
  }

  seal(payload: Uint8Array, ttlSeconds: number): string {
    if (!(ttlSeconds > 0)) throw new RangeError(`token lifetime must be positive, got ${ttlSeconds}`);
    const key = this.#keys[0]!;
    const expiresAt = Math.min(Math.ceil(this.#now() / 1000 + ttlSeconds), MAX_EXPIRY);
    const header = Buffer.alloc(HEADER);
    header[0] = VERSION;
    header.set(key.id, 1);
    header.writeUInt32BE(expiresAt, 5);
    const salt = this.#crypto.randomBytes(SALT);
    const sealed = this.#crypto.aeadEncrypt(GCM, this.#tokenKey(key, salt), ZERO_IV, payload, header);
    return Buffer.concat([header, salt, sealed]).toString('base64url');
  }

  /** The payload of a token this service sealed; throws {@link SealedTokenError} saying why not. */
  open(token: string): Uint8Array {
    const bytes = /^[A-Za-z0-9_-]+$/.test(token) ? Buffer.from(token, 'base64url') : Buffer.alloc(0);
    if (bytes.length < HEADER + SALT + TAG || bytes[0] !== VERSION) {
      throw new SealedTokenError('malformed', 'not a session token of this server');
    }
    const id = bytes.subarray(1, 5);
    const key = this.#keys.find((k) => id.equals(k.id));
    if (key === undefined) {
      throw new SealedTokenError(
        'unknown-key',
        `the token was sealed under key ${keyIdHex(id)}, which this server no longer has`,
      );
    }
    const expiresAt = bytes.readUInt32BE(5);
    let payload: Uint8Array;
    try {
      const salt = bytes.subarray(HEADER, HEADER + SALT);
      payload = this.#crypto.aeadDecrypt(
        GCM,
        this.#tokenKey(key, salt),
        ZERO_IV,
        bytes.subarray(HEADER + SALT),
        bytes.subarray(0, HEADER),
      );
    } catch {
      throw new SealedTokenError('forged', 'the token does not authenticate (altered, or not sealed by this service)');
    }
    if (expiresAt * 1000 <= this.#now()) {
      throw new SealedTokenError('expired', `the token expired at ${new Date(expiresAt * 1000).toISOString()}`);
    }
    return payload;
  }

  #tokenKey(key: Key, salt: Uint8Array): Uint8Array {
    const mac = createHmac('sha256', key.master).update(salt).digest();
    return new Uint8Array(mac.buffer, mac.byteOffset, mac.byteLength);
  }
}
