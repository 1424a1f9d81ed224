/**
 * TO1, rendezvous role (FDO 1.1 §5.4): dispatches TO1.HelloRV (30) and TO1.ProveToRV (32).
 * Stateless between messages: HelloRV's single lookup is sealed into the bearer token, so
 * ProveToRV may reach any instance and, for a to1d of ordinary size, reads nothing.
 */
import type { CryptoProvider } from '../../crypto/provider.js';
import { InvalidMessageError } from '../../errors.js';
import { MsgType } from '../../messages/message-types.js';
import { answerTO1HelloRV } from './hello-rv.js';
import { answerTO1ProveToRV } from './prove-to-rv.js';
import type { Clock, RegistrationLookup, Responder, SessionSealer, To1ReplayGuard } from './state.js';

/** The TO1 messages a rendezvous server answers. */
export const TO1_REQUEST_TYPES: readonly number[] = [MsgType.TO1HelloRV, MsgType.TO1ProveToRV];

export interface To1ResponderOptions {
  crypto: CryptoProvider;
  sealer: SessionSealer;
  registrations: RegistrationLookup;
  /** Refuses a second answer to one NonceTO1Proof; absent, the token's lifetime bounds replays. */
  replayGuard?: To1ReplayGuard;
  /** Lifetime of the token between HelloRVAck and ProveToRV. Default 120 s. */
  tokenTtlSeconds?: number;
  /** The largest to1d sealed into the token (default 1024 bytes); larger ones are read again at ProveToRV. */
  maxSealedTo1dBytes?: number;
  now?: Clock;
}

export function to1Responder(options: To1ResponderOptions): Responder {
  const now = options.now ?? Date.now;
  const helloRV = {
    crypto: options.crypto,
    sealer: options.sealer,
    registrations: options.registrations,
    tokenTtlSeconds: options.tokenTtlSeconds ?? 120,
    maxSealedTo1dBytes: options.maxSealedTo1dBytes ?? 1024,
    now,
  };
  const prove = {
    crypto: options.crypto,
    sealer: options.sealer,
    registrations: options.registrations,
    replayGuard: options.replayGuard,
    now,
  };
  return async ({ msgType, body, token }) => {
    switch (msgType) {
      case MsgType.TO1HelloRV:
        return answerTO1HelloRV(helloRV, body);
      case MsgType.TO1ProveToRV:
        return answerTO1ProveToRV(prove, body, token);
      default:
        throw new InvalidMessageError(`message ${msgType} is not a TO1 request`, { prevMsgType: msgType });
    }
  };
}
