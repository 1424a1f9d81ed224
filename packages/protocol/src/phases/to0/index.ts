// TO0 (FDO 1.1 §5.3): the owner's client and the rendezvous server's responder.
export { runTO0, type RunTO0Input, type TO0Result } from './client.js';
export { answerTO0Hello, sendTO0Hello, type To0HelloContext } from './hello.js';
export {
  answerTO0OwnerSign,
  keyFingerprint,
  sendTO0OwnerSign,
  type To0OwnerSignContext,
  type To0OwnerSignInput,
} from './owner-sign.js';
export { exchange } from './reply.js';
export { TO0_REQUEST_TYPES, to0Responder, type To0ResponderOptions } from './responder.js';
export { openTo0Session, sealTo0Session, type To0Session } from './session.js';
export type {
  Clock,
  ConsumedNonce,
  RegisterOutcome,
  RegistrationStore,
  Responder,
  ResponderRequest,
  ResponderResponse,
  RvRegistration,
  SessionSealer,
  To0Candidate,
  To0TrustPolicy,
} from './state.js';
