/**
 * TO2 session encryption of messages 64–71 (FDO 1.1 §4.4).
 *
 * ```cddl
 * ;; AEAD suites (A128GCM … AES-CCM-64-128-256): COSE_Encrypt0, tag 16
 * EMBlock = [ protected: bstr .cbor { 1: AESPlainType }, unprotected: { 5: AESIV },
 *             ciphertext: bstr ]                 ;; AAD = Enc_structure ("Encrypt0")
 * ;; Encrypt-then-MAC suites (COSEAES128CBC … COSEAES256CTR): COSE_Mac0, tag 17
 * ETMOuterBlock = [ protected: bstr .cbor { 1: ETMMacType }, unprotected: {},
 *                   payload: bstr .cbor ETMInnerBlock, tag: bstr ]   ;; keyed with SVK
 * ETMInnerBlock = [ protected: bstr .cbor { 1: AESPlainType }, unprotected: { 5: AESIV },
 *                   ciphertext: bstr ]           ;; AES-CTR/CBC with SEK, no AAD
 * ```
 * IVs (FDO 1.1 §4.4 cipher-suite table): GCM 12 random bytes per message, CCM-64 7; CTR a 12-byte
 * random per-session nonce ‖ a 4-byte big-endian block counter from 0, advanced by the blocks each
 * message uses so no keystream is ever reused; CBC 16 random bytes per message with PKCS#7.
 *
 * What we write: tagged structures, the inner COSE_Encrypt0 untagged inside the Mac0 payload,
 * alg in the protected bucket with the FDO identifiers. What we accept: tagged or untagged, alg in
 * either bucket, and for CTR/CBC the RFC 9459 identifiers go-fdo writes.
 */
import { decode, encode } from '../cbor/codec.js';
import { CoseEncrypt0 } from '../cose/encrypt0.js';
import { CoseMac0 } from '../cose/mac0.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { InternalServerError, InvalidMessageError, MessageBodyError } from '../errors.js';
import { cipherSuite, type CipherSuite } from './cipher-suites.js';
import type { SessionKeys } from './key-material.js';

const CTR_NONCE_LENGTH = 12;
const COUNTER_LIMIT = 2 ** 32;

/** The per-session AES-CTR state a stateless server persists between messages. */
export interface CtrState {
  readonly nonce: Uint8Array;
  readonly counter: number;
}

export interface SessionCryptoOptions {
  /** Restores a stored CTR state; a fresh session draws a random nonce and starts at 0. */
  readonly ctr?: CtrState;
}

export interface SessionCrypto {
  readonly suite: CipherSuite;
  /** Encrypts one message body (its CBOR bytes) into the encoded COSE_Encrypt0 or COSE_Mac0. */
  encrypt(plaintext: Uint8Array): Uint8Array;
  /**
   * Decrypts a received message body. Throws {@link MessageBodyError} when it is not a
   * well-formed structure and {@link InvalidMessageError} when it fails authentication, uses
   * another algorithm than the session's, or does not decrypt.
   */
  decrypt(bytes: Uint8Array): Uint8Array;
  /** The CTR state to persist after encrypting (undefined for other suites). */
  ctrState(): CtrState | undefined;
}

/** Builds the session object from already-derived keys (see `splitKeyMaterial`). */
export function createSessionCrypto(
  provider: CryptoProvider,
  suiteOrId: CipherSuite | number,
  keys: SessionKeys,
  options: SessionCryptoOptions = {},
): SessionCrypto {
  const suite = typeof suiteOrId === 'number' ? cipherSuite(suiteOrId) : suiteOrId;
  if (keys.sek.length !== suite.sekLength) {
    throw new RangeError(`${suite.name} needs a ${suite.sekLength}-byte SEK, got ${keys.sek.length}`);
  }
  if (suite.kind === 'aead') return aeadSession(provider, suite, keys.sek.slice());
  if (keys.svk === undefined || keys.svk.length === 0) throw new RangeError(`${suite.name} needs an SVK`);
  let ctr: { nonce: Uint8Array; counter: number } | undefined;
  if (suite.mode === 'CTR') {
    const nonce = options.ctr?.nonce ?? provider.randomBytes(CTR_NONCE_LENGTH);
    const counter = options.ctr?.counter ?? 0;
    if (nonce.length !== CTR_NONCE_LENGTH || !Number.isSafeInteger(counter) || counter < 0 || counter > COUNTER_LIMIT) {
      throw new RangeError('invalid stored CTR state');
    }
    ctr = { nonce: nonce.slice(), counter };
  }
  return etmSession(provider, suite, keys.sek.slice(), keys.svk.slice(), ctr);
}

function aeadSession(provider: CryptoProvider, suite: CipherSuite, sek: Uint8Array): SessionCrypto {
  return {
    suite,
    encrypt: (plaintext) => CoseEncrypt0.encrypt(provider, { alg: suite.encryption, key: sek, plaintext }).encode(),
    decrypt(bytes) {
      const enc0 = CoseEncrypt0.fromCbor(decode(bytes), 'EMBlock');
      checkEncryptionAlg(enc0, suite);
      return enc0.decrypt(provider, sek);
    },
    ctrState: () => undefined,
  };
}

function etmSession(
  provider: CryptoProvider,
  suite: CipherSuite & { kind: 'etm' },
  sek: Uint8Array,
  svk: Uint8Array,
  ctr: { nonce: Uint8Array; counter: number } | undefined,
): SessionCrypto {
  const nextIv = (plaintextLength: number): Uint8Array => {
    if (ctr === undefined) return provider.randomBytes(16);
    // A message uses ⌈len/16⌉ counter blocks (at least one, so an IV is never repeated).
    const blocks = Math.max(1, Math.ceil(plaintextLength / 16));
    if (ctr.counter + blocks > COUNTER_LIMIT) throw new InternalServerError('session AES-CTR counter exhausted');
    const iv = new Uint8Array(16);
    iv.set(ctr.nonce);
    new DataView(iv.buffer).setUint32(CTR_NONCE_LENGTH, ctr.counter);
    ctr.counter += blocks;
    return iv;
  };
  return {
    suite,
    encrypt(plaintext) {
      const iv = nextIv(plaintext.length);
      const inner = CoseEncrypt0.encrypt(provider, { alg: suite.encryption, key: sek, plaintext, iv });
      const payload = encode(inner.untaggedCbor());
      return CoseMac0.create(provider, { alg: suite.mac, key: svk, payload }).encode();
    },
    decrypt(bytes) {
      const mac0 = CoseMac0.fromCbor(decode(bytes), 'ETMOuterBlock');
      if (mac0.alg.id !== suite.mac.id) {
        throw new InvalidMessageError(`ETMOuterBlock: MAC algorithm ${mac0.alg.id}, session uses ${suite.mac.id}`);
      }
      if (mac0.payload === null) throw new MessageBodyError('ETMOuterBlock.payload: expected a bstr, got null');
      if (!mac0.verify(provider, svk)) throw new InvalidMessageError('ETMOuterBlock: MAC does not verify');
      const inner = CoseEncrypt0.decode(mac0.payload, 'ETMInnerBlock');
      checkEncryptionAlg(inner, suite);
      return inner.decrypt(provider, sek);
    },
    ctrState: () => (ctr === undefined ? undefined : { nonce: ctr.nonce.slice(), counter: ctr.counter }),
  };
}

/** The structure must use the session's cipher (RFC 9459 ids count as the same cipher). */
function checkEncryptionAlg(enc0: CoseEncrypt0, suite: CipherSuite): void {
  const alg = enc0.alg;
  if (alg.family !== suite.encryption.family) {
    throw new InvalidMessageError(`encrypted message uses ${alg.name}, session uses ${suite.encryption.name}`);
  }
}
