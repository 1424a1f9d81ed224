/**
 * What the TO0 and TO1 roles of the rendezvous server need from the outside (FDO 1.1 §5.3, §5.4):
 * a registration store, a sealer for session tokens, a trust policy and a clock. The service
 * implements them over its database; tests implement them in memory.
 *
 * A rendezvous server keeps the minimum: per GUID, only what TO1 needs. Never the voucher.
 */
import type { PublicKeyDer } from '../../crypto/provider.js';
import type { Guid, Nonce } from '../../types/guid.js';
import type { PublicKey } from '../../types/public-key.js';
import type { OwnershipVoucher } from '../../voucher/voucher.js';

/** One FDO message as a responder sees it: the transport (server-kit's `fdoRoutes`) supplies it. */
export interface ResponderRequest {
  msgType: number;
  body: Uint8Array;
  /** The `Authorization: Bearer` token, absent on the first message of a protocol (§4.3). */
  token: string | undefined;
}

export interface ResponderResponse {
  msgType: number;
  body: Uint8Array;
  /** Token for the client's next message; undefined when the protocol is over. */
  token?: string | undefined;
  /** The device GUID the message concerned, once known: for the transport's session log and metrics. */
  guid?: string;
}

/** A protocol's server role: one request message in, one response message out, or an FdoError thrown. */
export type Responder = (request: ResponderRequest) => Promise<ResponderResponse>;

/**
 * Seals session state into an opaque bearer token that any instance sharing the key can open, so
 * consecutive messages of one session may reach different instances (server-kit `SealedTokens`).
 */
export interface SessionSealer {
  seal(state: Uint8Array, ttlSeconds: number): string;
  /** The sealed state; throws an Error saying why when the token is malformed, forged, expired or under an unknown key. */
  open(token: string): Uint8Array;
}

/** Milliseconds since the epoch; injectable so tests can move time. */
export type Clock = () => number;

/** What the rendezvous server stores per GUID after TO0.OwnerSign (issue 4: "only what TO1 needs"). */
export interface RvRegistration {
  guid: Guid;
  /** to1d exactly as received in TO0.OwnerSign; TO1.RVRedirect returns these bytes. */
  to1d: Uint8Array;
  /** The device attestation key, the leaf of OVDevCertChain (DER SPKI): checks TO1.ProveToRV. */
  deviceKey: PublicKeyDer;
  /** SHA-256 of the owner key's SPKI (lower-case hex): who registered, for the admin lookup. */
  ownerKeyFingerprint: string;
  /** SHA-256 of the OVHeader bytes and of the last OVEntry: which voucher (and extension) was presented. */
  voucherHeaderHash: Uint8Array;
  voucherEntryHash: Uint8Array;
  /**
   * SHA-256 of every OVEntry, first to last (the last is `voucherEntryHash`). Not stored: the store checks
   * with them that a later registration extends the one it replaces.
   */
  entryHashes: readonly Uint8Array[];
  /** WaitSeconds granted in TO0.AcceptOwner. */
  waitSeconds: number;
  registeredAt: Date;
  expiresAt: Date;
}

/** What {@link RegistrationStore.register} did. */
export type RegisterOutcome =
  | { stored: true }
  /** The NonceTO0Sign was already spent (a replayed TO0.OwnerSign): nothing stored. */
  | { stored: false; reason: 'nonce-used' }
  /**
   * An unexpired registration of the GUID came from a voucher this one does not extend (another header,
   * or a chain without the registered last entry): a voucher extended twice, or an old owner coming back
   * after a resale. Nothing stored; the earlier registration stands until `until`.
   */
  | { stored: false; reason: 'held-by-another-voucher'; until: Date; ownerKeyFingerprint: string };

/** A NonceTO0Sign being spent, kept until its session token would have expired anyway. */
export interface ConsumedNonce {
  nonce: Nonce;
  expiresAt: Date;
}

export interface RegistrationStore {
  /**
   * Records `nonce` as used and stores `registration`. An earlier registration of the GUID is replaced
   * when it has expired, or when the new voucher has the same OVHeader and its entries include the
   * registered last entry (a renewal, or a resale that extends the registered chain); otherwise it stands
   * (`held-by-another-voucher`). The decision and the write are one atomic statement, so two owners racing
   * cannot both win.
   */
  register(registration: RvRegistration, nonce: ConsumedNonce): Promise<RegisterOutcome>;
}

/** What the trust policy is asked about in TO0.OwnerSign, once the voucher has verified. */
export interface To0Candidate {
  guid: Guid;
  voucher: OwnershipVoucher;
  /** The current owner key (last entry): the key that signed to1d. */
  ownerKey: PublicKey;
  /** The manufacturer key (OVPubKey). */
  manufacturerKey: PublicKey;
  /** OVDevCertChain, DER, leaf first. */
  deviceCertChain: readonly Uint8Array[];
}

export interface To0TrustPolicy {
  /** Null to accept, or a sentence saying why the owner, manufacturer, device chain or GUID is refused. */
  evaluate(candidate: To0Candidate): Promise<string | null>;
}
