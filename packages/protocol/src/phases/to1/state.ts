/**
 * What the TO1 role of the rendezvous server needs from the outside (FDO 1.1 §5.4): a point
 * lookup of a GUID's registration and, optionally, a ledger of spent NonceTO1Proof values. The
 * session token sealer and clock are the same as TO0's.
 */
import type { PublicKeyDer } from '../../crypto/provider.js';
import type { Guid, Nonce } from '../../types/guid.js';

export type { Clock, Responder, ResponderRequest, ResponderResponse, SessionSealer } from '../to0/state.js';

/** The part of a registration TO1 reads: one point lookup by GUID per session. */
export interface RvRedirectRecord {
  /** to1d as the owner sent it in TO0.OwnerSign. */
  to1d: Uint8Array;
  /** The device attestation key (DER SPKI) that must sign TO1.ProveToRV. */
  deviceKey: PublicKeyDer;
  expiresAt: Date;
}

export interface RegistrationLookup {
  /** The GUID's registration, expired ones included until they are purged, or null. */
  lookup(guid: Guid): Promise<RvRedirectRecord | null>;
}

/**
 * Records NonceTO1Proof values that have been answered, so one ProveToRV cannot be answered twice
 * within its token's lifetime. Resolves false when the nonce was already used.
 */
export interface To1ReplayGuard {
  consume(nonce: Nonce, expiresAt: Date): Promise<boolean>;
}
