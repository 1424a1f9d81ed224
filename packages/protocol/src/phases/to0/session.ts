/**
 * TO0 session state between TO0.HelloAck and TO0.OwnerSign (FDO 1.1 §5.3.2): the NonceTO0Sign the
 * rendezvous server issued, sealed into the bearer token so that any instance can check it.
 *
 * ```cddl
 * To0Session = [ "TO0", NonceTO0Sign, expiresAt: uint ]   ; ms since the epoch
 * ```
 */
import * as read from '../../cbor/read.js';
import { readNonce, type Nonce } from '../../types/guid.js';
import { openSealedSession, sealSession } from '../sealed-session.js';
import type { SessionSealer } from './state.js';

const TAG = 'TO0';

export interface To0Session {
  nonceTO0Sign: Nonce;
  /** When the token stops being accepted (ms since the epoch). */
  expiresAt: number;
}

export function sealTo0Session(sealer: SessionSealer, session: To0Session, ttlSeconds: number): string {
  return sealSession(sealer, TAG, [session.nonceTO0Sign, session.expiresAt], ttlSeconds);
}

/** Opens the token of a TO0 session; any failure is error 1 (invalid token), with the reason. */
export function openTo0Session(sealer: SessionSealer, token: string | undefined, msgType: number): To0Session {
  const f = openSealedSession(sealer, token, msgType, { tag: TAG, count: 2, restart: 'start again with TO0.Hello' });
  return {
    nonceTO0Sign: readNonce(f[0], 'To0Session.NonceTO0Sign'),
    expiresAt: read.uint(f[1], 'To0Session.expiresAt'),
  };
}
