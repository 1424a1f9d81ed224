/**
 * Client side of any protocol: send one message, check that the reply is the one the spec says
 * comes next (§3.2), and decode it. A peer's message 255 arrives as `FdoPeerError` from the transport.
 */
import { decodeMessage, type MessageBodies, type MessageNumber } from '../../messages/codec.js';
import { messageName } from '../../messages/message-types.js';
import type { FdoTransport } from '../transport.js';

/** Sends `type` and decodes the reply, which must be of type `expected`. */
export async function exchange<T extends MessageNumber>(
  transport: FdoTransport,
  type: number,
  body: Uint8Array,
  expected: T,
): Promise<MessageBodies[T]> {
  const reply = await transport.send(type, body);
  if (reply.msgType !== expected) {
    throw new Error(
      `${messageName(type)}: the server answered with ${messageName(reply.msgType)}, expected ${messageName(expected)}`,
    );
  }
  return decodeMessage(expected, reply.body);
}
