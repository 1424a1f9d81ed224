/**
 * TO2.Done (70) → TO2.Done2 (71), FDO 1.1 §5.5.13–§5.5.14.
 * The device echoes NonceTO2ProveDv; the owner records the onboarding (the replacement voucher,
 * built from the SetupDevice values and the device's ReplacementHMac) and then answers with
 * NonceTO2SetupDv. The device replaces its credential only once Done2 arrives.
 */
import { equal } from '../../cbor/bytes.js';
import { decode } from '../../cbor/codec.js';
import { InvalidMessageError } from '../../errors.js';
import { MsgType } from '../../messages/message-types.js';
import { decodeTO2Done, encodeTO2Done2 } from '../../messages/to2-setup.js';
import { ownerServiceInfoResults } from '../../serviceinfo/owner-driver.js';
import { HMac } from '../../types/hash.js';
import { OVHeader } from '../../types/ov-header.js';
import { PublicKey } from '../../types/public-key.js';
import { RendezvousInfo } from '../../types/rv-info.js';
import { OwnershipVoucher } from '../../voucher/voucher.js';
import { bytes, decryptBody, encryptReply, recordOf, type To2Answer, type To2Context } from './context.js';
import { owner2PrivateKey } from './prove-device.js';
import type { To2OwnerSession } from './state.js';

const prev = { prevMsgType: MsgType.TO2Done };

export async function answerTO2Done(ctx: To2Context, s: To2OwnerSession, body: Uint8Array): Promise<To2Answer> {
  const done = decodeTO2Done(decryptBody(ctx, s, body, MsgType.TO2Done));
  if (!equal(done.nonceTO2ProveDv, bytes(s.nonceTO2ProveDv))) {
    throw new InvalidMessageError('TO2.Done carries another nonce than the NonceTO2ProveDv of this session', prev);
  }
  const guid = bytes(s.guid);
  const record = await recordOf(ctx, s, MsgType.TO2Done);
  const r = s.replacement!;
  const hmac = s.replacementHmac === null ? null : HMac.fromCbor(decode(bytes(s.replacementHmac)));
  let replacementVoucher: OwnershipVoucher | null = null;
  if (hmac !== null) {
    const old = record.voucher;
    const header = OVHeader.create({
      guid: bytes(r.guid),
      rvInfo: RendezvousInfo.fromCbor(decode(bytes(r.rvInfo))),
      deviceInfo: old.header.deviceInfo,
      publicKey: PublicKey.fromCbor(decode(bytes(r.owner2Key))),
      certChainHash: old.header.certChainHash,
    });
    replacementVoucher = OwnershipVoucher.create({ header, hmac, certChain: old.certChain });
  }
  await ctx.state.completeOnboarding(guid, {
    replacementVoucher,
    replacementHmac: hmac,
    owner2Key: owner2PrivateKey(record, r),
    credentialReused: hmac === null,
    devmod: s.serviceInfo.devmod,
    serviceInfo: ownerServiceInfoResults(s.serviceInfo, ctx.modules),
    sessionStartedAt: s.startedAt ?? null,
  });
  s.step = 'done';
  return encryptReply(ctx, s, MsgType.TO2Done2, encodeTO2Done2({ nonceTO2SetupDv: bytes(s.nonceTO2SetupDv!) }));
}
