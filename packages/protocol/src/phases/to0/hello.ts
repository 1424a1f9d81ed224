/**
 * TO0.Hello (20) → TO0.HelloAck (21), FDO 1.1 §5.3.1–§5.3.2.
 * The owner opens a TO0 session; the rendezvous server answers with a fresh NonceTO0Sign, which
 * the owner must put into to0d, proving its OwnerSign belongs to this session.
 */
import type { CryptoProvider } from '../../crypto/provider.js';
import { MsgType } from '../../messages/message-types.js';
import { decodeTO0Hello, encodeTO0Hello, encodeTO0HelloAck } from '../../messages/to0.js';
import { newNonce, type Nonce } from '../../types/guid.js';
import type { FdoTransport } from '../transport.js';
import { exchange } from './reply.js';
import { sealTo0Session } from './session.js';
import type { Clock, ResponderResponse, SessionSealer } from './state.js';

// Owner role

/** Sends TO0.Hello and returns the server's NonceTO0Sign. */
export async function sendTO0Hello(transport: FdoTransport): Promise<Nonce> {
  const ack = await exchange(transport, MsgType.TO0Hello, encodeTO0Hello(), MsgType.TO0HelloAck);
  return ack.nonceTO0Sign;
}

// Rendezvous role

export interface To0HelloContext {
  crypto: CryptoProvider;
  sealer: SessionSealer;
  tokenTtlSeconds: number;
  now: Clock;
}

/** Answers TO0.Hello with TO0.HelloAck and a token sealing the nonce just issued. */
export function answerTO0Hello(ctx: To0HelloContext, body: Uint8Array): ResponderResponse {
  decodeTO0Hello(body);
  const nonceTO0Sign = newNonce(ctx.crypto);
  const expiresAt = ctx.now() + ctx.tokenTtlSeconds * 1000;
  return {
    msgType: MsgType.TO0HelloAck,
    body: encodeTO0HelloAck({ nonceTO0Sign }),
    token: sealTo0Session(ctx.sealer, { nonceTO0Sign, expiresAt }, ctx.tokenTtlSeconds),
  };
}
