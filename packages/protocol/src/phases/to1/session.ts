/**
 * TO1 session state between TO1.HelloRVAck and TO1.ProveToRV (FDO 1.1 §5.4.2), sealed into the
 * bearer token: the NonceTO1Proof issued, the GUID, and what HelloRV's lookup found (the device key,
 * the registration's expiry and, when small, the to1d itself), so ProveToRV needs no second lookup.
 *
 * ```cddl
 * To1Session = [ "TO1", NonceTO1Proof, Guid, deviceKey: bstr, registrationExpiresAt: uint,
 *                to1d: bstr / null, expiresAt: uint ]      ; times in ms since the epoch
 * ```
 */
import * as read from '../../cbor/read.js';
import type { PublicKeyDer } from '../../crypto/provider.js';
import { readGuid, readNonce, type Guid, type Nonce } from '../../types/guid.js';
import { openSealedSession, sealSession } from '../sealed-session.js';
import type { SessionSealer } from './state.js';

const TAG = 'TO1';

export interface To1Session {
  nonceTO1Proof: Nonce;
  guid: Guid;
  deviceKey: PublicKeyDer;
  /** When the registration found by HelloRV expires (ms since the epoch). */
  registrationExpiresAt: number;
  /** The registered to1d when it was small enough to seal, otherwise null (ProveToRV reads it again). */
  to1d: Uint8Array | null;
  /** When the token stops being accepted (ms since the epoch). */
  expiresAt: number;
}

export function sealTo1Session(sealer: SessionSealer, s: To1Session, ttlSeconds: number): string {
  const fields = [s.nonceTO1Proof, s.guid, s.deviceKey.spki, s.registrationExpiresAt, s.to1d, s.expiresAt];
  return sealSession(sealer, TAG, fields, ttlSeconds);
}

/** Opens the token of a TO1 session; any failure is error 1 (invalid token), with the reason. */
export function openTo1Session(sealer: SessionSealer, token: string | undefined, msgType: number): To1Session {
  const f = openSealedSession(sealer, token, msgType, { tag: TAG, count: 6, restart: 'start again with TO1.HelloRV' });
  return {
    nonceTO1Proof: readNonce(f[0], 'To1Session.NonceTO1Proof'),
    guid: readGuid(f[1], 'To1Session.Guid'),
    deviceKey: { spki: read.bytes(f[2], 'To1Session.deviceKey') },
    registrationExpiresAt: read.uint(f[3], 'To1Session.registrationExpiresAt'),
    to1d: read.nullable(f[4], (v) => read.bytes(v, 'To1Session.to1d')),
    expiresAt: read.uint(f[5], 'To1Session.expiresAt'),
  };
}
