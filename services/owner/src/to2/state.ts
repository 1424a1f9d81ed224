/**
 * The owner's TO2 state (FDO 1.1 §5.5) over its database: the protocol's `To2OwnerState`, built on the
 * voucher and device-status stores, with sessions in sealed tokens fenced in the database (the
 * protocol's SealedTo2Sessions over To2SessionStore), so TO2 needs no sticky sessions: any instance
 * answers any message, and each message costs one conditional write for its session.
 *
 * After TO2 the device holds a replacement credential; the voucher for its next onboarding is the
 * replacement voucher (header with the new GUID, RV info and Owner2Key, the device's new HMAC, no
 * entries), which this owner extends to its own key at once (§3.4.2: OVPubKey → the same key), so
 * it can prove ownership again (TO2 after a device reset), register it at rendezvous (credential reuse
 * or resale) and extend it to a next owner.
 */
import { randomBytes } from 'node:crypto';
import {
  extendVoucher,
  formatGuid,
  KeyCache,
  messageName,
  nodeCrypto,
  OnboardingRefusedError,
  OwnershipVoucher,
  publicKeyOf,
  type CryptoProvider,
  type Guid,
  type ClaimedSession,
  type SealedTo2Sessions,
  type To2OwnerSession,
  type To2OwnerState,
  type To2Outcome,
  type To2VoucherRecord,
} from '@fdo/protocol';
import { fingerprint } from '@fdo/protocol/x509';
import type { FastifyBaseLogger } from 'fastify';
import type { OwnerKeys } from '../keys.js';
import type { DeviceFacts, DeviceStatusStore } from '../store/device-status.js';
import { onboardingRecord } from './outcomes.js';
import type { VoucherStore } from '../store/vouchers.js';

export interface OwnerTo2StateOptions {
  vouchers: VoucherStore;
  devices: DeviceStatusStore;
  sessions: SealedTo2Sessions;
  keys: OwnerKeys;
  log: FastifyBaseLogger;
  crypto?: CryptoProvider;
  now?: () => number;
}

/**
 * Vouchers decoded for TO2, by their stored bytes: a session's later messages that reach another
 * instance read the voucher row again, but decode it only once.
 */
const decodedVouchers = new KeyCache<OwnershipVoucher>(1024);

/** Voucher records kept for the later messages of sessions (about one per session in flight). */
const READ_AT_HELLO_CAPACITY = 2048;

export class OwnerTo2State implements To2OwnerState {
  readonly #o: OwnerTo2StateOptions;
  /** Voucher records by their `readAs` name: what each session's HelloDevice read on this instance. */
  readonly #readAtHello = new Map<string, To2VoucherRecord>();
  readonly #crypto: CryptoProvider;
  readonly #now: () => number;

  constructor(options: OwnerTo2StateOptions) {
    this.#o = options;
    this.#crypto = options.crypto ?? nodeCrypto;
    this.#now = options.now ?? Date.now;
  }

  async voucherFor(guid: Guid, readAs?: string): Promise<To2VoucherRecord | null> {
    // Later messages of a session this instance began: the record read at its HelloDevice. Deleting or
    // transferring the voucher removes the session's fence (store/vouchers.ts), so its next claim fails.
    const known = readAs === undefined ? undefined : this.#readAtHello.get(readAs);
    if (known !== undefined) return known;
    const text = formatGuid(guid);
    const found = await this.#o.vouchers.findForTo2(text);
    if (found === null) return null;
    const voucher = decodedVouchers.get(found.voucher, (bytes) => OwnershipVoucher.decode(bytes));
    const key = this.#o.keys.find(voucher.ownerPublicKey);
    if (key === undefined) {
      // Imported vouchers are checked against our keys, so the key file went away since.
      const sha = fingerprint(voucher.ownerPublicKey.toDer().spki);
      await this.#o.devices.failed(
        text,
        'TO2.HelloDevice',
        `the voucher is extended to owner key SHA-256 ${sha}, which this service no longer has; restore the key file (FDO_OWNER_KEY_FILES or the keys folder)`,
      );
      return null;
    }
    const record: To2VoucherRecord = {
      voucher,
      ownerKey: key.privateKey,
      tags: found.tags,
      credentialReuse: found.credentialReuse,
      readAs: readAs ?? randomBytes(9).toString('base64url'),
    };
    this.#remember(record);
    return record;
  }

  #remember(record: To2VoucherRecord): void {
    if (this.#readAtHello.size >= READ_AT_HELLO_CAPACITY) {
      const oldest = this.#readAtHello.keys().next().value;
      if (oldest !== undefined) this.#readAtHello.delete(oldest);
    }
    this.#readAtHello.set(record.readAs!, record);
  }

  /** Opening the session's fence also records that the device's TO2 began (store/to2-sessions.ts). */
  createSession(session: To2OwnerSession): Promise<string> {
    return this.#o.sessions.create(session);
  }

  claimSession(token: string): Promise<ClaimedSession | null> {
    return this.#o.sessions.claim(token);
  }

  saveSession(claimed: ClaimedSession, session: To2OwnerSession): Promise<string | null> {
    return this.#o.sessions.save(claimed, session);
  }

  async completeOnboarding(guid: Guid, outcome: To2Outcome): Promise<void> {
    const presented = formatGuid(guid);
    let replacement = null;
    if (outcome.replacementVoucher !== null) {
      const rv = outcome.replacementVoucher;
      // Owner2Key signs entry 0 naming itself: the voucher is ours and ready for the next TO0/TO2.
      const own = extendVoucher(this.#crypto, rv, outcome.owner2Key, rv.header.publicKey);
      replacement = {
        guid: formatGuid(rv.guid),
        voucher: own.encode(),
        entryCount: own.entries.length,
        ownerKeySha256: fingerprint(publicKeyOf(outcome.owner2Key).spki),
      };
    }
    const facts = factsOf(outcome);
    const modules = Object.keys(outcome.serviceInfo);
    const summary = [
      outcome.credentialReused ? 'onboarded, credential reused' : `onboarded as ${replacement?.guid ?? presented}`,
      [facts.os, facts.arch, facts.version].filter((f) => f !== undefined).join(' '),
      modules.length === 0 ? '' : `modules: ${modules.join(', ')}`,
    ]
      .filter((p) => p !== '')
      .join('; ');
    const done = await this.#o.devices.onboarded(presented, facts, replacement, summary, {
      ...onboardingRecord(outcome.serviceInfo),
      sessionStartedAt: outcome.sessionStartedAt === null ? null : new Date(outcome.sessionStartedAt),
    });
    if (done !== null && !done.onboarded) {
      // Two overlapping sessions of one device: the first to finish won. A retry race ends here; two
      // devices holding one credential (a clone) are what an operator must hear about.
      const why =
        `the device onboarded at ${done.supersededAt.toISOString()} in another TO2 session that ran at the same time; ` +
        'this one is refused. If no device retried, two devices hold this credential (a clone)';
      await this.#o.devices.record(done.guid, 'TO2.Done', 'error', why);
      this.#o.log.warn(
        { guid: presented, currentGuid: done.guid, step: 'TO2.Done' },
        'TO2 refused: overlapping session',
      );
      throw new OnboardingRefusedError(why);
    }
    this.#o.log.info(
      {
        guid: presented,
        ...(replacement === null ? {} : { newGuid: replacement.guid }),
        step: 'TO2.Done',
        credentialReused: outcome.credentialReused,
        modules,
        durationMs: done?.to2StartedAt == null ? undefined : this.#now() - done.to2StartedAt.getTime(),
      },
      'TO2 onboarded',
    );
  }

  async failOnboarding(guid: Guid, step: number, reason: string): Promise<void> {
    const text = formatGuid(guid);
    await this.#o.devices.failed(text, messageName(step), reason);
    this.#o.log.warn({ guid: text, step: messageName(step), reason }, 'TO2 failed');
  }
}

function factsOf(outcome: To2Outcome): DeviceFacts {
  const d = outcome.devmod;
  if (d === null) return {};
  return { os: d.os, arch: d.arch, version: d.version, ...(d.sn === null ? {} : { serial: d.sn }) };
}
