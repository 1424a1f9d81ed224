/**
 * The Fastify application every FDO service starts from: logging, the `application/cbor` body
 * parser with FDO's message-size limit, `/health` and `/ready` (health.ts), `app.metrics` (metrics.ts),
 * the OpenAPI document and docs page (openapi.ts), and graceful shutdown.
 */
import type { ServerOptions } from 'node:https';
import { Socket } from 'node:net';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { healthRoutes } from './health.js';
import { addMetrics } from './metrics.js';
import { addOpenApi, apiDocs } from './openapi.js';
import { lazyRequestLogger, loggerOptions, type LogSettings } from './logger.js';

export interface AppOptions {
  /** Service name, used in logs and `/health`. */
  service: string;
  /** Largest accepted request body. FDO peers cap messages at 65535 bytes (wire notes §3.1). */
  bodyLimit?: number;
  /** false disables logging (tests). */
  logger?: boolean;
  /** Time limits against slow or stalled clients (slowloris); defaults in {@link DEFAULT_TIMEOUTS}. */
  timeouts?: Partial<ServerTimeouts>;
  /** Level and format from the service's configuration (`FDO_LOG_LEVEL`, `FDO_LOG_FORMAT`). */
  log?: LogSettings;
  /** A pino logger to use instead (tests read its lines). */
  loggerInstance?: FastifyBaseLogger;
  /** Serve the OpenAPI document and the docs page (default true; `<PREFIX>_API_DOCS`). */
  apiDocs?: boolean;
  /** HTTPS (tls.ts loadTls); absent or null: plain HTTP. */
  https?: ServerOptions | null;
}

/** A route as registered, for the route-enumeration tests and start-up diagnostics. */
export interface RegisteredRoute {
  method: string;
  url: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route of the app, in registration order (HEAD routes Fastify adds for GET included). */
    routeList: RegisteredRoute[];
  }
}

export const FDO_MAX_MESSAGE_SIZE = 65535;

/** How long a client may take, in milliseconds. */
export interface ServerTimeouts {
  /** To send the request line and headers (Node's `headersTimeout`). */
  headersMs: number;
  /** To send a whole request, body included (Node's `requestTimeout`; Fastify's default 0 turns it off). */
  requestMs: number;
  /** Of silence on a socket before it is closed (Fastify's `connectionTimeout`). */
  idleMs: number;
}

/**
 * Without these a client that sends a body one byte at a time holds its connection forever: Fastify
 * sets Node's `requestTimeout` to 0 unless told otherwise. The request limit is the generous one
 * (a bulk voucher import streams megabytes); FDO messages have a much shorter one of their own
 * (see `fdoRoutes`' `bodyTimeoutMs`).
 */
export const DEFAULT_TIMEOUTS: ServerTimeouts = { headersMs: 15_000, requestMs: 300_000, idleMs: 60_000 };

export function createApp(options: AppOptions): FastifyInstance {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const serverTimeouts = { headersTimeout: timeouts.headersMs, connectionsCheckingInterval: 1000 };
  const app = Fastify({
    ...(options.loggerInstance !== undefined
      ? { loggerInstance: options.loggerInstance }
      : { logger: options.logger === false ? false : loggerOptions(options.service, process.env, options.log) }),
    // request.log is made when first used (logger.ts).
    ...(options.logger === false && options.loggerInstance === undefined
      ? {}
      : { childLoggerFactory: lazyRequestLogger }),
    bodyLimit: options.bodyLimit ?? FDO_MAX_MESSAGE_SIZE,
    requestTimeout: timeouts.requestMs,
    connectionTimeout: timeouts.idleMs,
    // Node checks the header and request deadlines on this interval (default 30 s). With TLS the same
    // server options go to https.createServer.
    ...(options.https == null ? { http: serverTimeouts } : { https: { ...options.https, ...serverTimeouts } }),
  }) as unknown as FastifyInstance;
  const routes: RegisteredRoute[] = [];
  app.decorate('routeList', routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  closeAnsweredUploadsOnShutdown(app);
  addOpenApi(app, options.service);
  // FDO bodies are single CBOR items; the protocol layer decodes them (FDO 1.1 §4.3).
  app.addContentTypeParser('application/cbor', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  healthRoutes(app, options.service);
  addMetrics(app, options.service);
  void app.register(apiDocs, { service: options.service, serve: options.apiDocs ?? true });
  return app;
}

/**
 * A reply sent before its request body was read to the end (a refused or failed streamed upload) leaves
 * the connection busy while Node discards the rest of the body, and Fastify's close waits only for idle
 * connections to end: a shutdown after a cut import waited for the keep-alive timeout (72 s). Such
 * connections are remembered and destroyed when the app closes. They are not closed at once: a client
 * still writing its body would get EPIPE instead of reading the reply that says what went wrong.
 */
function closeAnsweredUploadsOnShutdown(app: FastifyInstance): void {
  const answered = new Set<Socket>();
  // When the reply goes out before the body was read, Node detaches the socket from the request by the
  // time onResponse runs (the fault test sees null there): keep it from the start. Only real connections
  // count (app.inject's requests have a stand-in).
  const sockets = new WeakMap<object, Socket>();
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.raw.socket instanceof Socket) sockets.set(request.raw, request.raw.socket);
    done();
  });
  app.addHook('onResponse', (request, _reply, done) => {
    const socket = sockets.get(request.raw);
    if (!request.raw.complete && socket !== undefined && !socket.destroyed && !answered.has(socket)) {
      answered.add(socket);
      const forget = () => answered.delete(socket);
      request.raw.once('end', forget);
      socket.once('close', forget);
    }
    done();
  });
  app.addHook('preClose', async () => {
    for (const socket of answered) socket.destroy();
    answered.clear();
  });
}

/** Listens and closes cleanly on SIGINT/SIGTERM: in-flight requests finish, then the process exits. */
export async function listen(app: FastifyInstance, port: number, host = '127.0.0.1'): Promise<string> {
  const address = await app.listen({ port, host });
  const stop = (signal: string) => {
    app.log.info({ signal }, 'shutting down');
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return address;
}
