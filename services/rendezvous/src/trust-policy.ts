/**
 * The rendezvous server's trust policy for TO0.OwnerSign (issue 4): optional allow-lists of owner keys
 * and of device origins (manufacturer keys or device CAs), and a deny-list of GUIDs, from the trust
 * file and the database together. An empty list is not enforced; a list with entries is.
 *
 * A device CA is trusted when the voucher's device certificate chain (OVDevCertChain, leaf first) verifies
 * link by link up to a certificate signed by, or carrying, an allow-listed CA key. Signatures only: device
 * certificates routinely outlive their validity dates in the field.
 */
import { X509Certificate, createPublicKey, type KeyObject } from 'node:crypto';
import { formatGuid, type To0Candidate, type To0TrustPolicy } from '@fdo/protocol';
import type { TrustStore, TrustList } from './store/trust.js';
import { spkiFingerprint, type TrustFile } from './trust-file.js';

function spkiOf(key: KeyObject): Uint8Array {
  return new Uint8Array(key.export({ format: 'der', type: 'spki' }));
}

/** Walks the chain from the leaf; true once a certificate is signed by, or carries, one of `caKeys`. */
export function chainEndsAtCa(chain: readonly Uint8Array[], caKeys: readonly Uint8Array[]): boolean {
  if (caKeys.length === 0) return false;
  const anchors = caKeys.map((spki) => createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }));
  const anchorPrints = new Set(caKeys.map(spkiFingerprint));
  let certs: X509Certificate[];
  try {
    certs = chain.map((der) => new X509Certificate(Buffer.from(der)));
  } catch {
    return false;
  }
  for (const [i, cert] of certs.entries()) {
    if (i > 0 && anchorPrints.has(spkiFingerprint(spkiOf(cert.publicKey)))) return true;
    if (anchors.some((a) => cert.verify(a))) return true;
    const issuer = certs[i + 1];
    if (issuer === undefined || !cert.verify(issuer.publicKey)) return false;
  }
  return false;
}

export class RendezvousTrustPolicy implements To0TrustPolicy {
  constructor(
    private readonly store: TrustStore,
    private readonly file: TrustFile,
  ) {}

  async evaluate(c: To0Candidate): Promise<string | null> {
    const guid = formatGuid(c.guid);
    if (this.file.deniedGuids.has(guid) || (await this.store.isDenied(guid))) {
      return `GUID ${guid} is on this rendezvous server's deny-list`;
    }
    const sizes = await this.store.sizes();
    const size = (list: TrustList) => sizes[list] + this.file.keys[list].length;
    const trusted = async (list: TrustList, fingerprint: string) =>
      this.file.keys[list].some((k) => k.fingerprint === fingerprint) || (await this.store.has(list, fingerprint));

    if (size('owner') > 0) {
      const owner = spkiFingerprint(c.ownerKey.toDer().spki);
      if (!(await trusted('owner', owner))) {
        return `owner key ${owner} is not on this rendezvous server's owner allow-list`;
      }
    }
    if (size('manufacturer') + size('device-ca') > 0) {
      const mfg = spkiFingerprint(c.manufacturerKey.toDer().spki);
      if (size('manufacturer') > 0 && (await trusted('manufacturer', mfg))) return null;
      if (size('device-ca') > 0) {
        const cas = [
          ...this.file.keys['device-ca'].map((k) => k.publicKey),
          ...(await this.store.keys('device-ca')).map((k) => k.publicKey),
        ];
        if (chainEndsAtCa(c.deviceCertChain, cas)) return null;
      }
      return `neither the manufacturer key ${mfg} nor the device certificate chain is trusted by this rendezvous server`;
    }
    return null;
  }
}
