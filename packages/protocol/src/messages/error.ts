/**
 * Error message 255 (FDO 1.1 §3.7, §5.1): the body codec. The type and the FdoError → message
 * mapping live in types/error-message.ts.
 *
 * ```cddl
 * ErrorMessage = [ EMErrorCode: uint16, EMPrevMsgID: uint8, EMErrorStr: tstr,
 *                  EMErrorTs: timestamp, EMErrorCID: correlationId ]
 * ```
 */
import { decode, encode, Tag } from '../cbor/codec.js';
import * as read from '../cbor/read.js';
import { FDO_TAGS, rawArrayItems, type ScanLimits } from '../cbor/scan.js';
import { errorMessageFromCbor, errorMessageToCbor, type ErrorMessage } from '../types/error-message.js';
import { decodeBody } from './body.js';
import { MsgType } from './message-types.js';

/** Tag 0 (UTCStr) appears only here, so the error body alone accepts it. */
const ERROR_LIMITS: ScanLimits = { maxDepth: 8, allowedTags: new Set([...FDO_TAGS, 0]) };

export function encodeErrorMessage(m: ErrorMessage): Uint8Array {
  return encode(errorMessageToCbor(m));
}

export function decodeErrorMessage(bytes: Uint8Array): ErrorMessage {
  return decodeBody(
    MsgType.Error,
    'ErrorMessage',
    bytes,
    (v, path) => {
      const items = read.array(v, path, 5).slice();
      // cbor-x turns tags 0 and 1 into Date; read them from the received bytes to keep their form.
      const ts = rawArrayItems(bytes, 0, ERROR_LIMITS)[3]!;
      if (ts[0] === 0xc0 || ts[0] === 0xc1) items[3] = new Tag(decode(ts.subarray(1), ERROR_LIMITS), ts[0] & 0x1f);
      return errorMessageFromCbor(items, path);
    },
    ERROR_LIMITS,
  );
}
