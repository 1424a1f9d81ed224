/**
 * One encode/decode pair per message number (FDO 1.1 §3.2), typed by the number, so a
 * responder can dispatch on the `Message-Type` it received.
 */
import { InvalidMessageError } from '../errors.js';
import type { ErrorMessage } from '../types/error-message.js';
import * as di from './di.js';
import { decodeErrorMessage, encodeErrorMessage } from './error.js';
import { messageName } from './message-types.js';
import * as to0 from './to0.js';
import * as to1 from './to1.js';
import * as prove from './to2-prove.js';
import * as setup from './to2-setup.js';

/** The decoded body type of each message number. */
export interface MessageBodies {
  10: di.DIAppStart;
  11: di.DISetCredentials;
  12: di.DISetHMAC;
  13: di.DIDone;
  20: to0.TO0Hello;
  21: to0.TO0HelloAck;
  22: to0.TO0OwnerSign;
  23: to0.TO0AcceptOwner;
  30: to1.TO1HelloRV;
  31: to1.TO1HelloRVAck;
  32: to1.TO1ProveToRV;
  33: to1.TO1RVRedirect;
  60: prove.TO2HelloDevice;
  61: prove.TO2ProveOVHdr;
  62: prove.TO2GetOVNextEntry;
  63: prove.TO2OVNextEntry;
  64: prove.TO2ProveDevice;
  65: setup.TO2SetupDevice;
  66: setup.TO2DeviceServiceInfoReady;
  67: setup.TO2OwnerServiceInfoReady;
  68: setup.TO2DeviceServiceInfo;
  69: setup.TO2OwnerServiceInfo;
  70: setup.TO2Done;
  71: setup.TO2Done2;
  255: ErrorMessage;
}
export type MessageNumber = keyof MessageBodies;

interface Codec<T> {
  encode(m: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

const c = <T>(encode: (m: T) => Uint8Array, decode: (b: Uint8Array) => T): Codec<T> => ({ encode, decode });

export const MESSAGE_CODECS: { readonly [K in MessageNumber]: Codec<MessageBodies[K]> } = {
  10: c(di.encodeDIAppStart, di.decodeDIAppStart),
  11: c(di.encodeDISetCredentials, di.decodeDISetCredentials),
  12: c(di.encodeDISetHMAC, di.decodeDISetHMAC),
  13: c(di.encodeDIDone, di.decodeDIDone),
  20: c(to0.encodeTO0Hello, to0.decodeTO0Hello),
  21: c(to0.encodeTO0HelloAck, to0.decodeTO0HelloAck),
  22: c(to0.encodeTO0OwnerSign, to0.decodeTO0OwnerSign),
  23: c(to0.encodeTO0AcceptOwner, to0.decodeTO0AcceptOwner),
  30: c(to1.encodeTO1HelloRV, to1.decodeTO1HelloRV),
  31: c(to1.encodeTO1HelloRVAck, to1.decodeTO1HelloRVAck),
  32: c(to1.encodeTO1ProveToRV, to1.decodeTO1ProveToRV),
  33: c(to1.encodeTO1RVRedirect, to1.decodeTO1RVRedirect),
  60: c(prove.encodeTO2HelloDevice, prove.decodeTO2HelloDevice),
  61: c(prove.encodeTO2ProveOVHdr, prove.decodeTO2ProveOVHdr),
  62: c(prove.encodeTO2GetOVNextEntry, prove.decodeTO2GetOVNextEntry),
  63: c(prove.encodeTO2OVNextEntry, prove.decodeTO2OVNextEntry),
  64: c(prove.encodeTO2ProveDevice, prove.decodeTO2ProveDevice),
  65: c(setup.encodeTO2SetupDevice, setup.decodeTO2SetupDevice),
  66: c(setup.encodeTO2DeviceServiceInfoReady, setup.decodeTO2DeviceServiceInfoReady),
  67: c(setup.encodeTO2OwnerServiceInfoReady, setup.decodeTO2OwnerServiceInfoReady),
  68: c(setup.encodeTO2DeviceServiceInfo, setup.decodeTO2DeviceServiceInfo),
  69: c(setup.encodeTO2OwnerServiceInfo, setup.decodeTO2OwnerServiceInfo),
  70: c(setup.encodeTO2Done, setup.decodeTO2Done),
  71: c(setup.encodeTO2Done2, setup.decodeTO2Done2),
  255: c(encodeErrorMessage, decodeErrorMessage),
};

function codecOf(type: number): Codec<unknown> {
  const codec = (MESSAGE_CODECS as Record<number, Codec<unknown> | undefined>)[type];
  if (codec === undefined) {
    throw new InvalidMessageError(`${messageName(type)} is not an FDO 1.1 message`, { prevMsgType: type });
  }
  return codec;
}

export function isMessageNumber(type: number): type is MessageNumber {
  return Object.hasOwn(MESSAGE_CODECS, type);
}

/**
 * Decodes the body of message `type`. Throws an FdoError with prevMsgType = type: MessageBodyError
 * for a malformed body, InvalidMessageError for a number FDO does not define.
 */
export function decodeMessage<T extends MessageNumber>(type: T, bytes: Uint8Array): MessageBodies[T];
export function decodeMessage(type: number, bytes: Uint8Array): MessageBodies[MessageNumber];
export function decodeMessage(type: number, bytes: Uint8Array): unknown {
  return codecOf(type).decode(bytes);
}

export function encodeMessage<T extends MessageNumber>(type: T, body: MessageBodies[T]): Uint8Array {
  return codecOf(type).encode(body);
}
