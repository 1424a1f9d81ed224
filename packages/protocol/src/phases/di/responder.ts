/**
 * The manufacturer's DI responder (FDO 1.1 §5.2): dispatches DI.AppStart (10) and DI.SetHMAC (12)
 * to their handlers. Its request and response shapes are those of server-kit's `fdoRoutes`, which
 * turns a thrown FdoError into message 255.
 */
import type { CryptoProvider } from '../../crypto/provider.js';
import { FdoError, InvalidMessageError } from '../../errors.js';
import { messageName, MsgType } from '../../messages/message-types.js';
import { handleAppStart } from './app-start.js';
import { handleSetHmac } from './set-hmac.js';
import type { DiManufacturerState, DiSession } from './state.js';

/** The message types a DI manufacturer answers. */
export const DI_REQUEST_TYPES: readonly number[] = [MsgType.DIAppStart, MsgType.DISetHMAC];

export interface DiRequest {
  msgType: number;
  body: Uint8Array;
  /** The bearer token of the request; absent on DI.AppStart. */
  token: string | undefined;
}

export interface DiResponse {
  msgType: number;
  body: Uint8Array;
  /** The token for the device's next message (set on DI.SetCredentials only). */
  token?: string;
  /** The device GUID (assigned in DI.SetCredentials), for the transport's session log and metrics. */
  guid?: string;
}

export interface DiResponderOptions<S extends DiSession = DiSession> {
  crypto: CryptoProvider;
  state: DiManufacturerState<S>;
}

export type DiResponder = (request: DiRequest) => Promise<DiResponse>;

export function diResponder<S extends DiSession>(options: DiResponderOptions<S>): DiResponder {
  const { crypto, state } = options;
  const dispatch: DiResponder = async (request) => {
    switch (request.msgType) {
      case MsgType.DIAppStart: {
        const { body, token, guid } = await handleAppStart(crypto, state, request.body);
        return { msgType: MsgType.DISetCredentials, body, token, guid };
      }
      case MsgType.DISetHMAC: {
        const { body, guid } = await handleSetHmac(state, request.body, request.token);
        return { msgType: MsgType.DIDone, body, guid };
      }
      default:
        throw new InvalidMessageError(`${messageName(request.msgType)} is not a DI request`, {
          prevMsgType: request.msgType & 0xff,
        });
    }
  };
  return (request) =>
    dispatch(request).catch((err: unknown) => {
      // EMPrevMsgID names the refused message, whichever layer refused it.
      if (err instanceof FdoError) err.prevMsgType ??= request.msgType & 0xff;
      throw err;
    });
}
