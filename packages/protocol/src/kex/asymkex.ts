/**
 * ASYMKEX2048 / ASYMKEX3072 key exchange (FDO 1.1 §3.6.4 "Asymmetric Key Exchange").
 *
 * The owner sends xA = OwnerRandom (32 / 96 bytes) in clear (it is signed in TO2.ProveOVHdr). The
 * device draws DeviceRandom of the same size and sends xB = RSA-OAEP(SHA-256, MGF1-SHA-256) of it,
 * encrypted to the owner's RSA public key (the last voucher entry's key). ShSe = DeviceRandom and
 * ContextRand = OwnerRandom (as go-fdo `oaep.go` and PRI `getAsymkexSharedSecret`).
 */
import { InvalidMessageError, MessageBodyError } from '../errors.js';
import { publicKeyInfo } from '../crypto/keys.js';
import type { CryptoProvider, PrivateKeyDer, PublicKeyDer } from '../crypto/provider.js';
import type { AsymkexSuite } from './suites.js';

function ownerRandomOf(suite: AsymkexSuite, xA: Uint8Array, what: string): Uint8Array {
  if (xA.length !== suite.randomLength) {
    throw new MessageBodyError(`${what} is ${xA.length} bytes, ${suite.name} needs ${suite.randomLength}`);
  }
  return Uint8Array.from(xA);
}

/** Owner, TO2.ProveOVHdr. */
export function asymkexBegin(provider: CryptoProvider, suite: AsymkexSuite): { xA: Uint8Array } {
  return { xA: provider.randomBytes(suite.randomLength) };
}

/** Device, TO2.ProveDevice: needs the owner's RSA public key of the suite's size. */
export function asymkexRespond(
  provider: CryptoProvider,
  suite: AsymkexSuite,
  xA: Uint8Array,
  ownerPublicKey: PublicKeyDer | undefined,
): { xB: Uint8Array; shSe: Uint8Array; contextRand: Uint8Array } {
  const ownerRandom = ownerRandomOf(suite, xA, 'xA');
  if (ownerPublicKey === undefined) throw new TypeError(`${suite.name} needs the owner public key`);
  let info;
  try {
    info = publicKeyInfo(ownerPublicKey);
  } catch (cause) {
    throw new InvalidMessageError(`${suite.name}: the owner key is not a usable public key`, { cause });
  }
  if (info.kind !== 'rsa' || info.bits !== suite.rsaBits) {
    throw new InvalidMessageError(`${suite.name} needs an RSA-${suite.rsaBits} owner key`);
  }
  const deviceRandom = provider.randomBytes(suite.randomLength);
  return { xB: provider.rsaOaepEncrypt(ownerPublicKey, deviceRandom), shSe: deviceRandom, contextRand: ownerRandom };
}

/** Owner, on TO2.ProveDevice: decrypts xB with the owner's RSA private key. */
export function asymkexFinish(
  provider: CryptoProvider,
  suite: AsymkexSuite,
  xA: Uint8Array,
  xB: Uint8Array,
  ownerPrivateKey: PrivateKeyDer | undefined,
): { shSe: Uint8Array; contextRand: Uint8Array } {
  const ownerRandom = ownerRandomOf(suite, xA, 'stored xA');
  if (ownerPrivateKey === undefined) throw new TypeError(`${suite.name} needs the owner private key`);
  if (xB.length !== suite.rsaBits / 8) {
    throw new MessageBodyError(`xB is ${xB.length} bytes, an RSA-${suite.rsaBits} ciphertext is ${suite.rsaBits / 8}`);
  }
  let deviceRandom: Uint8Array;
  try {
    deviceRandom = provider.rsaOaepDecrypt(ownerPrivateKey, xB);
  } catch (cause) {
    throw new InvalidMessageError(`${suite.name}: xB does not decrypt with the owner key`, { cause });
  }
  if (deviceRandom.length !== suite.randomLength) {
    throw new InvalidMessageError(
      `${suite.name}: device random is ${deviceRandom.length} bytes, not ${suite.randomLength}`,
    );
  }
  return { shSe: deviceRandom, contextRand: ownerRandom };
}
