/**
 * PEM armour for ownership vouchers: `-----BEGIN OWNERSHIP VOUCHER-----` around the voucher CBOR.
 * This is a convention shared by go-fdo, fdo-rs, PRI and the FIDO interop tooling; the spec
 * (§3.4.2) defines no text form. The interop format appends the owner's private key; any of the
 * `PRIVATE KEY` (PKCS#8), `EC PRIVATE KEY` (SEC1) and `RSA PRIVATE KEY` (PKCS#1) labels is accepted,
 * with PKCS#8 content tolerated under the latter two (PRI writes it that way).
 */
import { PRIVATE_KEY_LABELS, pemBlocks, privateKeyFromDer, toPem } from '../crypto/keys.js';
import type { PrivateKeyDer } from '../crypto/provider.js';
import { MessageBodyError } from '../errors.js';
import { OwnershipVoucher } from './voucher.js';

export const VOUCHER_PEM_LABEL = 'OWNERSHIP VOUCHER';

export interface VoucherPem {
  vouchers: OwnershipVoucher[];
  /** The trailing private key block, normalised to PKCS#8, or null. */
  privateKey: PrivateKeyDer | null;
}

export function voucherToPem(ov: OwnershipVoucher): string {
  return toPem(VOUCHER_PEM_LABEL, ov.encode());
}

/** Reads one or more voucher blocks and an optional private key block. */
export function readVoucherPem(text: string): VoucherPem {
  const vouchers: OwnershipVoucher[] = [];
  let privateKey: PrivateKeyDer | null = null;
  for (const block of pemBlocks(text)) {
    if (block.label === VOUCHER_PEM_LABEL) {
      vouchers.push(OwnershipVoucher.decode(block.der, `OwnershipVoucher #${vouchers.length + 1}`));
      continue;
    }
    const label = PRIVATE_KEY_LABELS.find((l) => l === block.label);
    if (label === undefined) continue; // other blocks (certificates, comments) are ignored
    if (privateKey !== null) throw new MessageBodyError('voucher PEM: more than one private key block');
    try {
      privateKey = privateKeyFromDer(block.der, label);
    } catch (err) {
      throw new MessageBodyError(`voucher PEM: the ${label} block is not a valid key: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  if (vouchers.length === 0) throw new MessageBodyError(`voucher PEM: no ${VOUCHER_PEM_LABEL} block`);
  return { vouchers, privateKey };
}
