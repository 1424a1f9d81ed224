/**
 * Protocol sessions as the transport sees them (DI, TO0, TO1, TO2): started by the protocol's first
 * message, completed by its last (DI.Done, TO0.AcceptOwner, TO1.RVRedirect, TO2.Done2), failed by a
 * message 255 either way (§3.7: an error ends the protocol). Each outcome is one log line with the GUID, the step and the
 * duration, and feeds the `fdo_sessions_*` metrics.
 *
 * Sessions are stateless across instances (sealed tokens, database sessions), so the transport carries
 * what it needs in the bearer token it hands out:
 * `s1.<protocol>.<start, ms base36>.<GUID hex or ->.<protocol's token>`.
 * The token is opaque to the client (§4.3). A client could only misreport its own session's start or
 * GUID; the protocol's token inside is what authenticates, and it is passed on unchanged.
 */
import { messageTypeInfo, MESSAGE_TYPES, type FdoProtocol } from '@fdo/protocol';

export type SessionProtocol = Exclude<FdoProtocol, 'Error'>;

export interface SessionOutcome {
  protocol: SessionProtocol;
  /** Canonical GUID (8-4-4-4-12), once any message of the session named it. */
  guid: string | null;
  /** The request message that ended the session, e.g. "TO1.ProveToRV". */
  step: string;
  outcome: 'completed' | 'failed';
  /** The EMErrorCode sent (failed sessions). */
  errorCode?: number;
  /** The error message sent (failed sessions). */
  reason?: string;
  /** Milliseconds since the session's first message (null when the token's start is unusable). */
  durationMs: number | null;
}

/** What the transport knows of the session a request belongs to. */
export interface SessionContext {
  protocol: SessionProtocol | null;
  /** The protocol's own token, as the responder issued it. */
  token: string | undefined;
  startedAt: number | null;
  guid: string | null;
  /** The request opens a session (DI.AppStart, TO0.Hello, TO1.HelloRV, TO2.HelloDevice). */
  opening: boolean;
}

const PROTOCOLS = ['DI', 'TO0', 'TO1', 'TO2'] as const satisfies readonly SessionProtocol[];
const ENVELOPE = /^s1\.(di|to0|to1|to2)\.([0-9a-z]{1,11})\.([0-9a-f]{32}|-)\.(.+)$/;
/** Starts further back than this are not believed (no protocol session lasts a day). */
const MAX_AGE_MS = 86_400_000;

const typesOf = (p: SessionProtocol) => MESSAGE_TYPES.filter((m) => m.protocol === p).map((m) => m.type as number);
/** Each protocol's first request and last response (§5: 10/13, 20/23, 30/33, 60/71). */
const OPENING = new Set(PROTOCOLS.map((p) => Math.min(...typesOf(p))));
const CLOSING = new Set(PROTOCOLS.map((p) => Math.max(...typesOf(p))));

/** True when `responseType` ends its protocol successfully. */
export function closesSession(responseType: number): boolean {
  return CLOSING.has(responseType);
}

function guidHex(guid: string | null): string {
  return guid === null ? '-' : guid.replace(/-/g, '').toLowerCase();
}

function guidFromHex(hex: string): string | null {
  if (hex === '-') return null;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The session of a request: its protocol, start and GUID from the token, and the protocol's own token. */
export function sessionOf(msgType: number, token: string | undefined, now: number): SessionContext {
  const named = messageTypeInfo(msgType)?.protocol;
  const protocol = named === undefined || named === 'Error' ? null : named;
  const opening = OPENING.has(msgType);
  const m = opening || token === undefined ? null : ENVELOPE.exec(token);
  if (m === null) return { protocol, opening, token, startedAt: opening ? now : null, guid: null };
  const startedAt = parseInt(m[2]!, 36);
  const believable = startedAt <= now && now - startedAt < MAX_AGE_MS;
  return {
    // A device's message 255 belongs to the session its token names (§3.7).
    protocol: protocol ?? (m[1]!.toUpperCase() as SessionProtocol),
    opening,
    token: m[4],
    startedAt: believable ? startedAt : null,
    guid: guidFromHex(m[3]!),
  };
}

/**
 * The protocol's own token inside a token this transport handed out (the token itself when it is not
 * one): what the service stores or seals, for tools and tests that look a session up.
 */
export function protocolToken(token: string): string {
  return ENVELOPE.exec(token)?.[4] ?? token;
}

/** The token handed to the client: the protocol's token wrapped with the session's protocol, start and GUID. */
export function sessionToken(session: SessionContext, token: string, guid: string | null): string {
  if (session.protocol === null) return token;
  const start = (session.startedAt ?? 0).toString(36); // 0: unknown, never believed
  return `s1.${session.protocol.toLowerCase()}.${start}.${guidHex(guid ?? session.guid)}.${token}`;
}
