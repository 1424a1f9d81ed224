/**
 * TO2, owner role (FDO 1.1 §5.5): dispatches messages 60–70 and the device's error message (255).
 *
 * Stateless between messages: each message claims the session its token names (a token whose message
 * was answered already, a replay, or of an ended session is error 1), checks that it is the message the
 * session expects next (anything else is error 101), and saves the session, which gives the token for
 * the next message. Any instance may answer any message, and no message is answered twice. A refused
 * message after HelloDevice ends the session and `failOnboarding` records the step and the reason.
 */
import type { CryptoProvider } from '../../crypto/provider.js';
import { FdoError, InvalidMessageError, InvalidTokenError, MessageBodyError } from '../../errors.js';
import { decodeErrorMessage } from '../../messages/error.js';
import { messageName, MsgType } from '../../messages/message-types.js';
import type { OwnerServiceInfoModule } from '../../serviceinfo/module.js';
import { formatGuid } from '../../types/guid.js';
import { DEFAULT_SERVICE_INFO_SIZE } from '../../types/service-info.js';
import { bytes, type To2Answer, type To2Context } from './context.js';
import { answerTO2Done } from './done.js';
import { answerTO2HelloDevice } from './hello-device.js';
import { answerTO2GetOVNextEntry } from './ov-next-entry.js';
import { answerTO2ProveDevice } from './prove-device.js';
import { answerTO2DeviceServiceInfoReady } from './service-info-ready.js';
import { answerTO2DeviceServiceInfo } from './service-info.js';
import { OnboardingRefusedError } from './state.js';
import type { ClaimedSession, Clock, Responder, ResponderResponse, To2OwnerSession, To2OwnerState } from './state.js';

/** The messages a TO2 owner server answers (255: a device reporting why it stopped). */
export const TO2_REQUEST_TYPES: readonly number[] = [
  MsgType.TO2HelloDevice,
  MsgType.TO2GetOVNextEntry,
  MsgType.TO2ProveDevice,
  MsgType.TO2DeviceServiceInfoReady,
  MsgType.TO2DeviceServiceInfo,
  MsgType.TO2Done,
  MsgType.Error,
];

export interface To2ResponderOptions {
  crypto: CryptoProvider;
  state: To2OwnerState;
  /** ServiceInfo modules offered to devices (each decides per device with `appliesTo`). */
  serviceInfoModules?: readonly OwnerServiceInfoModule[];
  /** maxOwnerMessageSize (ProveOVHdr): larger device messages are refused. Default 65535. */
  maxOwnerMessageSize?: number;
  /** maxDeviceServiceInfoSz (OwnerServiceInfoReady). Default 1300 (§3.9). */
  maxDeviceServiceInfoSize?: number;
  /** ServiceInfo rounds before a session is refused. Default 10000. */
  maxServiceInfoRounds?: number;
  /** Idle time after which a session's token is refused. Default 300 s. */
  sessionTtlSeconds?: number;
  now?: Clock;
}

const restart = 'start again with TO2.HelloDevice';

export function to2Responder(options: To2ResponderOptions): Responder {
  const ctx: To2Context = {
    crypto: options.crypto,
    state: options.state,
    modules: options.serviceInfoModules ?? [],
    maxOwnerMessageSize: options.maxOwnerMessageSize ?? 0xffff,
    maxDeviceServiceInfoSize: options.maxDeviceServiceInfoSize ?? DEFAULT_SERVICE_INFO_SIZE,
    maxServiceInfoRounds: options.maxServiceInfoRounds ?? 10_000,
    sessionTtlSeconds: options.sessionTtlSeconds ?? 300,
    now: options.now ?? Date.now,
  };
  return async ({ msgType, body, token }) => {
    if (body.length > ctx.maxOwnerMessageSize) return tooLarge(ctx, token, msgType, body.length);
    if (msgType === MsgType.TO2HelloDevice) {
      const { session, reply } = await answerTO2HelloDevice(ctx, body);
      return { ...reply, token: await ctx.state.createSession(session), guid: guidOf(session) };
    }
    if (!TO2_REQUEST_TYPES.includes(msgType)) {
      throw new InvalidMessageError(`message ${msgType} is not a TO2 request`, { prevMsgType: msgType });
    }
    const claimed = await claim(ctx, token, msgType);
    if (msgType === MsgType.Error) return deviceError(ctx, claimed, body);
    return advance(ctx, claimed, msgType, body);
  };
}

/**
 * A message larger than the maxOwnerMessageSize we announced in ProveOVHdr (§5.5.3) is refused unread;
 * when it belongs to a live session, that session fails with the reason.
 */
async function tooLarge(ctx: To2Context, token: string | undefined, msgType: number, size: number): Promise<never> {
  const err = new MessageBodyError(
    `message of ${size} bytes is larger than the maxOwnerMessageSize of ${ctx.maxOwnerMessageSize}`,
    { prevMsgType: msgType },
  );
  const claimed = token === undefined ? null : await claimOf(ctx, token, msgType).catch(() => null);
  if (claimed !== null) await fail(ctx, claimed, msgType, err);
  throw err;
}

/** The state's claim, its refusals naming the message they refused. */
async function claimOf(ctx: To2Context, token: string, msgType: number): Promise<ClaimedSession | null> {
  try {
    return await ctx.state.claimSession(token);
  } catch (err) {
    if (err instanceof FdoError && err.prevMsgType === undefined) err.prevMsgType = msgType;
    throw err;
  }
}

async function claim(ctx: To2Context, token: string | undefined, msgType: number): Promise<ClaimedSession> {
  if (token === undefined) {
    throw new InvalidTokenError(`no session token (Authorization: Bearer …); ${restart}`, { prevMsgType: msgType });
  }
  const claimed = await claimOf(ctx, token, msgType);
  if (claimed === null) {
    throw new InvalidTokenError(
      `unknown TO2 session token, or its message was answered already, or the session ended; ${restart}`,
      { prevMsgType: msgType },
    );
  }
  // An ended session cannot be claimed (saveSession removes it), so `step` is a message type here.
  const s = claimed.session;
  if (s.expiresAt <= ctx.now()) {
    await ctx.state.saveSession(claimed, { ...s, step: 'failed' });
    throw new InvalidTokenError(`this TO2 session has expired; ${restart}`, { prevMsgType: msgType });
  }
  return claimed;
}

async function advance(
  ctx: To2Context,
  claimed: ClaimedSession,
  msgType: number,
  body: Uint8Array,
): Promise<ResponderResponse> {
  // The claimed session is this request's own (decoded from its token or row): the handlers advance it.
  const s: To2OwnerSession = claimed.session;
  let answer: To2Answer;
  try {
    if (msgType !== s.step) {
      throw new InvalidMessageError(
        `${messageName(msgType)} is out of order: this TO2 session expects ${messageName(s.step as number)}`,
        { prevMsgType: msgType },
      );
    }
    answer = await dispatch(ctx, s, msgType, body);
  } catch (err) {
    await fail(ctx, claimed, msgType, err);
    throw err;
  }
  s.expiresAt = ctx.now() + ctx.sessionTtlSeconds * 1000;
  const next = await ctx.state.saveSession(claimed, s);
  // After TO2.Done2 the session has ended: the transport sends no token.
  return { ...answer, ...(next === null ? {} : { token: next }), guid: guidOf(s) };
}

async function dispatch(ctx: To2Context, s: To2OwnerSession, msgType: number, body: Uint8Array): Promise<To2Answer> {
  switch (msgType) {
    case MsgType.TO2GetOVNextEntry:
      return answerTO2GetOVNextEntry(ctx, s, body);
    case MsgType.TO2ProveDevice:
      return answerTO2ProveDevice(ctx, s, body);
    case MsgType.TO2DeviceServiceInfoReady:
      return answerTO2DeviceServiceInfoReady(ctx, s, body);
    case MsgType.TO2DeviceServiceInfo:
      return answerTO2DeviceServiceInfo(ctx, s, body);
    default:
      return answerTO2Done(ctx, s, body);
  }
}

/** Ends the claimed session as failed and records why (unless the state refused it with its own record). */
async function fail(ctx: To2Context, claimed: ClaimedSession, msgType: number, err: unknown) {
  const reason = err instanceof FdoError ? `error ${err.fdoCode}: ${err.message}` : 'internal error';
  await ctx.state.saveSession(claimed, { ...claimed.session, step: 'failed' });
  if (err instanceof OnboardingRefusedError) return;
  await ctx.state.failOnboarding(bytes(claimed.session.guid), msgType, reason);
}

/** The device stopped TO2 and says why (§3.7): record it and end the session. */
async function deviceError(ctx: To2Context, claimed: ClaimedSession, body: Uint8Array) {
  const em = decodeErrorMessage(body);
  await ctx.state.saveSession(claimed, { ...claimed.session, step: 'failed' });
  await ctx.state.failOnboarding(
    bytes(claimed.session.guid),
    em.prevMsgType,
    `the device refused ${messageName(em.prevMsgType)} with error ${em.code}: ${em.message}`,
  );
  // Nothing follows an error message; echo it so the transport has a body to return.
  return { msgType: MsgType.Error, body, guid: guidOf(claimed.session) };
}

/** The session's GUID, canonical, for the transport's session log and metrics. */
function guidOf(session: To2OwnerSession): string {
  return formatGuid(bytes(session.guid));
}
