// TO2 (FDO 1.1 §5.5): the device's client and the owner server's responder.
export { runTO2, type RunTO2Input, type TO2Progress, type TO2Result } from './client.js';
export { decryptBody, encryptReply, tunnelOf, type To2Answer, type To2Context } from './context.js';
export { answerTO2Done } from './done.js';
export { answerTO2HelloDevice, deviceKeyOf, effectiveMessageSize, voucherHashAlg } from './hello-device.js';
export { answerTO2GetOVNextEntry } from './ov-next-entry.js';
export { answerTO2ProveDevice } from './prove-device.js';
export { answerTO2DeviceServiceInfoReady } from './service-info-ready.js';
export { answerTO2DeviceServiceInfo, TUNNEL_OVERHEAD } from './service-info.js';
export { TO2_REQUEST_TYPES, to2Responder, type To2ResponderOptions } from './responder.js';
export { OnboardingRefusedError } from './state.js';
export type {
  ClaimedSession,
  StoredReplacement,
  To2OwnerSession,
  To2OwnerState,
  To2Outcome,
  To2Step,
  To2VoucherRecord,
} from './state.js';
export {
  MAX_TOKEN_STATE,
  openTo2Token,
  SealedTo2Sessions,
  type FenceClaim,
  type SealedTo2SessionsOptions,
  type To2SessionFence,
  type To2TokenContents,
} from './sessions.js';
