/**
 * The owner's TO0 client over HTTP (FDO 1.1 §5.3): registers a voucher's device at a rendezvous
 * server, so that the device, at TO1, is sent to the owner's TO2 addresses.
 */
import { nodeCrypto, runTO0, type RunTO0Input, type TO0Result } from '@fdo/protocol';
import { httpTransport, type HttpTransportOptions } from './http-transport.js';

export interface RegisterWithRendezvousInput extends Omit<RunTO0Input, 'crypto'> {
  /** Default: {@link nodeCrypto}. */
  provider?: RunTO0Input['crypto'];
}

/**
 * Runs TO0 with the rendezvous server at `rendezvousUrl` (e.g. `https://rv.example.com:8040`) and returns
 * the WaitSeconds it granted. A refusal arrives as `FdoPeerError` (its `error.message` says why), a network
 * problem as `FdoTransportError`.
 */
export async function registerWithRendezvous(
  rendezvousUrl: string,
  input: RegisterWithRendezvousInput,
  options: HttpTransportOptions = {},
): Promise<TO0Result> {
  const { provider, ...rest } = input;
  const transport = httpTransport(rendezvousUrl, options);
  try {
    return await runTO0(transport, { ...rest, crypto: provider ?? nodeCrypto });
  } finally {
    await transport.close();
  }
}
