/**
 * TO2.DeviceServiceInfo (68) → TO2.OwnerServiceInfo (69), FDO 1.1 §5.5.11–§5.5.12, repeated until
 * the owner says IsDone. The ServiceInfo driver (serviceinfo/owner-driver.ts) does the work; here the
 * negotiated sizes are enforced: the device's ServiceInfo must fit maxDeviceServiceInfoSz, and ours is
 * packed to fit both its maxOwnerServiceInfoSz and its maxDeviceMessageSize.
 */
import { InvalidMessageError } from '../../errors.js';
import { MsgType } from '../../messages/message-types.js';
import { decodeTO2DeviceServiceInfo, encodeTO2OwnerServiceInfo } from '../../messages/to2-setup.js';
import { ownerServiceInfoStep } from '../../serviceinfo/owner-driver.js';
import { DEFAULT_SERVICE_INFO_SIZE, serviceInfoSize } from '../../types/service-info.js';
import { formatGuid } from '../../types/guid.js';
import { bytes, decryptBody, encryptReply, type To2Answer, type To2Context } from './context.js';
import type { To2OwnerSession } from './state.js';

const prev = { prevMsgType: MsgType.TO2DeviceServiceInfo };

/**
 * What encryption and the OwnerServiceInfo array add around a ServiceInfo, at most: COSE_Mac0 with
 * an HMAC-SHA384 tag around COSE_Encrypt0 with a 16-byte IV and a padding block, plus CBOR heads.
 */
export const TUNNEL_OVERHEAD = 160;

export async function answerTO2DeviceServiceInfo(
  ctx: To2Context,
  s: To2OwnerSession,
  body: Uint8Array,
): Promise<To2Answer> {
  const received = decodeTO2DeviceServiceInfo(decryptBody(ctx, s, body, MsgType.TO2DeviceServiceInfo));
  const size = serviceInfoSize(received.serviceInfo);
  if (size > s.maxDeviceServiceInfoSz) {
    throw new InvalidMessageError(
      `the device's ServiceInfo takes ${size} bytes, more than the maxDeviceServiceInfoSz of ${s.maxDeviceServiceInfoSz} this owner sent`,
      prev,
    );
  }
  const budget = Math.min(
    s.maxOwnerServiceInfoSz ?? DEFAULT_SERVICE_INFO_SIZE,
    s.maxDeviceMessageSize - TUNNEL_OVERHEAD,
  );
  const { state, reply } = await ownerServiceInfoStep(s.serviceInfo, received, {
    modules: ctx.modules,
    guid: formatGuid(bytes(s.guid)),
    nextGuid: formatGuid(bytes(s.replacement?.guid ?? s.guid)),
    tags: s.tags,
    budget,
    maxRounds: ctx.maxServiceInfoRounds,
  });
  s.serviceInfo = state;
  if (reply.isDone) s.step = MsgType.TO2Done;
  return encryptReply(ctx, s, MsgType.TO2OwnerServiceInfo, encodeTO2OwnerServiceInfo(reply));
}
