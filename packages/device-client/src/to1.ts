/**
 * TO1 for a device, over HTTP (FDO 1.1 §5.4, rendezvous selection §3.7): asks the rendezvous servers
 * named in the device credential (DCRVInfo), in order, where the device's owner is, proving itself
 * with its attestation key. The first server that answers wins.
 */
import {
  FdoPeerError,
  runTO1,
  type CryptoProvider,
  type DeviceCredential,
  type PrivateKeyDer,
  type RendezvousEndpoint,
  type SignatureAlg,
  type TO1Result,
} from '@fdo/protocol';
import { inTurn, type Attempt } from './in-turn.js';

export interface DeviceTo1Options {
  credential: DeviceCredential;
  /** The device attestation private key (the key of the voucher's device certificate). */
  deviceKey: PrivateKeyDer;
  provider?: CryptoProvider;
  signatureAlg?: SignatureAlg;
  /** Rendezvous servers to ask, in order. Default: the device directives of the credential's RendezvousInfo. */
  rendezvousUrls?: readonly string[];
  /** Per-message timeout (default 30 s). */
  timeoutMs?: number;
  /** Called before each rendezvous server is asked, and with the error when it fails. */
  onAttempt?: (url: string, error?: Error) => void;
}

export interface DeviceTo1Result extends TO1Result {
  /** The rendezvous server that answered. */
  rendezvousUrl: string;
}

/** One failed rendezvous server: its URL and why. */
export type To1Attempt = Attempt;

export class To1FailedError extends Error {
  override name = 'To1FailedError';
  constructor(readonly attempts: readonly To1Attempt[]) {
    super(
      attempts.length === 0
        ? 'TO1: the device credential names no rendezvous server for devices (DCRVInfo)'
        : `TO1 failed at every rendezvous server:\n${attempts.map((a) => `  ${a.url}: ${a.error.message}`).join('\n')}`,
    );
  }
}

function endpointUrl(e: RendezvousEndpoint): string {
  const host = e.host.includes(':') ? `[${e.host}]` : e.host;
  return `${e.protocol}://${host}:${e.port}`;
}

/** The URLs of the device's rendezvous servers, from DCRVInfo (§3.7); RVBypass directives are not among them. */
export function rendezvousUrlsOf(credential: Pick<DeviceCredential, 'rvInfo'>): string[] {
  return credential.rvInfo
    .deviceEndpoints()
    .filter((e) => e.bypass !== true)
    .map(endpointUrl);
}

/** The owner URLs of DCRVInfo's RVBypass directives (§3.7.1): the device runs TO2 there without TO1. */
export function bypassUrlsOf(credential: Pick<DeviceCredential, 'rvInfo'>): string[] {
  return credential.rvInfo
    .deviceEndpoints()
    .filter((e) => e.bypass === true)
    .map(endpointUrl);
}

/**
 * Runs TO1 against each rendezvous server until one redirects the device. Throws {@link To1FailedError}
 * listing every server's answer (e.g. error 6 "no owner registration for GUID …") when none does.
 * @NOTE RendezvousInfo delays (RVDelaysec) and the retry loop of §3.7 belong to the device's run loop.
 */
export async function runDeviceTo1(options: DeviceTo1Options): Promise<DeviceTo1Result> {
  const urls = options.rendezvousUrls ?? rendezvousUrlsOf(options.credential);
  const outcome = await inTurn(urls, options, (transport) =>
    runTO1(transport, {
      credential: options.credential,
      deviceKey: options.deviceKey,
      ...(options.provider === undefined ? {} : { provider: options.provider }),
      ...(options.signatureAlg === undefined ? {} : { signatureAlg: options.signatureAlg }),
    }),
  );
  if ('attempts' in outcome) throw new To1FailedError(outcome.attempts);
  return { ...outcome.value, rendezvousUrl: outcome.url };
}

/** True when a rendezvous server answered "not registered" (error 6): the owner has not run TO0 yet. */
export function isNotRegistered(err: unknown): boolean {
  return err instanceof FdoPeerError && err.error.code === 6;
}
