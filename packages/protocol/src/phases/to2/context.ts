/**
 * Shared machinery of the TO2 owner handlers (FDO 1.1 §5.5): the responder's options as the
 * handlers see them, hex helpers, and the tunnel (§4.4) rebuilt from the stored session.
 */
import { fromHex, toHex } from '../../cbor/bytes.js';
import type { CryptoProvider } from '../../crypto/provider.js';
import { InternalServerError, InvalidMessageError, ResourceNotFoundError } from '../../errors.js';
import type { OwnerServiceInfoModule } from '../../serviceinfo/module.js';
import { createSessionCrypto, type SessionCrypto } from '../../session/session-crypto.js';
import { formatGuid } from '../../types/guid.js';
import type { Clock, To2OwnerSession, To2OwnerState, To2VoucherRecord } from './state.js';

export interface To2Context {
  crypto: CryptoProvider;
  state: To2OwnerState;
  modules: readonly OwnerServiceInfoModule[];
  /** maxOwnerMessageSize sent in ProveOVHdr: the largest message we accept. */
  maxOwnerMessageSize: number;
  /** maxDeviceServiceInfoSz sent in OwnerServiceInfoReady. */
  maxDeviceServiceInfoSize: number;
  maxServiceInfoRounds: number;
  sessionTtlSeconds: number;
  now: Clock;
}

/** A handler's answer: the message to send back. */
export interface To2Answer {
  msgType: number;
  body: Uint8Array;
}

export const hex = toHex;
export const bytes = fromHex;

/** The voucher record of a session's GUID (as read at HelloDevice, where the state allows); it must still be there. */
export async function recordOf(ctx: To2Context, s: To2OwnerSession, prevMsgType: number): Promise<To2VoucherRecord> {
  const guid = bytes(s.guid);
  const record = await ctx.state.voucherFor(guid, s.voucherReadAs);
  if (record === null) {
    throw new ResourceNotFoundError(`no ownership voucher for GUID ${formatGuid(guid)} any more`, { prevMsgType });
  }
  return record;
}

/** The session tunnel (§4.4) from the stored keys and CTR state; call {@link saveCtr} after encrypting. */
export function tunnelOf(ctx: To2Context, s: To2OwnerSession): SessionCrypto {
  if (s.keys === null) throw new InternalServerError('TO2 session has no session keys');
  const keys = { sek: bytes(s.keys.sek), ...(s.keys.svk === null ? {} : { svk: bytes(s.keys.svk) }) };
  const ctr = s.ctr === null ? undefined : { nonce: bytes(s.ctr.nonce), counter: s.ctr.counter };
  return createSessionCrypto(ctx.crypto, s.cipherSuite, keys, ctr === undefined ? {} : { ctr });
}

export function saveCtr(s: To2OwnerSession, tunnel: SessionCrypto): void {
  const ctr = tunnel.ctrState();
  s.ctr = ctr === undefined ? null : { nonce: hex(ctr.nonce), counter: ctr.counter };
}

/** Decrypts a message of the tunnel; a body that fails authentication is error 101. */
export function decryptBody(ctx: To2Context, s: To2OwnerSession, body: Uint8Array, msgType: number): Uint8Array {
  try {
    return tunnelOf(ctx, s).decrypt(body);
  } catch (err) {
    if (err instanceof InvalidMessageError || (err as { fdoCode?: number }).fdoCode !== undefined) {
      Object.assign(err as object, { prevMsgType: msgType });
      throw err;
    }
    throw new InvalidMessageError(`encrypted message does not decrypt: ${(err as Error).message}`, {
      prevMsgType: msgType,
    });
  }
}

/** Encrypts a reply in the tunnel and records the CTR state. */
export function encryptReply(ctx: To2Context, s: To2OwnerSession, msgType: number, plaintext: Uint8Array): To2Answer {
  const tunnel = tunnelOf(ctx, s);
  const body = tunnel.encrypt(plaintext);
  saveCtr(s, tunnel);
  return { msgType, body };
}
