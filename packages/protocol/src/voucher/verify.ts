/**
 * Ownership voucher verification (FDO 1.1 §3.4.2, §2.7): header HMAC, device certificate chain
 * hash, and the chain of entries from the manufacturer key to the current owner.
 *
 * Every failure is an {@link InvalidOwnershipVoucherError} whose message names what failed and where.
 */
import { concat } from '../cbor/bytes.js';
import type { CryptoProvider, HashAlg } from '../crypto/provider.js';
import { InvalidOwnershipVoucherError } from '../errors.js';
import { Hash } from '../types/hash.js';
import type { OVHeader } from '../types/ov-header.js';
import { PkType, type PublicKey } from '../types/public-key.js';
import type { OwnershipVoucher } from './voucher.js';

export interface VerifyVoucherOptions {
  /** The device's HMAC secret; when given, OVHeaderHMac is checked (§3.4.1 DCHmacSecret). */
  hmacSecret?: Uint8Array;
  /**
   * Accept owner keys of a different type than OVPubKey. §3.4.2 requires every key in a voucher
   * to copy the manufacturer key's type (e.g. all SECP384R1), so this is off by default.
   */
  allowMixedKeyTypes?: boolean;
}

export interface VoucherVerification {
  /** The key that must sign TO0.OwnerSign / TO2.ProveOVHdr. */
  ownerPublicKey: PublicKey;
  /** The hash algorithm of the entries (entry 0's), or null when there are none. */
  hashAlg: HashAlg | null;
  /** True when the header HMAC was checked against a secret. */
  hmacChecked: boolean;
  entryCount: number;
}

const fail = (message: string): never => {
  throw new InvalidOwnershipVoucherError(message);
};

/** OVEHashHdrInfo input: OVGuid ‖ UTF-8 OVDeviceInfo (§3.4.2). */
export function headerInfoBytes(header: OVHeader): Uint8Array {
  return concat(header.guid, new TextEncoder().encode(header.deviceInfo));
}

/** Entry 0's OVEHashPrevEntry input: OVHeader bytes ‖ OVHeaderHMac CBOR, both as received (§3.4.2). */
export function firstEntryHashInput(ov: OwnershipVoucher): Uint8Array {
  return concat(ov.header.bytes, ov.hmacBytes);
}

/** OVEHashPrevEntry input for entry `index`. */
export function prevEntryHashInput(ov: OwnershipVoucher, index: number): Uint8Array {
  return index === 0 ? firstEntryHashInput(ov) : ov.entries[index - 1]!.bytes;
}

/** OVDevCertChainHash: the hash of the concatenated DER certificates (§3.4.2). */
export function certChainHash(provider: CryptoProvider, alg: HashAlg, chain: Uint8Array[]): Hash {
  return Hash.compute(provider, alg, concat(...chain));
}

/** What §3.4.2 means by a key's type: the algorithm family and size (curve or modulus). */
export function keyClass(key: PublicKey): string {
  const info = key.info;
  if (info.kind === 'ec') return `EC ${info.curve}`;
  return `${key.type === PkType.RSAPSS ? 'RSA-PSS' : 'RSA'} ${info.bits}`;
}

function keyOf(key: PublicKey, where: string): ReturnType<PublicKey['toDer']> {
  try {
    return key.toDer();
  } catch (err) {
    return fail(`${where}: public key cannot be used: ${(err as Error).message}`);
  }
}

/** Checks the device certificate chain against OVDevCertChainHash (null iff no chain). */
export function verifyCertChainHash(provider: CryptoProvider, ov: OwnershipVoucher): void {
  const expected = ov.header.certChainHash;
  if (expected === null && ov.certChain === null) return;
  if (expected === null) fail('OVDevCertChain is present but OVDevCertChainHash is null');
  if (ov.certChain === null) fail('OVDevCertChainHash is set but OVDevCertChain is null');
  if (!expected!.matches(provider, concat(...ov.certChain!))) {
    fail('certificate chain hash does not match OVDevCertChainHash');
  }
}

/** Checks the header HMAC with the device secret (§3.4.2 OVHeaderHMac). */
export function verifyHeaderHmac(provider: CryptoProvider, ov: OwnershipVoucher, secret: Uint8Array): void {
  if (!ov.hmac.verify(provider, secret, ov.header.bytes)) fail('header HMAC does not match the device secret');
}

/**
 * Verifies a voucher (§3.4.2): header HMAC when the secret is known, the certificate-chain hash,
 * and for each entry the signature by the previous owner key, OVEHashPrevEntry, OVEHashHdrInfo,
 * one hash algorithm throughout (entry 0's), and one key type (unless allowed otherwise).
 */
export function verifyVoucher(
  provider: CryptoProvider,
  ov: OwnershipVoucher,
  options: VerifyVoucherOptions = {},
): VoucherVerification {
  if (options.hmacSecret !== undefined) verifyHeaderHmac(provider, ov, options.hmacSecret);
  verifyCertChainHash(provider, ov);

  const mfgKey = ov.header.publicKey;
  const mfgClass = keyClass(mfgKey);
  let prevKey = mfgKey;
  let hashAlg: HashAlg | null = null;
  let hdrInfo: Uint8Array | undefined;
  for (const [i, entry] of ov.entries.entries()) {
    const prevName = i === 0 ? 'the manufacturer key (OVPubKey)' : `the key of entry ${i - 1}`;
    if (!entry.sign1.verify(provider, keyOf(prevKey, i === 0 ? 'OVPubKey' : `entry ${i - 1}`))) {
      fail(`entry ${i}: signature does not verify with ${prevName}`);
    }
    const { prevHash, hdrInfoHash, publicKey } = entry.payload;
    hashAlg ??= prevHash.alg;
    if (prevHash.alg !== hashAlg || hdrInfoHash.alg !== hashAlg) {
      fail(`entry ${i}: uses ${prevHash.alg}/${hdrInfoHash.alg} but entry 0 uses ${hashAlg}`);
    }
    if (!prevHash.matches(provider, prevEntryHashInput(ov, i))) {
      fail(
        i === 0
          ? 'entry 0: OVEHashPrevEntry does not match the hash of OVHeader and OVHeaderHMac'
          : `entry ${i}: OVEHashPrevEntry does not match the hash of entry ${i - 1}`,
      );
    }
    hdrInfo ??= headerInfoBytes(ov.header);
    if (!hdrInfoHash.matches(provider, hdrInfo)) {
      fail(`entry ${i}: OVEHashHdrInfo does not match the hash of OVGuid and OVDeviceInfo`);
    }
    keyOf(publicKey, `entry ${i}: OVEPubKey`);
    if (options.allowMixedKeyTypes !== true && keyClass(publicKey) !== mfgClass) {
      fail(
        `entry ${i}: owner key type ${keyClass(publicKey)} differs from the manufacturer key type ${mfgClass} (§3.4.2: all keys in a voucher share one type)`,
      );
    }
    prevKey = publicKey;
  }
  return {
    ownerPublicKey: prevKey,
    hashAlg,
    hmacChecked: options.hmacSecret !== undefined,
    entryCount: ov.entries.length,
  };
}
