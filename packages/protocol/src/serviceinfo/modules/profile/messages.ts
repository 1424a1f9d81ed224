/**
 * fdo-platform.profile: this platform's own module (not an FDO standard module; §3.8.1 leaves
 * other names to implementers). It names the operational credential profile a device receives in
 * this TO2, so that the device knows where the standard modules that follow write: fdo.csr's key
 * and certificate and fdo.download's files land in `<credentials dir>/<name>/`.
 *
 * ```cddl
 * fdo-platform.profile:name = tstr   ; o → d, sent with :active, before fdo.csr:active
 * fdo-platform.profile:kind = tstr   ; o → d, "mqtt" | "aws-iot" | "azure-iot"
 * ```
 * The device does not answer (beyond `:active`). A device without the module answers
 * `active = false`; the owner then sends the profile's files to fdo.download's own directory.
 */
import * as read from '../../../cbor/read.js';
import { MessageBodyError } from '../../../errors.js';

export const Profile = { module: 'fdo-platform.profile', name: 'name', kind: 'kind' } as const;

/** A profile name: one path segment, safe on every file system. */
export const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** The profile name of `fdo-platform.profile:name`, checked to be one safe path segment. */
export function readProfileName(value: unknown): string {
  const name = read.text(value, 'fdo-platform.profile:name');
  if (!PROFILE_NAME.test(name)) {
    throw new MessageBodyError(`fdo-platform.profile:name "${name}" is not one path segment (${PROFILE_NAME.source})`);
  }
  return name;
}
