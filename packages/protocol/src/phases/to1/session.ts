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
import { decode, encode } from '../../cbor/codec.js';
import * as read from '../../cbor/read.js';
import { InvalidTokenError } from '../../errors.js';
import type { PublicKeyDer } from '../../crypto/provider.js';
import { readGuid, readNonce, type Guid, type Nonce } from '../../types/guid.js';
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
  const state = [TAG, s.nonceTO1Proof, s.guid, s.deviceKey.spki, s.registrationExpiresAt, s.to1d, s.expiresAt];
  return sealer.seal(encode(state), ttlSeconds);
}

/** Opens the token of a TO1 session; any failure is error 1 (invalid token), with the reason. */
export function openTo1Session(sealer: SessionSealer, token: string | undefined, msgType: number): To1Session {
  const restart = 'start again with TO1.HelloRV';
  if (token === undefined) {
    throw new InvalidTokenError(`no session token (Authorization: Bearer …); ${restart}`, { prevMsgType: msgType });
  }
  let state: unknown;
  try {
    state = decode(sealer.open(token));
  } catch (err) {
    throw new InvalidTokenError(`session token refused: ${(err as Error).message}; ${restart}`, {
      prevMsgType: msgType,
    });
  }
  const f = Array.isArray(state) ? state : [];
  if (f.length !== 7 || f[0] !== TAG) {
    throw new InvalidTokenError(`the session token is not for a TO1 session; ${restart}`, { prevMsgType: msgType });
  }
  return {
    nonceTO1Proof: readNonce(f[1], 'To1Session.NonceTO1Proof'),
    guid: readGuid(f[2], 'To1Session.Guid'),
    deviceKey: { spki: read.bytes(f[3], 'To1Session.deviceKey') },
    registrationExpiresAt: read.uint(f[4], 'To1Session.registrationExpiresAt'),
    to1d: read.nullable(f[5], (v) => read.bytes(v, 'To1Session.to1d')),
    expiresAt: read.uint(f[6], 'To1Session.expiresAt'),
  };
}
