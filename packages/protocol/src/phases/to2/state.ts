/**
 * What the TO2 owner role needs from the outside (FDO 1.1 §5.5): the voucher of a GUID with its
 * owner key, a session store, and two calls that record the outcome. The owner service implements
 * them over its database; tests implement them in memory.
 *
 * The session is plain JSON, claimed once per message and saved after it (sessions.ts keeps it in a
 * sealed token with a version fence in the database), so any instance may answer any message and a
 * message is answered at most once: a replay, or the same message racing on two instances, is refused.
 */
import type { PrivateKeyDer } from '../../crypto/provider.js';
import { InvalidMessageError } from '../../errors.js';
import type { KexOwnerState } from '../../kex/exchange.js';
import type { OwnerServiceInfoState } from '../../serviceinfo/owner-driver.js';
import type { DevmodFacts } from '../../serviceinfo/devmod.js';
import type { JsonValue } from '../../serviceinfo/module.js';
import type { CtrState } from '../../session/session-crypto.js';
import type { Guid } from '../../types/guid.js';
import type { HMac } from '../../types/hash.js';
import type { RendezvousInfo } from '../../types/rv-info.js';
import type { OwnershipVoucher } from '../../voucher/voucher.js';

export type { Clock, Responder, ResponderRequest, ResponderResponse } from '../to0/state.js';

/** The next message a TO2 session accepts from the device (a message type), or where it ended. */
export type To2Step = number | 'done' | 'failed';

/** The replacement credential decided at TO2.ProveDevice (§5.5.8), as JSON. */
export interface StoredReplacement {
  /** Hex: GUID, RendezvousInfo CBOR, Owner2Key PublicKey CBOR. */
  guid: string;
  rvInfo: string;
  owner2Key: string;
  /** PKCS#8 hex of the Owner2 key when the record names another key; null: the voucher's owner key (no private key in the session). */
  owner2PrivateKey: string | null;
  /** GUID, RV info and owner key are unchanged: the device may reuse its credential (§5.5.9). */
  reuse: boolean;
}

/**
 * The owner's TO2 session between messages: everything needed to check the next message and to
 * rebuild the tunnel (session keys, CTR state). Byte strings are hex. It holds the session keys and
 * the key-exchange secret: store it as you store secrets.
 */
export interface To2OwnerSession {
  readonly v: 1;
  step: To2Step;
  guid: string;
  nonceTO2ProveOV: string;
  nonceTO2ProveDv: string;
  nonceTO2SetupDv: string | null;
  kex: KexOwnerState;
  cipherSuite: number;
  /** What the device accepts (HelloDevice), what we accept (ProveOVHdr). */
  maxDeviceMessageSize: number;
  maxOwnerMessageSize: number;
  /** The device's limit for our ServiceInfo (DeviceServiceInfoReady), ours for its (OwnerServiceInfoReady). */
  maxOwnerServiceInfoSz: number | null;
  maxDeviceServiceInfoSz: number;
  numEntries: number;
  /** The next OVEntryNum the device may ask for. */
  nextEntry: number;
  keys: { sek: string; svk: string | null } | null;
  ctr: { nonce: string; counter: number } | null;
  replacement: StoredReplacement | null;
  /** ReplacementHMac CBOR (hex), or null for credential reuse. */
  replacementHmac: string | null;
  serviceInfo: OwnerServiceInfoState;
  /** The voucher record's tags, read once at HelloDevice: ServiceInfo modules are chosen by them. */
  tags: string[];
  /** The voucher record's {@link To2VoucherRecord.readAs} at HelloDevice, if it named one. */
  voucherReadAs?: string;
  /** When HelloDevice opened the session, ms since the epoch (absent in sessions stored before it was kept). */
  startedAt?: number;
  /** Sliding expiry, ms since the epoch. */
  expiresAt: number;
}

/** A session claimed for one message by {@link To2OwnerState.claimSession}. */
export interface ClaimedSession {
  session: To2OwnerSession;
  /** Opaque to the protocol; handed back to saveSession. */
  claim: unknown;
}

/** What the owner keeps for a device: its voucher, extended to one of its keys, and policy. */
export interface To2VoucherRecord {
  voucher: OwnershipVoucher;
  /** The private half of the voucher's current owner key (last entry's OVEPubKey), PKCS#8. */
  ownerKey: PrivateKeyDer;
  /** Grouping tags: ServiceInfo modules may be chosen by them. */
  tags?: readonly string[];
  /** Offer credential reuse (§5.5.9): same GUID, RV info and owner key. Default false. */
  credentialReuse?: boolean;
  /**
   * The replacement credential (§5.5.8). Defaults: a new random GUID, the voucher's RV info, and
   * the current owner key. Ignored with credential reuse.
   */
  replacement?: { guid?: Guid; rvInfo?: RendezvousInfo; ownerKey?: PrivateKeyDer };
  /**
   * Names this record as read at HelloDevice. The session keeps it and later messages pass it back to
   * {@link To2OwnerState.voucherFor}, so the state may answer from what it read then instead of
   * reading again (see there).
   */
  readAs?: string;
}

/** What TO2 produced, handed to {@link To2OwnerState.completeOnboarding} at TO2.Done. */
export interface To2Outcome {
  /** The voucher for the device's next TO2: header with the replacement GUID, RV info and Owner2Key as OVPubKey, the device's ReplacementHMac, no entries. Null with credential reuse. */
  replacementVoucher: OwnershipVoucher | null;
  replacementHmac: HMac | null;
  /** Private half of the replacement voucher's OVPubKey (PKCS#8). */
  owner2Key: PrivateKeyDer;
  credentialReused: boolean;
  devmod: DevmodFacts | null;
  serviceInfo: Record<string, { phase: string; result: JsonValue }>;
  /**
   * When this session's HelloDevice arrived (ms since the epoch), or null if unknown. A device that
   * onboarded after that moment did so in another session: two overlapping sessions of one GUID are a
   * retry race or a clone, and only the first to finish may onboard.
   */
  sessionStartedAt: number | null;
}

/**
 * Thrown by {@link To2OwnerState.completeOnboarding} when TO2.Done is refused for a reason the owner
 * has recorded itself (another session of the device onboarded first: a retry race or a clone). The
 * device gets error 101 with the message; the responder ends the session without `failOnboarding`,
 * so the device's state stays the one the owner recorded.
 */
export class OnboardingRefusedError extends InvalidMessageError {
  override name = 'OnboardingRefusedError';
}

export interface To2OwnerState {
  /**
   * The voucher and owner key for a GUID, or null when this owner has none (error 6). After
   * HelloDevice, `readAs` is the record's {@link To2VoucherRecord.readAs} from HelloDevice: the state
   * may return that record again without reading it, provided that deleting or transferring the voucher
   * ends the GUID's sessions (their next claim fails), so the session keeps the voucher it started with.
   */
  voucherFor(guid: Guid, readAs?: string): Promise<To2VoucherRecord | null>;
  /** Stores a new session and returns the token for the device's next message (an unguessable string). */
  createSession(session: To2OwnerSession): Promise<string>;
  /**
   * Claims the session a token names, for one message. Null when its message was answered already (a
   * replay, or the same message racing on another instance) or the session has ended or is unknown;
   * an {@link InvalidTokenError} saying why when the token itself is refused (forged, expired). Of two
   * requests with one token, at most one claim wins.
   */
  claimSession(token: string): Promise<ClaimedSession | null>;
  /**
   * After a claim: keeps `session` and returns the token for the device's next message; a session
   * that ended (`done`, `failed`) is removed and null returned.
   */
  saveSession(claimed: ClaimedSession, session: To2OwnerSession): Promise<string | null>;
  /**
   * TO2.Done verified: store the replacement voucher and the facts; only then is Done2 sent. Throws
   * {@link OnboardingRefusedError} to refuse it with a reason already recorded.
   */
  completeOnboarding(guid: Guid, outcome: To2Outcome): Promise<void>;
  /** TO2 failed for this GUID at `step` (the message type being processed), with a readable reason. */
  failOnboarding(guid: Guid, step: number, reason: string): Promise<void>;
}

export type { CtrState };
