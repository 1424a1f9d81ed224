/**
 * DI.SetHMAC (12) → DI.Done (13), FDO 1.1 §5.2.3–§5.2.4.
 *
 * Device: MACs the OVHeader bytes with its secret (which never leaves it) and sends the HMAC.
 * Manufacturer: completes the voucher with that HMAC and stores it, ending the session; only now
 * does a voucher exist, so a device that stops after DI.AppStart leaves none behind.
 */
import type { CryptoProvider, HashAlg } from '../../crypto/provider.js';
import { FdoError, InvalidTokenError } from '../../errors.js';
import { decodeDIDone, decodeDISetHMAC, encodeDIDone, encodeDISetHMAC } from '../../messages/di.js';
import { MsgType } from '../../messages/message-types.js';
import { formatGuid } from '../../types/guid.js';
import { HMac } from '../../types/hash.js';
import type { OVHeader } from '../../types/ov-header.js';
import { OwnershipVoucher } from '../../voucher/voucher.js';
import type { FdoTransport } from '../transport.js';
import { expectReply } from './app-start.js';
import type { DiManufacturerState, DiSession } from './state.js';

/** Manufacturer half: the answer to DI.SetHMAC (DI.Done), after the voucher is stored. */
export async function handleSetHmac<S extends DiSession>(
  state: DiManufacturerState<S>,
  body: Uint8Array,
  token: string | undefined,
): Promise<{ body: Uint8Array; guid: string }> {
  if (token === undefined) {
    throw new InvalidTokenError('DI.SetHMAC: no session token; start with DI.AppStart', {
      prevMsgType: MsgType.DISetHMAC,
    });
  }
  const session = await state.session(token);
  if (session === null) {
    throw new InvalidTokenError('DI.SetHMAC: the session token is unknown or expired; start again with DI.AppStart', {
      prevMsgType: MsgType.DISetHMAC,
    });
  }
  try {
    const { hmac } = decodeDISetHMAC(body);
    const voucher = OwnershipVoucher.create({ header: session.header, hmac, certChain: session.certChain });
    await state.completeSession(token, session, voucher);
  } catch (err) {
    // §5.1: a refused message ends the session (the token is invalid after any error).
    await state.abortSession(token).catch(() => undefined);
    if (err instanceof FdoError) err.prevMsgType ??= MsgType.DISetHMAC;
    throw err;
  }
  return { body: encodeDIDone({}), guid: formatGuid(session.header.guid) };
}

/** Device half: sends the header HMAC and waits for DI.Done. Returns the HMAC sent. */
export async function sendSetHmac(
  transport: FdoTransport,
  crypto: CryptoProvider,
  header: OVHeader,
  alg: HashAlg,
  secret: Uint8Array,
): Promise<HMac> {
  const hmac = HMac.compute(crypto, alg, secret, header.bytes);
  const reply = await transport.send(MsgType.DISetHMAC, encodeDISetHMAC({ hmac }));
  expectReply(reply.msgType, MsgType.DIDone);
  decodeDIDone(reply.body);
  return hmac;
}
