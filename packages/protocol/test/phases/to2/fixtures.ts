/**
 * Test fixtures for TO2: the owner's state (To2OwnerState) in memory, with the semantics the owner
 * service's database store has. Used by the protocol tests and the device client's tests.
 */
import { toHex } from '../../../src/cbor/index.js';
import { nodeCrypto } from '../../../src/crypto/index.js';
import type { PrivateKeyDer } from '../../../src/crypto/provider.js';
import {
  SealedTo2Sessions,
  type ClaimedSession,
  type FenceClaim,
  type To2OwnerSession,
  type To2SessionFence,
  type To2OwnerState,
  type To2Outcome,
  type To2VoucherRecord,
} from '../../../src/phases/index.js';
import type { OwnershipVoucher } from '../../../src/voucher/index.js';
import { MemorySealer } from '../to0/fixtures.js';

/** Session fences in memory, with the semantics of the owner service's table. */
export class MemoryFence implements To2SessionFence {
  readonly rows = new Map<string, { guid: string; version: number; expiresAt: Date; state: Uint8Array | null }>();
  async open(id: string, guid: string, expiresAt: Date, state: Uint8Array | null) {
    this.rows.set(id, { guid, version: 1, expiresAt, state });
  }
  async claim(id: string, version: number, how: FenceClaim, expiresAt: Date) {
    const row = this.rows.get(id);
    if (row === undefined || row.version !== version) return undefined;
    if (how === 'end') this.rows.delete(id);
    if (how === 'advance') Object.assign(row, { version: version + 1, expiresAt });
    return { state: row.state };
  }
  async keep(id: string, version: number, state: Uint8Array) {
    const row = this.rows.get(id);
    if (row?.version === version) row.state = state;
  }
  async end(id: string) {
    this.rows.delete(id);
  }
}

/**
 * The owner's TO2 state in memory: sessions in tokens with fences (the protocol's SealedTo2Sessions),
 * outcomes recorded. `sessions` keeps the last state of every session, ended ones included, as JSON.
 */
export class MemoryOwner implements To2OwnerState {
  readonly vouchers = new Map<string, To2VoucherRecord>();
  readonly fence = new MemoryFence();
  readonly sealer = new MemorySealer();
  readonly sessions = new Map<string, { json: string }>();
  readonly completed: { guid: string; outcome: To2Outcome }[] = [];
  readonly failed: { guid: string; step: number; reason: string }[] = [];
  readonly #sealed = new SealedTo2Sessions({
    sealer: this.sealer,
    fence: this.fence,
    crypto: nodeCrypto,
    ttlSeconds: 300,
  });

  add(voucher: OwnershipVoucher, ownerKey: PrivateKeyDer, extra: Partial<To2VoucherRecord> = {}): void {
    this.vouchers.set(toHex(voucher.guid), { voucher, ownerKey, ...extra });
  }
  async voucherFor(guid: Uint8Array) {
    return this.vouchers.get(toHex(guid)) ?? null;
  }
  async createSession(session: To2OwnerSession) {
    const token = await this.#sealed.create(session);
    this.sessions.set(`${session.guid}/${session.startedAt}`, { json: JSON.stringify(session) });
    return token;
  }
  claimSession(token: string): Promise<ClaimedSession | null> {
    return this.#sealed.claim(token);
  }
  async saveSession(claimed: ClaimedSession, session: To2OwnerSession) {
    this.sessions.set(`${session.guid}/${session.startedAt}`, { json: JSON.stringify(session) });
    return this.#sealed.save(claimed, session);
  }
  async completeOnboarding(guid: Uint8Array, outcome: To2Outcome) {
    this.completed.push({ guid: toHex(guid), outcome });
  }
  async failOnboarding(guid: Uint8Array, step: number, reason: string) {
    this.failed.push({ guid: toHex(guid), step, reason });
  }
}
