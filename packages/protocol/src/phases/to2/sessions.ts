/**
 * TO2 sessions between messages (FDO 1.1 §5.5) carried in the token (§4.3 leaves its format to the
 * server): the session's JSON, sealed with its id and version by a {@link SessionSealer} every
 * instance shares, so no message reads a session from the database.
 *
 * What the token cannot do alone is refuse a token used twice: the database keeps a fence per session,
 * its id and version. A claim moves the fence from the token's version to the next in one conditional
 * write (one round trip, no read), so a replayed or raced message, or a token of an ended session,
 * finds the fence moved or gone. TO2.GetOVNextEntry changes nothing but the entry counter its token
 * carries, so its claim only reads the fence: a repeated one is answered again, harmlessly. A session whose state outgrows a request header (integrators' module
 * state) keeps it in the fence's row instead, and the claim returns it with the same write.
 *
 * ```
 * token payload = CBOR [ "to2", id (bstr 16), version (uint), state (tstr JSON, or null: in the row) ]
 * ```
 */
import { decode, encode } from '../../cbor/codec.js';
import { fromHex, toHex } from '../../cbor/bytes.js';
import type { CryptoProvider } from '../../crypto/provider.js';
import { InvalidTokenError } from '../../errors.js';
import { MsgType } from '../../messages/message-types.js';
import { formatGuid } from '../../types/guid.js';
import type { Clock, SessionSealer } from '../to0/state.js';
import type { ClaimedSession, To2OwnerSession } from './state.js';

/** Where the fences of TO2 sessions are kept (the owner service: one table row per live session). */
export interface To2SessionFence {
  /** Records session `id` of device `guid` at version 1, with its state when the token cannot carry it. */
  open(id: string, guid: string, expiresAt: Date, state: Uint8Array | null): Promise<void>;
  /**
   * Claims session `id` at `version` in one statement: `advance` moves it to `version + 1` (and its
   * expiry), `end` removes it, `check` only reads it. Returns the state kept with it (null when its
   * tokens carry it), or undefined when the session is not at `version`: its message was answered
   * already, it ended, or it never existed.
   */
  claim(
    id: string,
    version: number,
    how: FenceClaim,
    expiresAt: Date,
  ): Promise<{ state: Uint8Array | null } | undefined>;
  /** Keeps the state of session `id`, now at `version`, when its next token cannot carry it. */
  keep(id: string, version: number, state: Uint8Array): Promise<void>;
  /** Removes session `id`: none of its tokens is claimed again. */
  end(id: string): Promise<void>;
}

/** How a claim treats the fence: move it on, remove it (the last message), or only check it. */
export type FenceClaim = 'advance' | 'end' | 'check';

/**
 * The longest session JSON a token carries (characters): its token stays near 8 KiB, half of what HTTP
 * servers commonly accept for all request headers. A longer one stays in the fence's row.
 */
export const MAX_TOKEN_STATE = 6 * 1024;

const TAG = 'to2';

interface Claim {
  id: string;
  /** The fence's version after the claim; the next token carries it. */
  version: number;
  /** The claim removed the fence (the message answers TO2.Done): nothing follows. */
  ended: boolean;
}

/** What a TO2 session token holds, for tools and tests (it is not checked against the fence). */
export interface To2TokenContents {
  id: string;
  version: number;
  /** Null when the state is kept in the fence's row. */
  session: To2OwnerSession | null;
}

/** Opens a TO2 session token; throws when it is not one. */
export function openTo2Token(sealer: SessionSealer, token: string): To2TokenContents {
  const items = decode(sealer.open(token));
  if (
    !Array.isArray(items) ||
    items.length !== 4 ||
    items[0] !== TAG ||
    !(items[1] instanceof Uint8Array) ||
    typeof items[2] !== 'number' ||
    (items[3] !== null && typeof items[3] !== 'string')
  ) {
    throw new TypeError('not a TO2 session token');
  }
  const [, id, version, json] = items as [string, Uint8Array, number, string | null];
  return { id: toHex(id), version, session: json === null ? null : (JSON.parse(json) as To2OwnerSession) };
}

export interface SealedTo2SessionsOptions {
  sealer: SessionSealer;
  fence: To2SessionFence;
  crypto: CryptoProvider;
  /** Lifetime of a token: the session's idle timeout. */
  ttlSeconds: number;
  now?: Clock;
}

/** createSession, claimSession and saveSession of a `To2OwnerState`, over a sealer and a fence. */
export class SealedTo2Sessions {
  readonly #o: SealedTo2SessionsOptions;
  readonly #now: Clock;

  constructor(options: SealedTo2SessionsOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  async create(session: To2OwnerSession): Promise<string> {
    const id = this.#o.crypto.randomBytes(16);
    const json = JSON.stringify(session);
    const inRow = json.length > MAX_TOKEN_STATE;
    await this.#o.fence.open(
      toHex(id),
      formatGuid(fromHex(session.guid)),
      new Date(session.expiresAt),
      inRow ? utf8(json) : null,
    );
    return this.#seal(id, 1, inRow ? null : json);
  }

  async claim(token: string): Promise<ClaimedSession | null> {
    let contents: To2TokenContents;
    try {
      contents = openTo2Token(this.#o.sealer, token);
    } catch (err) {
      // Forged, expired, sealed under a retired secret, or not a TO2 token: say which.
      throw new InvalidTokenError(
        `TO2 session token refused: ${(err as Error).message}; start again with TO2.HelloDevice`,
      );
    }
    const { id, version } = contents;
    // TO2.Done is the last message: its claim removes the fence, so the session ends however it goes.
    const step = contents.session?.step;
    const how: FenceClaim = step === MsgType.TO2Done ? 'end' : step === MsgType.TO2GetOVNextEntry ? 'check' : 'advance';
    const expiresAt = new Date(this.#now() + this.#o.ttlSeconds * 1000);
    const held = await this.#o.fence.claim(id, version, how, expiresAt);
    if (held === undefined) return null;
    let session = contents.session;
    if (session === null) {
      if (held.state === null) return null;
      session = JSON.parse(new TextDecoder().decode(held.state)) as To2OwnerSession;
    }
    const claim: Claim = { id, version: how === 'advance' ? version + 1 : version, ended: how === 'end' };
    return { session, claim };
  }

  async save(claimed: ClaimedSession, session: To2OwnerSession): Promise<string | null> {
    const claim = claimed.claim as Claim;
    if (session.step === 'done' || session.step === 'failed') {
      if (!claim.ended) await this.#o.fence.end(claim.id);
      claim.ended = true;
      return null;
    }
    if (claim.ended) return null;
    const json = JSON.stringify(session);
    if (json.length > MAX_TOKEN_STATE) {
      await this.#o.fence.keep(claim.id, claim.version, utf8(json));
      return this.#seal(fromHex(claim.id), claim.version, null);
    }
    return this.#seal(fromHex(claim.id), claim.version, json);
  }

  #seal(id: Uint8Array, version: number, json: string | null): string {
    return this.#o.sealer.seal(encode([TAG, id, version, json]), this.#o.ttlSeconds);
  }
}

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
