/**
 * What this device says about itself in devmod (FDO 1.1 §3.8.3), the first ServiceInfo of TO2.
 * By default the values come from the host the client runs on and from the device credential;
 * each can be overridden (a device image that knows better, or a test).
 */
import { machine, release, tmpdir, type as osType } from 'node:os';
import { sep } from 'node:path';
import type { DeviceCredential } from '@fdo/protocol';
import type { DevmodInfo } from '@fdo/protocol/serviceinfo';

export interface HostDevmodOptions {
  /** devmod:sn. Default: the credential's DeviceInfo, which our DI sets to the serial number unless told otherwise. */
  serialNumber?: string;
  /** Any devmod value to report instead of the host's. */
  overrides?: Partial<DevmodInfo>;
}

/**
 * devmod for this host:
 * - os: the kernel name (`Linux`, `Darwin`, `Windows_NT`), the spec's example being "Linux";
 * - arch: the machine type as `uname -m` prints it (`x86_64`, `aarch64`), the spec's example being "X86_64";
 * - version: the kernel release;
 * - device: DCDeviceInfo, the model the manufacturer wrote at DI;
 * - sn: see {@link HostDevmodOptions.serialNumber};
 * - pathsep, tmp and nl: this platform's; sep ";"; bin: the machine type, as arch.
 */
export function hostDevmod(
  credential: Pick<DeviceCredential, 'deviceInfo'>,
  options: HostDevmodOptions = {},
): DevmodInfo {
  const machineType = machine();
  return {
    os: osType(),
    arch: machineType,
    version: release(),
    device: credential.deviceInfo,
    sn: options.serialNumber ?? credential.deviceInfo,
    pathsep: sep,
    sep: ';',
    nl: process.platform === 'win32' ? '\r\n' : '\n',
    tmp: tmpdir(),
    bin: machineType,
    ...options.overrides,
  };
}
