/**
 * TO0, rendezvous role (FDO 1.1 §5.3): dispatches TO0.Hello (20) and TO0.OwnerSign (22).
 * Stateless between messages: the session lives in the sealed bearer token, so consecutive messages
 * may reach different instances; only OwnerSign touches the store.
 */
import type { CryptoProvider } from '../../crypto/provider.js';
import { InvalidMessageError } from '../../errors.js';
import { MsgType } from '../../messages/message-types.js';
import { answerTO0Hello } from './hello.js';
import { answerTO0OwnerSign } from './owner-sign.js';
import type { Clock, RegistrationStore, Responder, SessionSealer, To0TrustPolicy } from './state.js';

/** The TO0 messages a rendezvous server answers. */
export const TO0_REQUEST_TYPES: readonly number[] = [MsgType.TO0Hello, MsgType.TO0OwnerSign];

export interface To0ResponderOptions {
  crypto: CryptoProvider;
  sealer: SessionSealer;
  registrations: RegistrationStore;
  /** Absent: every owner whose voucher verifies is accepted. */
  trust?: To0TrustPolicy;
  /** The longest registration granted (TO0.AcceptOwner WaitSeconds = min(asked, this)). */
  maxWaitSeconds: number;
  /** Lifetime of the token between HelloAck and OwnerSign. Default 120 s. */
  tokenTtlSeconds?: number;
  now?: Clock;
}

export function to0Responder(options: To0ResponderOptions): Responder {
  const now = options.now ?? Date.now;
  const tokenTtlSeconds = options.tokenTtlSeconds ?? 120;
  const hello = { crypto: options.crypto, sealer: options.sealer, tokenTtlSeconds, now };
  const ownerSign = {
    crypto: options.crypto,
    sealer: options.sealer,
    registrations: options.registrations,
    trust: options.trust,
    maxWaitSeconds: options.maxWaitSeconds,
    now,
  };
  return async ({ msgType, body, token }) => {
    switch (msgType) {
      case MsgType.TO0Hello:
        return answerTO0Hello(hello, body);
      case MsgType.TO0OwnerSign:
        return answerTO0OwnerSign(ownerSign, body, token);
      default:
        throw new InvalidMessageError(`message ${msgType} is not a TO0 request`, { prevMsgType: msgType });
    }
  };
}
