/**
 * Synthetic vouchers for the import scenario, so that 100,000 vouchers need no 100,000 DI runs: each
 * is what DI would have made (FDO 1.1 §3.4.2: a header with a fresh GUID, the rendezvous info, the
 * manufacturer key and the device chain's hash; the device HMAC) extended by one entry to the owner
 * key — a one-entry P-256 voucher, as the target says. All share one device certificate
 * (the owner checks chains only against configured device CAs), which keeps generation at about one
 * ECDSA signature per voucher.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import {
  certChainHash,
  extendVoucher,
  generateKeyPair,
  HMac,
  nodeCrypto,
  OVHeader,
  OwnershipVoucher,
  PublicKey,
  publicKeyOf,
  RendezvousInfo,
  voucherToPem,
  type PrivateKeyDer,
} from '@fdo/protocol';
import { createSelfSignedCa } from '@fdo/protocol/x509';

/** Writes `count` vouchers extended to `ownerKey` as one PEM bundle; resolves when the file is complete. */
export async function writeSyntheticVouchers(
  file: string,
  count: number,
  ownerKey: PrivateKeyDer,
  rendezvousUrl: string,
  progress?: (done: number) => void,
): Promise<void> {
  const manufacturer = generateKeyPair('ec256');
  const device = generateKeyPair('ec256');
  const chain = [await createSelfSignedCa({ privateKey: device.privateKey, subject: 'CN=fdo-bench device' })];
  const rvInfo = RendezvousInfo.fromUrls(rendezvousUrl);
  const mfgPublic = PublicKey.fromDer(manufacturer.publicKey);
  const ownerPublic = PublicKey.fromDer(publicKeyOf(ownerKey));
  const chainHash = certChainHash(nodeCrypto, 'SHA-256', chain);
  const secret = nodeCrypto.randomBytes(32);
  const out = createWriteStream(file);
  for (let i = 0; i < count; i++) {
    const header = OVHeader.create({
      guid: nodeCrypto.randomBytes(16),
      rvInfo,
      deviceInfo: 'fdo-bench synthetic',
      publicKey: mfgPublic,
      certChainHash: chainHash,
    });
    const hmac = HMac.compute(nodeCrypto, 'SHA-256', secret, header.bytes);
    const fresh = OwnershipVoucher.create({ header, hmac, certChain: chain });
    const voucher = extendVoucher(nodeCrypto, fresh, manufacturer.privateKey, ownerPublic);
    if (!out.write(voucherToPem(voucher))) await once(out, 'drain');
    if (i % 1000 === 999) progress?.(i + 1);
  }
  out.end();
  await once(out, 'finish');
}
