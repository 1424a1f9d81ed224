/**
 * Voucher import: each voucher must decode, verify (FDO 1.1 §3.4.2: entry signatures, hashes, one key
 * type), and be extended to one of this owner's keys (its last OVEntry names our key); when device CAs
 * are configured its device certificate chain must lead to one of them. Vouchers are checked as they
 * arrive and stored in batches, one transaction each, so a bundle of any size streams through bounded
 * memory. Private-key blocks (the interop format) and other PEM blocks are ignored.
 */
import {
  formatGuid,
  keyClass,
  nodeCrypto,
  OwnershipVoucher,
  VOUCHER_PEM_LABEL,
  verifyVoucher,
  type RendezvousEndpoint,
} from '@fdo/protocol';
import { fingerprint, verifyCertificateChain } from '@fdo/protocol/x509';
import type { OwnerKeys } from '../keys.js';
import type { ImportOutcome, NewVoucher, VoucherStore } from '../store/vouchers.js';
import type { PemItem } from './pem-stream.js';

export interface ImportResult {
  /** Position of the voucher in the upload, from 0. */
  index: number;
  guid: string | null;
  result: 'imported' | 'duplicate' | 'rejected';
  reason?: string;
}

export interface ImportSummary {
  imported: number;
  duplicate: number;
  rejected: number;
  /** Per voucher; with `details: 'problems'` only the rejected ones. */
  results: ImportResult[];
}

export interface ImporterOptions {
  store: VoucherStore;
  keys: OwnerKeys;
  /** Device CA certificates (DER); empty: device chains are not checked. */
  deviceCas: readonly Uint8Array[];
  tags: readonly string[];
  details: 'all' | 'problems';
  now: () => number;
  batchSize?: number;
}

class Rejection extends Error {}

/** The base URL of a rendezvous endpoint (RV info, owner side). */
export function endpointUrl(e: RendezvousEndpoint): string {
  const host = e.host.includes(':') ? `[${e.host}]` : e.host;
  return `${e.protocol}://${host}:${e.port}`;
}

export class VoucherImporter {
  readonly #batch: { index: number; voucher: NewVoucher }[] = [];
  readonly #summary: ImportSummary = { imported: 0, duplicate: 0, rejected: 0, results: [] };
  #index = 0;

  constructor(private readonly options: ImporterOptions) {}

  /** Checks one voucher (CBOR) and queues it; stores a batch when full. */
  async addVoucher(der: Uint8Array): Promise<void> {
    const index = this.#index++;
    let guid: string | null = null;
    try {
      let ov: OwnershipVoucher;
      try {
        ov = OwnershipVoucher.decode(der);
      } catch (err) {
        throw new Rejection(`not a valid ownership voucher: ${(err as Error).message}`);
      }
      guid = formatGuid(ov.guid);
      this.#batch.push({ index, voucher: await this.#check(ov, der, guid) });
    } catch (err) {
      if (!(err instanceof Rejection)) throw err;
      this.#record({ index, guid, result: 'rejected', reason: err.message });
    }
    if (this.#batch.length >= (this.options.batchSize ?? 250)) await this.flush();
  }

  /** Feeds the PEM blocks of an upload. */
  async addPem(items: AsyncIterable<PemItem>): Promise<void> {
    for await (const item of items) {
      if (item.kind === 'malformed') {
        if (item.label === VOUCHER_PEM_LABEL)
          this.#record({ index: this.#index++, guid: null, result: 'rejected', reason: item.reason });
        continue;
      }
      // A trailing owner private key (the interop format) is ignored, as is any other block.
      if (item.label === VOUCHER_PEM_LABEL) await this.addVoucher(item.der);
    }
  }

  /** Stores the queued vouchers. */
  async flush(): Promise<void> {
    if (this.#batch.length === 0) return;
    const batch = this.#batch.splice(0);
    const outcomes = await this.options.store.importBatch(
      batch.map((b) => b.voucher),
      this.options.tags,
      new Date(this.options.now()),
    );
    batch.forEach((b, i) => {
      const o: ImportOutcome = outcomes[i]!;
      this.#record({ index: b.index, guid: b.voucher.guid, ...o });
    });
  }

  /** Flushes and returns the summary, results in upload order. */
  async finish(): Promise<ImportSummary> {
    await this.flush();
    this.#summary.results.sort((a, b) => a.index - b.index);
    return this.#summary;
  }

  get count(): number {
    return this.#index;
  }

  #record(r: ImportResult): void {
    this.#summary[r.result]++;
    if (this.options.details === 'all' || r.result === 'rejected') this.#summary.results.push(r);
  }

  async #check(ov: OwnershipVoucher, der: Uint8Array, guid: string): Promise<NewVoucher> {
    try {
      verifyVoucher(nodeCrypto, ov);
    } catch (err) {
      throw new Rejection(`does not verify: ${(err as Error).message}`);
    }
    if (ov.entries.length === 0) {
      throw new Rejection(
        'not extended to this owner: it has no entries (its manufacturer still owns it); ask the supplier to extend it to one of our keys (GET /api/v1/owner-keys)',
      );
    }
    const owner = ov.ownerPublicKey;
    const ours = this.options.keys.find(owner);
    if (ours === undefined) {
      let sha = '?';
      try {
        sha = fingerprint(owner.toDer().spki);
      } catch {
        // an unusable key already failed verification above
      }
      throw new Rejection(
        `not extended to this owner: its owner key (${keyClass(owner)} SHA256:${sha}) is not one of ours (GET /api/v1/owner-keys)`,
      );
    }
    if (this.options.deviceCas.length > 0) await this.#checkDeviceChain(ov);
    return {
      guid,
      voucher: der,
      deviceInfo: ov.header.deviceInfo,
      ownerKeySha256: ours.sha256,
      manufacturerKeySha256: fingerprint(ov.header.publicKey.toDer().spki),
      entryCount: ov.entries.length,
      // An RVBypass directive names the owner itself (§3.7): there is no rendezvous server to register at.
      rvUrls: ov.header.rvInfo
        .ownerEndpoints()
        .filter((e) => e.bypass !== true)
        .map(endpointUrl),
    };
  }

  async #checkDeviceChain(ov: OwnershipVoucher): Promise<void> {
    if (ov.certChain === null) throw new Rejection('has no device certificate chain, and device CA checking is on');
    const reasons: string[] = [];
    for (const ca of this.options.deviceCas) {
      const check = await verifyCertificateChain(ov.certChain, ca);
      if (check.valid) return;
      reasons.push(check.reason);
    }
    throw new Rejection(
      `the device certificate chain leads to none of the configured device CAs (${reasons.join('; ')})`,
    );
  }
}
