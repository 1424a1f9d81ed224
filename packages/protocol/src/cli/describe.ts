/**
 * Human-readable voucher summary for `fdo-voucher inspect` (FDO 1.1 §3.4.2 field names).
 */
import { toHex } from '../cbor/bytes.js';
import { nodeCrypto } from '../crypto/node.js';
import { formatGuid } from '../types/guid.js';
import { pkEncName, pkTypeName, type PublicKey } from '../types/public-key.js';
import { keyClass } from '../voucher/verify.js';
import type { OwnershipVoucher } from '../voucher/voucher.js';

/** SHA-256 of the key's DER SubjectPublicKeyInfo, whatever its FDO encoding. */
export function fingerprint(key: PublicKey): string {
  return `SHA256:${toHex(nodeCrypto.digest('SHA-256', key.toDer().spki))}`;
}

/** `SECP384R1 (EC P-384), X509, SHA256:…`; keys that cannot be parsed are described, not thrown. */
export function describeKey(key: PublicKey): string {
  const head = `${pkTypeName(key.type)}, ${pkEncName(key.encoding)}`;
  try {
    const chain = key.certChain === null ? '' : `, chain of ${key.certChain.length}`;
    return `${head} (${keyClass(key)}${chain}), ${fingerprint(key)}`;
  } catch (err) {
    return `${head}, unusable: ${(err as Error).message}`;
  }
}

const line = (label: string, value: string): string => `${`${label}:`.padEnd(20)}${value}\n`;

export function describeVoucher(ov: OwnershipVoucher): string {
  const h = ov.header;
  let out = '';
  out += line('GUID', formatGuid(h.guid));
  out += line('Protocol version', String(ov.protVer));
  out += line('Device info', JSON.stringify(h.deviceInfo));
  out += line('Manufacturer key', describeKey(h.publicKey));
  const rv = h.rvInfo.describe();
  out += line('Rendezvous', rv.length === 0 ? '(none)' : `${rv.length} directive${rv.length === 1 ? '' : 's'}`);
  rv.forEach((d, i) => (out += `  [${i}] ${d}\n`));
  out += line('Header HMAC', `HMAC-${ov.hmac.alg.replace('SHA-', 'SHA')} ${toHex(ov.hmac.value)}`);
  const chainHash = h.certChainHash === null ? 'no hash' : `${h.certChainHash.alg} ${toHex(h.certChainHash.value)}`;
  out += line(
    'Device cert chain',
    ov.certChain === null ? `none (${chainHash})` : `${ov.certChain.length} certificates, ${chainHash}`,
  );
  out += line('Entries', String(ov.entries.length));
  ov.entries.forEach((e, i) => {
    let alg: string;
    try {
      alg = e.sign1.alg.name;
    } catch {
      alg = 'unknown alg';
    }
    out += `  [${i}] signed ${alg}, hash ${e.payload.prevHash.alg}; next owner ${describeKey(e.payload.publicKey)}\n`;
    if (e.payload.extra !== null) out += `      OVEExtra keys: ${[...e.payload.extra.keys()].join(', ')}\n`;
  });
  out += line('Current owner', describeKey(ov.ownerPublicKey));
  return out;
}
