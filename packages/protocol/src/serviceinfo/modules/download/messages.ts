/**
 * fdo.download (https://github.com/fido-alliance/fdo-sim/blob/main/fsim-repository/fdo.download.md):
 * a file from the owner to the device, in the encrypted TO2 tunnel.
 *
 * ```cddl
 * fdo.download:name    = tstr        ; o → d, relative or full path on the device
 * fdo.download:length  = uint        ; o → d, optional: length-prefix mode (else streaming mode)
 * fdo.download:sha-384 = bstr .size 48 ; o → d, optional: the device must check it
 * fdo.download:data    = bstr        ; o → d, up to 1014 bytes each; an empty one ends streaming mode
 * fdo.download:done    = int         ; d → o, the length written, or -1 (hash mismatch, write error)
 * ```
 * Order: name, length, sha-384, data… ; the device answers done once per file.
 */
export const Download = {
  module: 'fdo.download',
  name: 'name',
  length: 'length',
  sha384: 'sha-384',
  data: 'data',
  done: 'done',
  /** The largest data block the module page allows. */
  maxChunk: 1014,
  /** The value of done when the transfer failed. */
  failed: -1,
} as const;
