/**
 * Protocol session state carried in the bearer token (TO0, TO1): a CBOR array `[tag, fields…]` sealed
 * by a {@link SessionSealer} that every instance can open, so no instance keeps sessions of its own.
 */
import { decode, encode } from '../cbor/codec.js';
import { InvalidTokenError } from '../errors.js';
import type { SessionSealer } from './to0/state.js';

export function sealSession(sealer: SessionSealer, tag: string, fields: unknown[], ttlSeconds: number): string {
  return sealer.seal(encode([tag, ...fields]), ttlSeconds);
}

/**
 * Opens a sealed session of `tag` and returns its fields (`count` of them). Any failure is error 1
 * (invalid token) with the reason and `restart`, what the client must do instead.
 */
export function openSealedSession(
  sealer: SessionSealer,
  token: string | undefined,
  msgType: number,
  expected: { tag: string; count: number; restart: string },
): unknown[] {
  const { tag, count, restart } = expected;
  if (token === undefined) {
    throw new InvalidTokenError(`no session token (Authorization: Bearer …); ${restart}`, { prevMsgType: msgType });
  }
  let state: unknown;
  try {
    state = decode(sealer.open(token));
  } catch (err) {
    throw new InvalidTokenError(`session token refused: ${(err as Error).message}; ${restart}`, {
      prevMsgType: msgType,
    });
  }
  const items = Array.isArray(state) ? state : [];
  if (items.length !== count + 1 || items[0] !== tag) {
    throw new InvalidTokenError(`the session token is not for a ${tag} session; ${restart}`, { prevMsgType: msgType });
  }
  return items.slice(1);
}
