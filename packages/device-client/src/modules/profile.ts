/**
 * Operational credential profiles, device side: `fdo-platform.profile` (see the protocol package's
 * message table) names the profile before fdo.csr and fdo.download start, and both then write into
 * `<credentials dir>/<profile>/`:
 *
 * ```
 * <dir>/<profile>/key.pem      the device's operational private key (PKCS#8, mode 0600), made here
 * <dir>/<profile>/cert.pem     its certificate from the owner's issuing CA, followed by that CA
 * <dir>/<profile>/ca.pem       the CA certificates to trust the server (broker, AWS IoT, Azure)
 * <dir>/<profile>/config.json  what the cloud's SDK needs (docs/credential-profiles.md, per kind)
 * ```
 * Without a profile in this TO2, fdo.csr writes key.pem, cert.pem and ca.pem into `<dir>` itself and
 * fdo.download into its own directory.
 */
import { join } from 'node:path';
import { Profile, readProfileName, type DeviceServiceInfoModule } from '@fdo/protocol/serviceinfo';
import { read } from '@fdo/protocol/cbor';
import { csrDevice } from './csr.js';
import { downloadDevice } from './download.js';

export interface CredentialModulesOptions {
  /** The credentials directory: one subdirectory per profile. */
  credentialsDir: string;
  /** Where fdo.download writes when no profile is named. */
  downloadDir: string;
  keyType?: 'ec256' | 'ec384';
}

export interface ProfileDeviceResult {
  profile: string | null;
  kind: string | null;
  dir: string | null;
}

/**
 * fdo-platform.profile, fdo.csr and fdo.download for the device, wired so that a profile's set lands
 * in its own directory. In this order: the profile module must see its name before fdo.csr starts.
 */
export function credentialModules(options: CredentialModulesOptions): DeviceServiceInfoModule[] {
  const chosen: ProfileDeviceResult = { profile: null, kind: null, dir: null };
  const profile: DeviceServiceInfoModule = {
    name: Profile.module,
    activate() {
      chosen.profile = chosen.kind = chosen.dir = null;
    },
    receive(message, value) {
      if (message === Profile.name) {
        chosen.profile = readProfileName(value);
        chosen.dir = join(options.credentialsDir, chosen.profile);
      } else if (message === Profile.kind) {
        chosen.kind = read.text(value, 'fdo-platform.profile:kind');
      }
    },
    result: () => ({ ...chosen }),
  };
  return [
    profile,
    csrDevice({
      dir: () => chosen.dir ?? options.credentialsDir,
      caFile: () => chosen.dir === null,
      ...(options.keyType === undefined ? {} : { keyType: options.keyType }),
    }),
    downloadDevice({ dir: () => chosen.dir ?? options.downloadDir }),
  ];
}
