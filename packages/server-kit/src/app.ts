/**
 * The Fastify application every FDO service starts from: logging, the `application/cbor` body
 * parser with FDO's message-size limit, `/health`, and graceful shutdown.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { loggerOptions } from './logger.js';

export interface AppOptions {
  /** Service name, used in logs and `/health`. */
  service: string;
  /** Largest accepted request body. FDO peers cap messages at 65535 bytes (wire notes §3.1). */
  bodyLimit?: number;
  /** false disables logging (tests). */
  logger?: boolean;
  /** Time limits against slow or stalled clients (slowloris); defaults in {@link DEFAULT_TIMEOUTS}. */
  timeouts?: Partial<ServerTimeouts>;
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
  const app = Fastify({
    logger: options.logger === false ? false : loggerOptions(options.service),
    bodyLimit: options.bodyLimit ?? FDO_MAX_MESSAGE_SIZE,
    requestTimeout: timeouts.requestMs,
    connectionTimeout: timeouts.idleMs,
    // Node checks the header and request deadlines on this interval (default 30 s).
    http: { headersTimeout: timeouts.headersMs, connectionsCheckingInterval: 1000 },
  });
  // FDO bodies are single CBOR items; the protocol layer decodes them (FDO 1.1 §4.3).
  app.addContentTypeParser('application/cbor', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.get('/health', async () => ({ status: 'ok', service: options.service }));
  return app;
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
