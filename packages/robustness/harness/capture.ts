/**
 * Raw FDO messages over HTTP (FDO 1.1 §4.3) for adversarial tests: a client transport that keeps the
 * session token where a test can read (and steal) it, and stops a real protocol run just before a
 * chosen message, so the test holds that message's valid body, its token, and a server session
 * waiting for it.
 */
import { decodeErrorMessage, FdoPeerError, type FdoReply, type FdoTransport } from '@fdo/protocol';

export interface RawReply {
  status: number;
  /** The Message-Type header (NaN when absent). */
  msgType: number;
  token: string | undefined;
  body: Uint8Array;
}

/** Posts one FDO message; `timeoutMs` bounds the whole exchange (a hang is a finding, not a stuck test). */
export async function post(
  base: string,
  msgType: number,
  body: Uint8Array,
  token?: string,
  timeoutMs = 10_000,
): Promise<RawReply> {
  const res = await fetch(`${base}/fdo/101/msg/${msgType}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/cbor',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  return {
    status: res.status,
    msgType: Number(res.headers.get('message-type') ?? NaN),
    token: res.headers.get('authorization')?.replace(/^Bearer\s+/i, ''),
    body: new Uint8Array(await res.arrayBuffer()),
  };
}

/** A message as a client was about to send it. */
export interface Captured {
  msgType: number;
  body: Uint8Array;
  /** The session token it would have carried. */
  token: string | undefined;
}

class Stopped extends Error {
  constructor(readonly captured: Captured) {
    super(`stopped before message ${captured.msgType}`);
  }
}

/** A transport that records every message it sends, and the token, and may stop before one type. */
export class RecordingTransport implements FdoTransport {
  token: string | undefined;
  readonly sent: Captured[] = [];
  constructor(
    readonly base: string,
    private readonly stopBefore?: number,
  ) {}

  async send(msgType: number, body: Uint8Array): Promise<FdoReply> {
    const captured = { msgType, body, token: this.token };
    if (msgType === this.stopBefore) throw new Stopped(captured);
    this.sent.push(captured);
    const reply = await post(this.base, msgType, body, this.token);
    if (reply.token !== undefined) this.token = reply.token;
    if (reply.msgType === 255) throw new FdoPeerError(decodeErrorMessage(reply.body));
    return { msgType: reply.msgType, body: reply.body };
  }
}

/**
 * Runs a protocol client up to message `stopBefore` and returns that message unsent. The server's
 * session now waits for it.
 */
export async function captureBefore(
  base: string,
  stopBefore: number,
  run: (transport: FdoTransport) => Promise<unknown>,
): Promise<Captured> {
  const transport = new RecordingTransport(base, stopBefore);
  try {
    await run(transport);
  } catch (err) {
    if (err instanceof Stopped) return err.captured;
    throw err;
  }
  throw new Error(`the protocol ended without sending message ${stopBefore}`);
}
