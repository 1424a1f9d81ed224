/**
 * fdo.wget (https://github.com/fido-alliance/fdo-sim/blob/main/fsim-repository/fdo.wget.md): the
 * device fetches a URL itself (HTTP required, HTTPS optional) and stores it.
 *
 * ```cddl
 * fdo.wget:sha-384 = bstr .size 48 ; o → d, optional: the device checks the file against it
 * fdo.wget:name    = tstr          ; o → d, optional: where to store it (default: the URL's last path segment)
 * fdo.wget:url     = tstr          ; o → d, fetch now
 * fdo.wget:done    = int           ; d → o, the length retrieved (after the hash check, when sent)
 * fdo.wget:error   = tstr          ; d → o, why it failed
 * ```
 * Order: sha-384 and name before url; url starts the transfer.
 */
export const Wget = {
  module: 'fdo.wget',
  sha384: 'sha-384',
  name: 'name',
  url: 'url',
  done: 'done',
  error: 'error',
} as const;
