/**
 * TO2.DeviceServiceInfoReady (66) → TO2.OwnerServiceInfoReady (67), FDO 1.1 §5.5.9–§5.5.10.
 * The device sends the HMAC of the replacement OVHeader (null accepts credential reuse, which only
 * the owner can offer, by sending the current GUID, RV info and owner key in SetupDevice) and the
 * largest ServiceInfo it accepts; the owner answers with the largest ServiceInfo it accepts.
 */
import { encode } from '../../cbor/codec.js';
import { InvalidMessageError } from '../../errors.js';
import { MsgType } from '../../messages/message-types.js';
import { decodeTO2DeviceServiceInfoReady, encodeTO2OwnerServiceInfoReady } from '../../messages/to2-setup.js';
import { DEFAULT_SERVICE_INFO_SIZE } from '../../types/service-info.js';
import { decryptBody, encryptReply, hex, type To2Answer, type To2Context } from './context.js';
import type { To2OwnerSession } from './state.js';

const prev = { prevMsgType: MsgType.TO2DeviceServiceInfoReady };

export function answerTO2DeviceServiceInfoReady(ctx: To2Context, s: To2OwnerSession, body: Uint8Array): To2Answer {
  const ready = decodeTO2DeviceServiceInfoReady(decryptBody(ctx, s, body, MsgType.TO2DeviceServiceInfoReady));
  if (ready.replacementHmac === null && s.replacement?.reuse !== true) {
    throw new InvalidMessageError(
      'ReplacementHMac is null (credential reuse), but this owner sent a new credential in TO2.SetupDevice',
      prev,
    );
  }
  s.replacementHmac = ready.replacementHmac === null ? null : hex(encode(ready.replacementHmac.toCbor()));
  // §3.9: null is the default size.
  s.maxOwnerServiceInfoSz = ready.maxOwnerServiceInfoSz ?? DEFAULT_SERVICE_INFO_SIZE;
  s.step = MsgType.TO2DeviceServiceInfo;
  const reply = encodeTO2OwnerServiceInfoReady({ maxDeviceServiceInfoSz: s.maxDeviceServiceInfoSz });
  return encryptReply(ctx, s, MsgType.TO2OwnerServiceInfoReady, reply);
}
