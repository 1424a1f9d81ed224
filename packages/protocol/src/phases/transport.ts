import type { ErrorMessage } from '../types/error-message.js';

/**
 * What a protocol client needs from the network: send one FDO message and get the peer's reply.
 * The HTTP implementation (undici, bearer token, §4.3 headers) lives in @fdo/client-kit; tests and the
 * load generator may supply others. A peer's message 255 is thrown as {@link FdoPeerError}.
 */
export interface FdoTransport {
  /** Sends message `msgType` with its CBOR body and resolves with the reply's type and body. */
  send(msgType: number, body: Uint8Array): Promise<FdoReply>;
}

export interface FdoReply {
  msgType: number;
  body: Uint8Array;
}

/**
 * The peer answered with message 255 (§3.7). `error` is the decoded ErrorMessage: its `code` (EMErrorCode),
 * the message it refused (`prevMsgType`) and the peer's text, which is what a person needs to see.
 */
export class FdoPeerError extends Error {
  override name = 'FdoPeerError';
  readonly error: ErrorMessage;
  constructor(error: ErrorMessage, context?: string) {
    super(
      `${context === undefined ? '' : `${context}: `}peer refused message ${error.prevMsgType} with error ${error.code}: ${error.message}`,
    );
    this.error = error;
  }
}
