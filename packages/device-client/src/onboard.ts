/**
 * Onboarding a device from its credential file: TO1 (FDO 1.1 §5.4) to learn where the owner is, TO2
 * (§5.5) with that owner, then the replacement credential (§5.5.9) stored in place of the old one.
 *
 * The credential file is replaced only after TO2.Done2, atomically (temporary file, fsync, rename,
 * see credential-file.ts): a device that loses power or is killed at any point before the rename
 * still holds its old credential, and onboards again on the next attempt. With credential reuse
 * (§5.5.9, the owner sent back the same GUID, RV info and key) the file is left exactly as it was.
 *
 * Where TO2 goes:
 * - `ownerUrls` given: straight to TO2 there (no TO1, no to1d check);
 * - else RVBypass directives in the credential's RendezvousInfo (§3.7.1): TO2 at their addresses first;
 * - then TO1 at the rendezvous servers (`rendezvousUrls`, default DCRVInfo), and TO2 at the addresses
 *   the owner registered (to1dRV), with to1d checked against the proven owner key.
 */
import { formatGuid, type PublicKey, type To1d } from '@fdo/protocol';
import type { DevmodInfo } from '@fdo/protocol/serviceinfo';
import {
  readCredentialFile,
  removeStaleTemporaryFiles,
  writeCredentialFile,
  type DeviceCredentialFile,
} from './credential-file.js';
import { hostDevmod } from './devmod.js';
import { bypassUrlsOf, rendezvousUrlsOf, runDeviceTo1 } from './to1.js';
import {
  pickDefined,
  runDeviceTo2,
  TO2_SETTINGS,
  To2FailedError,
  type DeviceTo2Result,
  type To2Attempt,
  type To2Settings,
} from './to2.js';

/** One step of onboarding, reported as it happens (the CLI prints each on stderr). */
export type OnboardStep =
  | { step: 'to1'; url: string }
  | { step: 'to1-failed'; url: string; error: Error }
  | { step: 'redirected'; rendezvousUrl: string; ownerUrls: string[] }
  | { step: 'bypass'; ownerUrls: string[] }
  | { step: 'to2'; url: string }
  | { step: 'to2-failed'; url: string; error: Error }
  | { step: 'owner-proven'; url: string; ownerKey: PublicKey; ovEntries: number }
  | { step: 'setup-device'; url: string; replacementGuid: string; credentialReused: boolean }
  | { step: 'service-info-module'; url: string; module: string; requested: boolean; active: boolean }
  | { step: 'done'; url: string }
  | { step: 'credential-replaced'; file: string; oldGuid: string; newGuid: string }
  | { step: 'credential-kept'; file: string; guid: string };

/** Onboarding options; the TO2 settings (kex and cipher suite, sizes, ServiceInfo modules…) as runDeviceTo2's. */
export interface OnboardOptions extends To2Settings {
  /** The device credential file (this client's format); replaced in place on success. */
  credentialFile: string;
  /** Rendezvous servers for TO1 instead of DCRVInfo's. */
  rendezvousUrls?: readonly string[];
  /** Skip TO1 and run TO2 at these owner addresses. */
  ownerUrls?: readonly string[];
  /** devmod:sn (default: DCDeviceInfo, see `hostDevmod`). */
  serialNumber?: string;
  /** devmod values to report instead of the host's. */
  devmod?: Partial<DevmodInfo>;
  onStep?: (event: OnboardStep) => void;
}

export interface OnboardResult {
  /** The GUID before onboarding, and after (the same with credential reuse). */
  oldGuid: string;
  newGuid: string;
  credentialReused: boolean;
  credentialFile: string;
  /** How the owner was found. */
  route: 'owner-url' | 'bypass' | 'to1';
  rendezvousUrl?: string;
  ownerUrl: string;
  /** Each device module's outcome, by name: `{ active, result }`. */
  serviceInfoResults: Record<string, unknown>;
}

/** TO2 completed but the new credential could not be stored: the old one is still in the file. */
export class CredentialNotSavedError extends Error {
  override name = 'CredentialNotSavedError';
}

/** Onboards the device of `credentialFile`; throws To1FailedError, To2FailedError or a file error. */
export async function onboard(options: OnboardOptions): Promise<OnboardResult> {
  const file = options.credentialFile;
  removeStaleTemporaryFiles(file);
  const current = readCredentialFile(file);
  if (!current.credential.active) {
    throw new Error(`${file}: DCActive is false: FDO onboarding is turned off for this device (§3.4.1)`);
  }
  const { result, route, rendezvousUrl } = await findOwnerAndRunTo2(options, current);
  const oldGuid = formatGuid(current.credential.guid);
  const newGuid = formatGuid(result.replacementCredential.guid);
  const emit = options.onStep ?? (() => undefined);
  emit({ step: 'done', url: result.ownerUrl });
  if (result.credentialReused) {
    emit({ step: 'credential-kept', file, guid: oldGuid });
  } else {
    // The device key stays: TO2 replaces the credential, not the device's identity (§5.5.9).
    const replacement = { credential: result.replacementCredential, privateKey: current.privateKey };
    try {
      writeCredentialFile(file, replacement, { force: true });
    } catch (err) {
      throw new CredentialNotSavedError(
        `TO2 with ${result.ownerUrl} completed, but the replacement credential (GUID ${newGuid}) could not be ` +
          `written to ${file}: ${(err as Error).message}. The file still holds GUID ${oldGuid}.`,
        { cause: err },
      );
    }
    emit({ step: 'credential-replaced', file, oldGuid, newGuid });
  }
  return {
    oldGuid,
    newGuid,
    credentialReused: result.credentialReused,
    credentialFile: file,
    route,
    ...(rendezvousUrl === undefined ? {} : { rendezvousUrl }),
    ownerUrl: result.ownerUrl,
    serviceInfoResults: result.serviceInfoResults,
  };
}

interface Found {
  result: DeviceTo2Result;
  route: OnboardResult['route'];
  rendezvousUrl?: string;
}

async function findOwnerAndRunTo2(options: OnboardOptions, current: DeviceCredentialFile): Promise<Found> {
  const emit = options.onStep ?? (() => undefined);
  const to2 = (ownerUrls: readonly string[], to1d?: To1d) => runTo2(options, current, ownerUrls, to1d);
  if (options.ownerUrls !== undefined) return { result: await to2(options.ownerUrls), route: 'owner-url' };

  const failed: To2Attempt[] = [];
  const bypass = options.rendezvousUrls === undefined ? bypassUrlsOf(current.credential) : [];
  const rendezvousUrls = options.rendezvousUrls ?? rendezvousUrlsOf(current.credential);
  if (bypass.length > 0) {
    emit({ step: 'bypass', ownerUrls: bypass });
    try {
      return { result: await to2(bypass), route: 'bypass' };
    } catch (err) {
      if (!(err instanceof To2FailedError) || rendezvousUrls.length === 0) throw err;
      failed.push(...err.attempts);
    }
  }
  const to1 = await runDeviceTo1({
    credential: current.credential,
    deviceKey: current.privateKey,
    rendezvousUrls,
    ...(options.crypto === undefined ? {} : { provider: options.crypto }),
    ...pickDefined(options, ['timeoutMs']),
    onAttempt: (url, error) => emit(error === undefined ? { step: 'to1', url } : { step: 'to1-failed', url, error }),
  });
  const ownerUrls = to1.addresses.map((a) => a.toUrl());
  emit({ step: 'redirected', rendezvousUrl: to1.rendezvousUrl, ownerUrls });
  try {
    return { result: await to2(ownerUrls, to1.to1d), route: 'to1', rendezvousUrl: to1.rendezvousUrl };
  } catch (err) {
    if (err instanceof To2FailedError && failed.length > 0) throw new To2FailedError([...failed, ...err.attempts]);
    throw err;
  }
}

function runTo2(
  options: OnboardOptions,
  current: DeviceCredentialFile,
  ownerUrls: readonly string[],
  to1d: To1d | undefined,
): Promise<DeviceTo2Result> {
  const emit = options.onStep ?? (() => undefined);
  return runDeviceTo2({
    ...pickDefined(options, TO2_SETTINGS),
    credential: current.credential,
    deviceKey: current.privateKey,
    ownerUrls,
    devmod: hostDevmod(current.credential, {
      ...pickDefined(options, ['serialNumber']),
      ...(options.devmod === undefined ? {} : { overrides: options.devmod }),
    }),
    ...(to1d === undefined ? {} : { to1d }),
    onAttempt: (url, error) => emit(error === undefined ? { step: 'to2', url } : { step: 'to2-failed', url, error }),
    onProgress: (url, e) => {
      if (e.step === 'setup-device') {
        emit({ ...e, url, replacementGuid: formatGuid(e.replacementGuid) });
      } else emit({ ...e, url });
    },
  });
}
