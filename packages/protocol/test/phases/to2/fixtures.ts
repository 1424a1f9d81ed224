/**
 * Test fixtures for TO2: the owner's state (To2OwnerState) in memory, with the semantics the owner
 * service's database store has. Used by the protocol tests and the device client's tests.
 */
import { toHex } from '../../../src/cbor/index.js';
import { nodeCrypto } from '../../../src/crypto/index.js';
import type { PrivateKeyDer } from '../../../src/crypto/provider.js';
import type {
  LoadedSession,
  To2OwnerSession,
  To2OwnerState,
  To2Outcome,
  To2VoucherRecord,
} from '../../../src/phases/index.js';
import type { OwnershipVoucher } from '../../../src/voucher/index.js';

/** Sessions kept as JSON text (proving they serialise), versioned, with outcomes recorded. */
export class MemoryOwner implements To2OwnerState {
  readonly vouchers = new Map<string, To2VoucherRecord>();
  readonly sessions = new Map<string, { json: string; version: number }>();
  readonly completed: { guid: string; outcome: To2Outcome }[] = [];
  readonly failed: { guid: string; step: number; reason: string }[] = [];

  add(voucher: OwnershipVoucher, ownerKey: PrivateKeyDer, extra: Partial<To2VoucherRecord> = {}): void {
    this.vouchers.set(toHex(voucher.guid), { voucher, ownerKey, ...extra });
  }
  async voucherFor(guid: Uint8Array) {
    return this.vouchers.get(toHex(guid)) ?? null;
  }
  async createSession(session: To2OwnerSession) {
    const token = toHex(nodeCrypto.randomBytes(16));
    this.sessions.set(token, { json: JSON.stringify(session), version: 1 });
    return token;
  }
  async loadSession(token: string): Promise<LoadedSession | null> {
    const s = this.sessions.get(token);
    return s === undefined ? null : { session: JSON.parse(s.json) as To2OwnerSession, version: s.version };
  }
  async saveSession(token: string, session: To2OwnerSession, expectedVersion: number) {
    const s = this.sessions.get(token);
    if (s === undefined || s.version !== expectedVersion) return false;
    this.sessions.set(token, { json: JSON.stringify(session), version: s.version + 1 });
    return true;
  }
  async completeOnboarding(guid: Uint8Array, outcome: To2Outcome) {
    this.completed.push({ guid: toHex(guid), outcome });
  }
  async failOnboarding(guid: Uint8Array, step: number, reason: string) {
    this.failed.push({ guid: toHex(guid), step, reason });
  }
}
