/**
 * The FDO HTTP transport, client side (FDO 1.1 §4.3; wire notes §3.1), over undici: one transport
 * object is one protocol session. Each message is `POST {base}/fdo/101/msg/{type}` with the CBOR body;
 * the bearer token the server returns is sent back on every later message of the session.
 *
 * A reply carrying `Message-Type: 255` (our servers and go-fdo answer HTTP 500, some peers 200) is
 * decoded and thrown as {@link FdoPeerError}; anything else that is not a 200 with a message type is
 * an {@link FdoTransportError} naming the URL, so a person can tell a refusal from a network problem.
 */
import { decodeErrorMessage, FdoPeerError, type FdoReply, type FdoTransport } from '@fdo/protocol';
import { request, type Dispatcher } from 'undici';

export const FDO_PROTOCOL_VERSION = 101;
const ERROR_MSG_TYPE = 255;

export interface HttpTransportOptions {
  /** Milliseconds to wait for the reply's headers, and again for its body (default 30 s). */
  timeoutMs?: number;
  /** Largest reply body accepted, in bytes (default 1 MiB; FDO messages are far smaller). */
  maxReplyBytes?: number;
  /** An undici dispatcher (Agent, ProxyAgent, MockAgent…); the global one by default. */
  dispatcher?: Dispatcher;
}

export class FdoTransportError extends Error {
  override name = 'FdoTransportError';
  constructor(
    message: string,
    readonly url: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface HttpTransport extends FdoTransport {
  /** The bearer token of the session so far (undefined before the first reply that carries one). */
  readonly token: string | undefined;
  /** The base URL messages are posted under. */
  readonly baseUrl: string;
  /** Ends the session (forgets the token). Connections belong to the dispatcher and stay pooled. */
  close(): Promise<void>;
}

function bearerValue(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === '') return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(value.trim());
  return m?.[1] ?? value.trim();
}

function headerValue(header: string | string[] | undefined): string | undefined {
  return Array.isArray(header) ? header[0] : header;
}

/** `base` may carry a path prefix (`https://rv.example.com/fdo-proxy/`); the FDO path is appended to it. */
export function messageUrl(base: string, msgType: number): string {
  const url = new URL(base);
  const prefix = url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
  url.pathname = `${prefix}/fdo/${FDO_PROTOCOL_VERSION}/msg/${msgType}`;
  return url.toString();
}

async function readBody(body: Dispatcher.ResponseData['body'], limit: number, url: string): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      body.destroy();
      throw new FdoTransportError(`reply from ${url} is larger than ${limit} bytes`, url);
    }
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/** Opens an FDO session with the server at `baseUrl` (e.g. `http://127.0.0.1:8040`). */
export function httpTransport(baseUrl: string, options: HttpTransportOptions = {}): HttpTransport {
  new URL(baseUrl); // fail now, with the URL's own message, rather than at the first send
  const timeout = options.timeoutMs ?? 30_000;
  const limit = options.maxReplyBytes ?? 1 << 20;
  let token: string | undefined;

  async function send(msgType: number, body: Uint8Array): Promise<FdoReply> {
    const url = messageUrl(baseUrl, msgType);
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        method: 'POST',
        body: Buffer.from(body.buffer, body.byteOffset, body.byteLength),
        headers: {
          'content-type': 'application/cbor',
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        },
        headersTimeout: timeout,
        bodyTimeout: timeout,
        ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
      });
    } catch (err) {
      throw new FdoTransportError(`cannot reach ${url}: ${(err as Error).message}`, url, undefined, { cause: err });
    }
    const reply = await readBody(response.body, limit, url);
    const typeHeader = headerValue(response.headers['message-type']);
    const replyType = typeHeader !== undefined && /^\d{1,3}$/.test(typeHeader.trim()) ? Number(typeHeader) : undefined;
    if (replyType === ERROR_MSG_TYPE) {
      let decoded;
      try {
        decoded = decodeErrorMessage(reply);
      } catch (err) {
        throw new FdoTransportError(`${url} answered message 255 with an unreadable body`, url, response.statusCode, {
          cause: err,
        });
      }
      throw new FdoPeerError(decoded, url);
    }
    if (response.statusCode !== 200) {
      throw new FdoTransportError(
        `${url} answered HTTP ${response.statusCode}, not an FDO message`,
        url,
        response.statusCode,
      );
    }
    if (replyType === undefined) {
      throw new FdoTransportError(`${url} answered without a valid Message-Type header`, url, response.statusCode);
    }
    token = bearerValue(response.headers.authorization) ?? token;
    return { msgType: replyType, body: reply };
  }

  return {
    send,
    baseUrl,
    close: async () => {
      token = undefined;
    },
    get token() {
      return token;
    },
  };
}
