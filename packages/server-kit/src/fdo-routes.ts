/**
 * The FDO HTTP transport, server side (FDO 1.1 §4.3; wire notes §3.1):
 * `POST /fdo/101/msg/{msgtype}` with one CBOR item as body, answered with 200 and a `Message-Type`
 * header, or with HTTP 500 carrying message 255 (`Content-Type: application/cbor`, so go-fdo
 * clients parse it). The session token travels in `Authorization: Bearer …` both ways.
 *
 * The plugin knows nothing of DI, TO0, TO1 or TO2: a service passes a {@link FdoResponder}, the
 * protocol's state machine for its role. It counts messages and sessions (`app.metrics`) and logs one
 * line per session outcome (fdo-sessions.ts).
 */
import {
  decodeErrorMessage,
  encodeErrorMessage,
  ErrorCode,
  errorMessageFrom,
  FdoError,
  InvalidMessageError,
  MessageBodyError,
  messageName,
  messageTypeInfo,
  type ErrorMessage,
} from '@fdo/protocol';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  closesSession,
  sessionOf,
  sessionToken,
  type SessionContext,
  type SessionOutcome,
  type SessionProtocol,
} from './fdo-sessions.js';
import './metrics.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The FDO route's body deadline, until the body is in (fdoRoutes). */
    fdoBodyDeadline: NodeJS.Timeout | null;
  }
}

export const FDO_PROTOCOL_VERSION = 101;
export const ERROR_MSG_TYPE = 255;

export interface FdoRequest {
  msgType: number;
  body: Uint8Array;
  /** The bearer token from `Authorization`, absent on the first message of a protocol. */
  token: string | undefined;
  log: FastifyBaseLogger;
}

export interface FdoResponse {
  msgType: number;
  body: Uint8Array;
  /** Token for the client's next message; omitted when the protocol is over. */
  token?: string | undefined;
  /** The device GUID the message concerned, once known (session log and metrics). */
  guid?: string | undefined;
}

export type FdoResponder = (request: FdoRequest) => Promise<FdoResponse>;

export interface FdoRoutesOptions {
  responder: FdoResponder;
  /** The request message types this service answers (e.g. 10 and 12 for DI). */
  messageTypes: readonly number[];
  /** Time a client has to send one message, body included; a slower one is cut off. Default 10 s. */
  bodyTimeoutMs?: number;
  /** Called when a message opens a session (DI.AppStart, TO0.Hello, TO1.HelloRV, TO2.HelloDevice). */
  onStart?: (protocol: SessionProtocol) => void;
  /** Called once per session outcome (completed or failed), for the service's own metrics. */
  onOutcome?: (outcome: SessionOutcome) => void;
}

/** FDO messages are at most 64 KiB: 10 s is ample on any link, and bounds a slowloris sender. */
export const FDO_BODY_TIMEOUT_MS = 10_000;

const VERSION_PARAM = String(FDO_PROTOCOL_VERSION);

/** `application/cbor`, with parameters or in another case (the exact string is checked first). */
function isCbor(contentType: string | undefined): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === 'application/cbor';
}

function bearer(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return m?.[1] ?? header.trim();
}

/** Why a session failed: the message 255 sent, or the device's own. */
type Failure = Pick<ErrorMessage, 'code' | 'message' | 'correlationId'>;

function deviceFailure(body: Uint8Array): Failure {
  try {
    const em = decodeErrorMessage(body);
    return {
      code: em.code,
      message: `the device sent error ${em.code}: ${em.message}`,
      correlationId: em.correlationId,
    };
  } catch {
    return { code: 0, message: 'the device sent an undecodable error message', correlationId: null };
  }
}

/** The `msg_type` metric label: a served type or 255, else `other` (the label set stays bounded). */
function typeLabel(served: ReadonlySet<number>, msgType: number): string {
  return served.has(msgType) || msgType === ERROR_MSG_TYPE ? String(msgType) : 'other';
}

/** Counts, logs and reports one session outcome (one log line per session, with GUID, step and duration). */
function recordOutcome(
  request: FastifyRequest,
  options: FdoRoutesOptions,
  session: SessionContext,
  msgType: number,
  result: { guid: string | null; failure?: Failure },
): void {
  if (session.protocol === null) return;
  const now = Date.now();
  // A refused token (error 1) may not be ours: what its envelope claims (GUID, start) is not believed.
  const refusedToken = result.failure?.code === ErrorCode.InvalidJwtToken && !session.opening;
  const outcome: SessionOutcome = {
    protocol: session.protocol,
    guid: refusedToken ? null : result.guid,
    step: messageTypeInfo(msgType)?.name ?? messageName(msgType),
    outcome: result.failure === undefined ? 'completed' : 'failed',
    ...(result.failure === undefined ? {} : { errorCode: result.failure.code, reason: result.failure.message }),
    durationMs: session.startedAt === null || refusedToken ? null : now - session.startedAt,
  };
  const { metrics } = request.server;
  metrics.sessions.inc({ protocol: outcome.protocol, outcome: outcome.outcome });
  if (outcome.durationMs !== null) {
    metrics.sessionDuration.observe(
      { protocol: outcome.protocol, outcome: outcome.outcome },
      outcome.durationMs / 1000,
    );
  }
  const fields = {
    protocol: outcome.protocol,
    guid: outcome.guid,
    ...(refusedToken && result.guid !== null ? { claimedGuid: result.guid } : {}),
    step: outcome.step,
    durationMs: outcome.durationMs,
    ...(result.failure === undefined
      ? {}
      : { fdoCode: result.failure.code, cid: result.failure.correlationId, reason: result.failure.message }),
  };
  if (result.failure === undefined) request.log.info(fields, `${outcome.protocol} session completed`);
  else request.log.warn(fields, `${outcome.protocol} session failed at ${outcome.step}`);
  options.onOutcome?.(outcome);
}

/**
 * Sends message 255 for `err` (§3.7): FdoErrors keep their code; anything else is 500 with no detail.
 * Ends the session of a served message (one outcome line); other refusals are logged on their own.
 */
function sendError(
  reply: FastifyReply,
  err: unknown,
  msgType: number,
  served: ReadonlySet<number>,
  options: FdoRoutesOptions,
  session: SessionContext,
): FastifyReply {
  const prevMsgType = Number.isInteger(msgType) ? msgType & 0xff : 0;
  const message = errorMessageFrom(err, prevMsgType);
  const internal = !(err instanceof FdoError) || message.code === 500;
  if (internal) reply.log.error({ err, cid: message.correlationId }, 'internal error in FDO message handling');
  reply.server.metrics.messages.inc({ msg_type: typeLabel(served, msgType), error_code: String(message.code) });
  if (served.has(msgType) || session.token !== undefined) {
    recordOutcome(reply.request, options, session, msgType, { guid: session.guid, failure: message });
  } else if (!internal) {
    reply.log.warn(
      { fdoCode: message.code, prevMsgType: message.prevMsgType, cid: message.correlationId },
      (err as Error).message,
    );
  }
  return sendErrorMessage(reply, 500, message);
}

/** Message 255 on the wire (§3.7, §4.3): the HTTP status, the message type header and the CBOR body. */
export function sendErrorMessage(reply: FastifyReply, status: number, message: ErrorMessage): FastifyReply {
  return reply
    .code(status)
    .header('Message-Type', String(ERROR_MSG_TYPE))
    .header('Content-Type', 'application/cbor')
    .send(Buffer.from(encodeErrorMessage(message)));
}

const cbor = (description: string) => ({
  description,
  content: { 'application/cbor': { schema: { type: 'string', format: 'binary' } } },
});

/** The route's OpenAPI description (no body schema: the body is one CBOR item the protocol layer decodes). */
function fdoRouteSchema(served: ReadonlySet<number>) {
  return {
    summary: 'One FDO 1.1 message (§4.3)',
    description:
      `The body is one CBOR item (\`Content-Type: application/cbor\`); \`Authorization: Bearer\` carries the ` +
      `session token from the second message on. Message types served here: ${[...served].join(', ')}.`,
    tags: ['fdo'],
    params: {
      type: 'object',
      properties: {
        version: { type: 'string', description: 'protocol version: 101' },
        type: { type: 'string', description: 'the request message type' },
      },
      required: ['version', 'type'],
    },
    response: {
      200: cbor('the response message; `Message-Type` names it, `Authorization` carries the session token'),
      500: cbor('message 255, ErrorMessage (§3.7): `[EMErrorCode, EMPrevMsgID, EMErrorStr, EMErrorTs, EMErrorCID]`'),
    },
  };
}

/** Registers the FDO message route in an encapsulated context (its parser and error handler stay inside). */
export async function fdoRoutes(app: FastifyInstance, options: FdoRoutesOptions): Promise<void> {
  const served = new Set(options.messageTypes);
  // The counter's labels of each served message answered, made once.
  const answeredLabels = new Map([...served].map((t) => [t, { msg_type: String(t), error_code: 'none' }]));
  // Accept any content type here so a wrong one gets an FDO error instead of Fastify's 415.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  // A client trickling its body holds a socket and a parser: cut it off at the deadline (the
  // server-wide request timeout is longer, for bulk uploads on the management routes). The timer rides
  // on the request (a decoration of this context) and the hooks are callback style: no promise or map
  // entry per message.
  const bodyTimeoutMs = options.bodyTimeoutMs ?? FDO_BODY_TIMEOUT_MS;
  app.decorateRequest('fdoBodyDeadline', null);
  const clear = (request: FastifyRequest, _reply: FastifyReply, done: () => void) => {
    if (request.fdoBodyDeadline !== null) {
      clearTimeout(request.fdoBodyDeadline);
      request.fdoBodyDeadline = null;
    }
    done();
  };
  app.addHook('onRequest', (request, _reply, done) => {
    const timer = setTimeout(() => {
      request.log.warn({ bodyTimeoutMs }, 'FDO message not received in time; connection closed');
      request.raw.destroy();
    }, bodyTimeoutMs);
    timer.unref();
    request.fdoBodyDeadline = timer;
    done();
  });
  app.addHook('preValidation', clear);
  app.addHook('onResponse', clear);

  app.setErrorHandler((err, request, reply) => {
    const type = Number((request.params as { type?: string } | undefined)?.type);
    const msgType = Number.isInteger(type) ? type : NaN;
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    const cause = status < 500 ? new MessageBodyError(`request refused: ${(err as Error).message}`) : err;
    const session = sessionOf(msgType, bearer(request.headers.authorization), Date.now());
    return sendError(reply, cause, msgType, served, options, session);
  });

  app.post<{ Params: { version: string; type: string } }>(
    '/fdo/:version/msg/:type',
    { schema: fdoRouteSchema(served), config: { documentedBody: cbor('the request message: one CBOR item') } },
    async (request, reply) => {
      const msgType = /^\d{1,3}$/.test(request.params.type) ? Number(request.params.type) : NaN;
      const session = sessionOf(msgType, bearer(request.headers.authorization), Date.now());
      const refuse = (err: FdoError) => sendError(reply, err, msgType, served, options, session);
      if (request.params.version !== VERSION_PARAM) {
        return refuse(new InvalidMessageError(`protocol version ${request.params.version} is not supported (101 is)`));
      }
      if (!served.has(msgType)) {
        return refuse(new InvalidMessageError(`message type ${request.params.type} is not served here`));
      }
      const contentType = request.headers['content-type'];
      if (contentType !== 'application/cbor' && !isCbor(contentType)) {
        return refuse(new MessageBodyError('Content-Type must be application/cbor'));
      }
      if (session.opening && session.protocol !== null) {
        app.metrics.sessions.inc({ protocol: session.protocol, outcome: 'started' });
        options.onStart?.(session.protocol);
      }
      const raw = request.body;
      const body = raw instanceof Uint8Array ? raw : new Uint8Array(0);
      let response: FdoResponse;
      try {
        response = await options.responder({ msgType, body, token: session.token, log: request.log });
      } catch (err) {
        return sendError(reply, err, msgType, served, options, session);
      }
      const guid = response.guid ?? session.guid;
      app.metrics.messages.inc(answeredLabels.get(msgType)!);
      if (response.msgType === ERROR_MSG_TYPE) {
        // The device ended the session with its own message 255 (§3.7); the responder echoes it.
        recordOutcome(request, options, session, msgType, { guid, failure: deviceFailure(body) });
      } else if (closesSession(response.msgType)) {
        recordOutcome(request, options, session, msgType, { guid });
      }
      reply.code(200).header('Message-Type', String(response.msgType)).header('Content-Type', 'application/cbor');
      if (response.token !== undefined) {
        reply.header('Authorization', `Bearer ${sessionToken(session, response.token, guid)}`);
      }
      return reply.send(Buffer.from(response.body.buffer, response.body.byteOffset, response.body.byteLength));
    },
  );
}
