/**
 * TO0 session state between TO0.HelloAck and TO0.OwnerSign (FDO 1.1 §5.3.2): the NonceTO0Sign the
 * rendezvous server issued, sealed into the bearer token so that any instance can check it.
 *
 * ```cddl
 * To0Session = [ "TO0", NonceTO0Sign, expiresAt: uint ]   ; ms since the epoch
 * ```
 */
import { decode, encode } from '../../cbor/codec.js';
import * as read from '../../cbor/read.js';
import { InvalidTokenError } from '../../errors.js';
import { readNonce, type Nonce } from '../../types/guid.js';
import type { SessionSealer } from './state.js';

const TAG = 'TO0';

export interface To0Session {
  nonceTO0Sign: Nonce;
  /** When the token stops being accepted (ms since the epoch). */
  expiresAt: number;
}

export function sealTo0Session(sealer: SessionSealer, session: To0Session, ttlSeconds: number): string {
  return sealer.seal(encode([TAG, session.nonceTO0Sign, session.expiresAt]), ttlSeconds);
}

/** Opens the token of a TO0 session; any failure is error 1 (invalid token), with the reason. */
export function openTo0Session(sealer: SessionSealer, token: string | undefined, msgType: number): To0Session {
  const restart = 'start again with TO0.Hello';
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
  const items = Array.isArray(state) ? state : [];
  if (items.length !== 3 || items[0] !== TAG) {
    throw new InvalidTokenError(`the session token is not for a TO0 session; ${restart}`, { prevMsgType: msgType });
  }
  return {
    nonceTO0Sign: readNonce(items[1], 'To0Session.NonceTO0Sign'),
    expiresAt: read.uint(items[2], 'To0Session.expiresAt'),
  };
}
