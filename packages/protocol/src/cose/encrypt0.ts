/**
 * COSE_Encrypt0 (RFC 8152 §5.2, §5.3), as FDO uses it for TO2 session encryption
 * (FDO 1.1 §4.4: `EMBlock` for the AEAD suites, `ETMInnerBlock` for encrypt-then-MAC).
 *
 * ```cddl
 * COSE_Encrypt0 = [ protected: bstr .cbor header_map / bstr .size 0, unprotected: header_map,
 *                   ciphertext: bstr / nil ]
 * Enc_structure = [ context: "Encrypt0", protected: bstr, external_aad: bstr ]
 * ```
 * The IV is the unprotected header label 5. For AEAD algorithms the Enc_structure over the
 * protected bytes exactly as received is the AAD. AES-CTR/CBC (RFC 9459, FDO ids) authenticate
 * nothing, so external AAD must be empty and the caller must MAC the whole structure.
 */
import { decode, encode, Tag } from '../cbor/codec.js';
import * as read from '../cbor/read.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { InvalidMessageError, MessageBodyError } from '../errors.js';
import { encryptionAlgorithm, type EncryptionAlgorithm } from './encryption-algorithms.js';
import { decodeProtected, encodeProtected, HeaderLabel, headerMap, type HeaderMap } from './headers.js';
import { algHeader, bodyProtected } from './mac0.js';

export const COSE_ENCRYPT0_TAG = 16;
const EMPTY = new Uint8Array(0);

export interface Encrypt0Input {
  alg: EncryptionAlgorithm;
  key: Uint8Array;
  plaintext: Uint8Array;
  /** The IV / nonce; random of the algorithm's length when absent. */
  iv?: Uint8Array;
  /** Extra protected headers besides alg. */
  protected?: HeaderMap;
  /** Extra unprotected headers besides the IV. */
  unprotected?: HeaderMap;
  /** AEAD only. */
  externalAad?: Uint8Array;
  /** Where alg goes; FDO puts it in the protected bucket (the default). */
  algHeader?: 'protected' | 'unprotected';
}

export class CoseEncrypt0 {
  constructor(
    /** The protected header bucket, exactly as encoded (possibly zero-length). */
    readonly protectedBytes: Uint8Array,
    readonly protectedHeaders: HeaderMap,
    readonly unprotected: HeaderMap,
    readonly ciphertext: Uint8Array | null,
  ) {}

  /** The content-encryption algorithm (protected bucket, else unprotected). Throws {@link MessageBodyError}. */
  get alg(): EncryptionAlgorithm {
    return encryptionAlgorithm(algHeader(this.protectedHeaders, this.unprotected, 'COSE_Encrypt0'));
  }

  /** The IV (unprotected label 5), checked against the algorithm's length. Throws {@link MessageBodyError}. */
  get iv(): Uint8Array {
    return read.bytes(this.unprotected.get(HeaderLabel.iv), 'COSE_Encrypt0.unprotected.iv', this.alg.ivLength);
  }

  static encrypt(provider: CryptoProvider, input: Encrypt0Input): CoseEncrypt0 {
    const { alg, key, plaintext } = input;
    checkKey(alg, key);
    const iv = input.iv ?? provider.randomBytes(alg.ivLength);
    if (iv.length !== alg.ivLength) throw new RangeError(`${alg.name} needs a ${alg.ivLength}-byte IV`);
    const protectedHeaders: HeaderMap = new Map();
    const unprotected: HeaderMap = new Map();
    if (input.algHeader === 'unprotected') unprotected.set(HeaderLabel.alg, alg.id);
    else protectedHeaders.set(HeaderLabel.alg, alg.id);
    for (const [k, v] of input.protected ?? []) protectedHeaders.set(k, v);
    unprotected.set(HeaderLabel.iv, iv);
    for (const [k, v] of input.unprotected ?? []) unprotected.set(k, v);
    const protectedBytes = encodeProtected(protectedHeaders);
    let ciphertext: Uint8Array;
    if (alg.kind === 'aead') {
      const aad = encStructure(protectedBytes, input.externalAad ?? EMPTY);
      ciphertext = provider.aeadEncrypt(alg, key, iv, plaintext, aad);
    } else {
      if (input.externalAad !== undefined && input.externalAad.length > 0) {
        throw new TypeError(`${alg.name} cannot authenticate external AAD (RFC 9459)`);
      }
      ciphertext = provider.aesEncrypt(alg.mode, key, iv, plaintext);
    }
    return new CoseEncrypt0(protectedBytes, protectedHeaders, unprotected, ciphertext);
  }

  /**
   * Decrypts with `key`, using the algorithm and IV in the headers. Throws
   * {@link MessageBodyError} when the structure is unusable (unknown alg, IV missing or of the
   * wrong size) and {@link InvalidMessageError} when authentication or unpadding fails; the
   * two failure kinds of the latter are not told apart (no padding oracle, FDO 1.1 §4.4).
   */
  decrypt(
    provider: CryptoProvider,
    key: Uint8Array,
    externalAad: Uint8Array = EMPTY,
    detachedCiphertext?: Uint8Array,
  ): Uint8Array {
    const alg = this.alg;
    const iv = this.iv;
    checkKey(alg, key);
    const ciphertext = this.ciphertext ?? detachedCiphertext;
    if (ciphertext === undefined) throw new MessageBodyError('COSE_Encrypt0: no ciphertext');
    if (alg.kind === 'aead') {
      if (ciphertext.length < alg.tagLength) throw new InvalidMessageError('COSE_Encrypt0: decryption failed');
      const aad = encStructure(bodyProtected(this), externalAad);
      try {
        return provider.aeadDecrypt(alg, key, iv, ciphertext, aad);
      } catch (err) {
        throw new InvalidMessageError('COSE_Encrypt0: decryption failed', { cause: err });
      }
    }
    if (externalAad.length > 0) throw new TypeError(`${alg.name} cannot authenticate external AAD (RFC 9459)`);
    if (alg.mode === 'CBC' && (ciphertext.length === 0 || ciphertext.length % 16 !== 0)) {
      throw new InvalidMessageError('COSE_Encrypt0: decryption failed');
    }
    try {
      return provider.aesDecrypt(alg.mode, key, iv, ciphertext);
    } catch (err) {
      throw new InvalidMessageError('COSE_Encrypt0: decryption failed', { cause: err });
    }
  }

  /** Reads a COSE_Encrypt0 from decoded CBOR, tagged (16) or untagged. */
  static fromCbor(value: unknown, path = 'COSE_Encrypt0'): CoseEncrypt0 {
    const [p, u, ciphertext] = read.array(read.untag(value, COSE_ENCRYPT0_TAG, path), path, 3);
    const protectedBytes = read.bytes(p, `${path}.protected`);
    return new CoseEncrypt0(
      protectedBytes,
      decodeProtected(protectedBytes, path),
      headerMap(u, path),
      read.nullable(ciphertext, (v) => read.bytes(v, `${path}.ciphertext`)),
    );
  }

  static decode(bytes: Uint8Array, path?: string): CoseEncrypt0 {
    return CoseEncrypt0.fromCbor(decode(bytes), path);
  }

  /** The tagged CBOR value (tag 16). */
  toCbor(): Tag {
    return new Tag(this.untaggedCbor(), COSE_ENCRYPT0_TAG);
  }

  /** The bare array, for places that carry the structure untagged. */
  untaggedCbor(): unknown[] {
    return [this.protectedBytes, this.unprotected, this.ciphertext];
  }

  encode(): Uint8Array {
    return encode(this.toCbor());
  }
}

/** Enc_structure for COSE_Encrypt0 (RFC 8152 §5.3). */
export function encStructure(protectedBytes: Uint8Array, externalAad: Uint8Array): Uint8Array {
  return encode(['Encrypt0', protectedBytes, externalAad]);
}

function checkKey(alg: EncryptionAlgorithm, key: Uint8Array): void {
  if (key.length !== alg.keyLength) throw new RangeError(`${alg.name} needs a ${alg.keyLength}-byte key`);
}
