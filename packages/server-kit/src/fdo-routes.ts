/**
 * The FDO HTTP transport, server side (FDO 1.1 §4.3; wire notes §3.1):
 * `POST /fdo/101/msg/{msgtype}` with one CBOR item as body, answered with 200 and a `Message-Type`
 * header, or with HTTP 500 carrying message 255 (`Content-Type: application/cbor`, so go-fdo
 * clients parse it). The session token travels in `Authorization: Bearer …` both ways.
 *
 * The plugin knows nothing of DI, TO0, TO1 or TO2: a service passes a {@link FdoResponder}, the
 * protocol's state machine for its role.
 */
import { encodeErrorMessage, errorMessageFrom, FdoError, InvalidMessageError, MessageBodyError } from '@fdo/protocol';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply } from 'fastify';

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
}

export type FdoResponder = (request: FdoRequest) => Promise<FdoResponse>;

export interface FdoRoutesOptions {
  responder: FdoResponder;
  /** The request message types this service answers (e.g. 10 and 12 for DI). */
  messageTypes: readonly number[];
  /** Time a client has to send one message, body included; a slower one is cut off. Default 10 s. */
  bodyTimeoutMs?: number;
}

/** FDO messages are at most 64 KiB: 10 s is ample on any link, and bounds a slowloris sender. */
export const FDO_BODY_TIMEOUT_MS = 10_000;

function bearer(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return m?.[1] ?? header.trim();
}

/** Sends message 255 for `err` (§3.7): FdoErrors keep their code; anything else is 500 with no detail. */
function sendError(reply: FastifyReply, err: unknown, prevMsgType: number): FastifyReply {
  const message = errorMessageFrom(err, prevMsgType);
  if (err instanceof FdoError && message.code !== 500) {
    reply.log.warn(
      { fdoCode: message.code, prevMsgType: message.prevMsgType, cid: message.correlationId },
      err.message,
    );
  } else {
    reply.log.error({ err, cid: message.correlationId }, 'internal error in FDO message handling');
  }
  return reply
    .code(500)
    .header('Message-Type', String(ERROR_MSG_TYPE))
    .header('Content-Type', 'application/cbor')
    .send(Buffer.from(encodeErrorMessage(message)));
}

/** Registers the FDO message route in an encapsulated context (its parser and error handler stay inside). */
export async function fdoRoutes(app: FastifyInstance, options: FdoRoutesOptions): Promise<void> {
  const served = new Set(options.messageTypes);
  // Accept any content type here so a wrong one gets an FDO error instead of Fastify's 415.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  // A client trickling its body holds a socket and a parser: cut it off at the deadline (the
  // server-wide request timeout is longer, for bulk uploads on the management routes).
  const deadlines = new WeakMap<object, NodeJS.Timeout>();
  const bodyTimeoutMs = options.bodyTimeoutMs ?? FDO_BODY_TIMEOUT_MS;
  const clear = (request: { raw: object }) => clearTimeout(deadlines.get(request.raw));
  app.addHook('onRequest', async (request) => {
    const timer = setTimeout(() => {
      request.log.warn({ bodyTimeoutMs }, 'FDO message not received in time; connection closed');
      request.raw.destroy();
    }, bodyTimeoutMs);
    timer.unref();
    deadlines.set(request.raw, timer);
  });
  app.addHook('preValidation', async (request) => clear(request));
  app.addHook('onResponse', async (request) => clear(request));

  app.setErrorHandler((err, request, reply) => {
    const type = Number((request.params as { type?: string } | undefined)?.type);
    const prev = Number.isInteger(type) ? type & 0xff : 0;
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    const cause = status < 500 ? new MessageBodyError(`request refused: ${(err as Error).message}`) : err;
    return sendError(reply, cause, prev);
  });

  app.post<{ Params: { version: string; type: string } }>('/fdo/:version/msg/:type', async (request, reply) => {
    const msgType = /^\d{1,3}$/.test(request.params.type) ? Number(request.params.type) : NaN;
    const prev = Number.isInteger(msgType) ? msgType & 0xff : 0;
    if (request.params.version !== String(FDO_PROTOCOL_VERSION)) {
      return sendError(
        reply,
        new InvalidMessageError(`protocol version ${request.params.version} is not supported (101 is)`),
        prev,
      );
    }
    if (!served.has(msgType)) {
      return sendError(reply, new InvalidMessageError(`message type ${request.params.type} is not served here`), prev);
    }
    const contentType = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
    if (contentType !== 'application/cbor') {
      return sendError(reply, new MessageBodyError('Content-Type must be application/cbor'), prev);
    }
    const raw = request.body;
    const body = raw instanceof Uint8Array ? raw : new Uint8Array(0);
    try {
      const response = await options.responder({
        msgType,
        body,
        token: bearer(request.headers.authorization),
        log: request.log,
      });
      reply.code(200).header('Message-Type', String(response.msgType)).header('Content-Type', 'application/cbor');
      if (response.token !== undefined) reply.header('Authorization', `Bearer ${response.token}`);
      return reply.send(Buffer.from(response.body.buffer, response.body.byteOffset, response.body.byteLength));
    } catch (err) {
      return sendError(reply, err, prev);
    }
  });
}
