/**
 * A device's servers tried in order (FDO 1.1 §3.7: rendezvous servers in TO1, owner addresses in TO2):
 * one HTTP transport per address, the first that completes wins, and every failure is kept to show.
 */
import { httpTransport, type HttpTransport } from '@fdo/client-kit';

/** One failed address: its URL and why. */
export interface Attempt {
  url: string;
  error: Error;
}

export interface InTurnOptions {
  /** Per-message timeout (default: the transport's). */
  timeoutMs?: number | undefined;
  /** Called before each address is tried, and with the error when it fails. */
  onAttempt?: ((url: string, error?: Error) => void) | undefined;
}

/** Runs `run` at each URL in turn; resolves with the first result, or with every failure. */
export async function inTurn<T>(
  urls: readonly string[],
  options: InTurnOptions,
  run: (transport: HttpTransport, url: string) => Promise<T>,
): Promise<{ value: T; url: string } | { attempts: Attempt[] }> {
  const attempts: Attempt[] = [];
  const failed = (url: string, error: Error) => {
    attempts.push({ url, error });
    options.onAttempt?.(url, error);
  };
  for (const url of urls) {
    options.onAttempt?.(url);
    const scheme = new URL(url).protocol;
    if (scheme !== 'http:' && scheme !== 'https:') {
      // RV info and to1dRV may name TCP or CoAP addresses (§3.3.12); this client speaks FDO over HTTP only (§4.3).
      failed(url, new Error(`${scheme.slice(0, -1)} is not a transport this client speaks (HTTP and HTTPS only)`));
      continue;
    }
    const transport = httpTransport(url, options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs });
    try {
      return { value: await run(transport, url), url };
    } catch (err) {
      failed(url, err instanceof Error ? err : new Error(String(err)));
    } finally {
      await transport.close();
    }
  }
  return { attempts };
}
