/**
 * Owner keys as people exchange them (FDO 1.1 §2.7, §3.4.2): a PEM `PUBLIC KEY`, or a `CERTIFICATE`
 * whose key is taken, of one of the owner key types (EC P-256/P-384, RSA 2048/3072). A manufacturer
 * extends new vouchers to such a key; an owner extends a voucher to the next owner's (resale).
 */
import { publicKeyFromPem } from '../crypto/keys.js';
import { PublicKey } from '../types/public-key.js';
import { keyClass } from './verify.js';

const OWNER_KEY_CLASSES: readonly string[] = ['EC P-256', 'EC P-384', 'RSA 2048', 'RSA 3072'];

/** Reads an owner's public key from PEM; errors start with `where` and say what is accepted. */
export function ownerKeyFromPem(text: string, where = 'owner key'): PublicKey {
  let key: PublicKey;
  try {
    key = PublicKey.fromDer(publicKeyFromPem(text));
  } catch (err) {
    throw new Error(
      `${where}: not a PEM PUBLIC KEY or CERTIFICATE of an EC P-256/P-384 or RSA key (${(err as Error).message})`,
      { cause: err },
    );
  }
  const kind = keyClass(key);
  if (!OWNER_KEY_CLASSES.includes(kind)) {
    throw new Error(`${where}: a ${kind} key is not an FDO owner key type (EC P-256/P-384, RSA 2048/3072)`);
  }
  return key;
}
