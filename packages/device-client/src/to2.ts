/**
 * TO2 for a device, over HTTP (FDO 1.1 §5.5): proves the owner, proves the device, exchanges
 * ServiceInfo and receives the replacement credential, with the owner addresses TO1 returned
 * (to1dRV, §5.4.4) or an RVBypass directive named (§3.7.1), tried in order until one onboards
 * the device. The caller stores the result: see onboard.ts.
 */
import {
  FdoPeerError,
  runTO2,
  type CryptoProvider,
  type DeviceCredential,
  type PrivateKeyDer,
  type To1d,
  type TO2Progress,
  type TO2Result,
} from '@fdo/protocol';
import type { DeviceServiceInfoModule, DevmodInfo } from '@fdo/protocol/serviceinfo';
import { inTurn, type Attempt } from './in-turn.js';

export interface DeviceTo2Options {
  credential: DeviceCredential;
  /** The device attestation private key (the key of the voucher's device certificate). */
  deviceKey: PrivateKeyDer;
  /** The owner's TO2 addresses, in order: to1dRV from TO1, RVBypass URLs, or given by hand. */
  ownerUrls: readonly string[];
  /** to1d from TO1: TO2 checks that the proven owner key signed it (§5.5.3). Absent with RVBypass. */
  to1d?: To1d;
  /** What devmod reports (see `hostDevmod`). */
  devmod: DevmodInfo;
  serviceInfoModules?: readonly DeviceServiceInfoModule[];
  /** Kex suite name (§3.6.5). Default: the protocol's choice for the device key (ECDH256 / ECDH384). */
  kexSuite?: string;
  /** CipherSuiteName (§3.6.4). Default: the protocol's (A128GCM). */
  cipherSuite?: number;
  maxDeviceMessageSize?: number;
  maxOwnerServiceInfoSize?: number;
  /** Default true: accept credential reuse when the owner offers it (§5.5.9). */
  allowCredentialReuse?: boolean;
  crypto?: CryptoProvider;
  /** Per-message timeout (default 30 s). */
  timeoutMs?: number;
  /** Called before each owner address is tried, and with the error when it fails. */
  onAttempt?: (url: string, error?: Error) => void;
  /** TO2's progress at the owner being tried. */
  onProgress?: (url: string, event: TO2Progress) => void;
}

export interface DeviceTo2Result extends TO2Result {
  /** The owner address that onboarded the device. */
  ownerUrl: string;
}

/** One failed owner address: its URL and why. */
export type To2Attempt = Attempt;

export class To2FailedError extends Error {
  override name = 'To2FailedError';
  constructor(readonly attempts: readonly To2Attempt[]) {
    super(
      attempts.length === 0
        ? 'TO2: no owner address to try'
        : `TO2 failed at every owner address:\n${attempts.map((a) => `  ${a.url}: ${a.error.message}`).join('\n')}`,
    );
  }
}

/** The TO2 settings a caller passes through unchanged (to runTO2, or from onboard). */
export const TO2_SETTINGS = [
  'serviceInfoModules',
  'kexSuite',
  'cipherSuite',
  'maxDeviceMessageSize',
  'maxOwnerServiceInfoSize',
  'allowCredentialReuse',
  'crypto',
  'timeoutMs',
] as const satisfies readonly (keyof DeviceTo2Options)[];
export type To2Settings = Pick<DeviceTo2Options, (typeof TO2_SETTINGS)[number]>;

/** The given (not undefined) values of `keys`: optional properties stay absent (exactOptionalPropertyTypes). */
export function pickDefined<T extends object, K extends keyof T>(from: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const k of keys) if (from[k] !== undefined) out[k] = from[k];
  return out;
}

/**
 * Runs TO2 at each owner address until one completes (TO2.Done2). Throws {@link To2FailedError}
 * listing every address's failure. Nothing is stored here: the device credential changes only when
 * the caller writes the result.
 * @NOTE A device whose ServiceInfo modules act on the device (install, configure) sees them run
 * again at the next address if a later step fails at the first; modules must be idempotent (§3.8).
 */
export async function runDeviceTo2(options: DeviceTo2Options): Promise<DeviceTo2Result> {
  const { timeoutMs, ...settings } = pickDefined(options, TO2_SETTINGS);
  const onProgress = options.onProgress;
  const outcome = await inTurn(options.ownerUrls, { timeoutMs, onAttempt: options.onAttempt }, (transport, url) =>
    runTO2(transport, {
      ...settings,
      ...(options.to1d === undefined ? {} : { to1d: options.to1d }),
      credential: options.credential,
      deviceKey: options.deviceKey,
      devmod: options.devmod,
      ...(onProgress === undefined ? {} : { onProgress: (event: TO2Progress) => onProgress(url, event) }),
    }),
  );
  if ('attempts' in outcome) throw new To2FailedError(outcome.attempts);
  return { ...outcome.value, ownerUrl: outcome.url };
}

/** True when an owner answered "no voucher for this device" (error 6 to TO2.HelloDevice). */
export function isUnknownToOwner(err: unknown): boolean {
  return err instanceof FdoPeerError && err.error.code === 6;
}
