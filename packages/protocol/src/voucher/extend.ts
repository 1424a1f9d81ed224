/**
 * Voucher extension (FDO 1.1 §2.7, §3.4.2): the current owner signs a new OVEntry naming the
 * next owner's key.
 */
import { equal } from '../cbor/bytes.js';
import { publicKeyOf } from '../crypto/keys.js';
import type { CryptoProvider, HashAlg, PrivateKeyDer } from '../crypto/provider.js';
import { signatureAlgorithmByName } from '../cose/algorithms.js';
import { CoseSign1 } from '../cose/sign1.js';
import { InvalidOwnershipVoucherError } from '../errors.js';
import { Hash } from '../types/hash.js';
import { OVEntry, OVEntryPayload } from '../types/ov-entry.js';
import { PkType, PublicKey } from '../types/public-key.js';
import { headerInfoBytes, keyClass, prevEntryHashInput } from './verify.js';
import type { OwnershipVoucher } from './voucher.js';

export interface ExtendVoucherOptions {
  /**
   * Hash algorithm for a voucher's first entry. Default: the header HMAC's algorithm (HMAC-SHA384 →
   * SHA-384), which DI chose by the §3.3.1 rules. Later entries always use entry 0's algorithm.
   */
  hashAlg?: HashAlg;
  /** Allow a next-owner key of another type than OVPubKey (§3.4.2 forbids it; off by default). */
  allowMixedKeyTypes?: boolean;
}

const RSA_PKCS_TYPES: readonly number[] = [PkType.RSA2048RESTR, PkType.RSAPKCS];

/**
 * Returns `ov` with one more entry: OVEPubKey = `nextOwner`, signed by `currentOwnerKey`, which
 * must be the private half of the voucher's current owner key (last entry, or OVPubKey).
 */
export function extendVoucher(
  provider: CryptoProvider,
  ov: OwnershipVoucher,
  currentOwnerKey: PrivateKeyDer,
  nextOwner: PublicKey,
  extra?: Map<number, Uint8Array> | null,
  options: ExtendVoucherOptions = {},
): OwnershipVoucher {
  const owner = ov.ownerPublicKey;
  let signerSpki: Uint8Array;
  try {
    signerSpki = publicKeyOf(currentOwnerKey).spki;
  } catch (err) {
    throw new InvalidOwnershipVoucherError(`extend: the signing key is not usable: ${(err as Error).message}`);
  }
  if (!equal(signerSpki, owner.toDer().spki)) {
    const who =
      ov.entries.length === 0 ? 'the manufacturer key (OVPubKey)' : `the key of entry ${ov.entries.length - 1}`;
    throw new InvalidOwnershipVoucherError(`extend: the signing key is not the current owner key, ${who}`);
  }

  let next = nextOwner;
  const mfgKey = ov.header.publicKey;
  if (options.allowMixedKeyTypes !== true) {
    if (keyClass(next) !== keyClass(mfgKey)) {
      throw new InvalidOwnershipVoucherError(
        `extend: next owner key type ${keyClass(next)} differs from the manufacturer key type ${keyClass(mfgKey)} (§3.4.2: all keys in a voucher share one type)`,
      );
    }
    // "Copy the public key type from the manufacturer's key" (§3.4.2): RSA2048RESTR vs RSAPKCS.
    if (next.type !== mfgKey.type && RSA_PKCS_TYPES.includes(next.type) && RSA_PKCS_TYPES.includes(mfgKey.type)) {
      next = new PublicKey(mfgKey.type, next.encoding, next.body);
    }
  }

  const first = ov.entries[0];
  const alg: HashAlg = first?.payload.prevHash.alg ?? options.hashAlg ?? ov.hmac.alg;
  const index = ov.entries.length;
  const payload = OVEntryPayload.create({
    prevHash: Hash.compute(provider, alg, prevEntryHashInput(ov, index)),
    hdrInfoHash: Hash.compute(provider, alg, headerInfoBytes(ov.header)),
    extra: extra ?? null,
    publicKey: next,
  });
  const sign1 = CoseSign1.sign(provider, {
    alg: signatureAlgorithmByName(owner.signatureAlg),
    key: currentOwnerKey,
    payload: payload.bytes,
  });
  return ov.withEntry(OVEntry.fromSign1(sign1));
}
