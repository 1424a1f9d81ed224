// TO1 (FDO 1.1 §5.4): the device's client and the rendezvous server's responder.
export { runTO1, type RunTO1Input, type TO1Result } from './client.js';
export {
  answerTO1HelloRV,
  deviceSignatureAlg,
  sendTO1HelloRV,
  sigInfoFor,
  type To1HelloRVContext,
} from './hello-rv.js';
export { answerTO1ProveToRV, sendTO1ProveToRV, type To1ProveInput, type To1ProveToRVContext } from './prove-to-rv.js';
export { TO1_REQUEST_TYPES, to1Responder, type To1ResponderOptions } from './responder.js';
export { openTo1Session, sealTo1Session, type To1Session } from './session.js';
export type { RegistrationLookup, RvRedirectRecord, To1ReplayGuard } from './state.js';
