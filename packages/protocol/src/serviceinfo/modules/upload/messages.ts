/**
 * fdo.upload (https://github.com/fido-alliance/fdo-sim/blob/main/fsim-repository/fdo.upload.md):
 * a file from the device to the owner, length-prefix mode.
 *
 * ```cddl
 * fdo.upload:need-sha = bool          ; o → d, optional: the device sends sha-384 after the data
 * fdo.upload:name     = tstr          ; o → d, the file to send (relative or full path)
 * fdo.upload:length   = uint          ; d → o, before the first data
 * fdo.upload:data     = bstr          ; d → o, up to 1014 bytes each; at least one (empty for an empty file)
 * fdo.upload:sha-384  = bstr .size 48 ; d → o, when need-sha was true
 * ```
 */
export const Upload = {
  module: 'fdo.upload',
  needSha: 'need-sha',
  name: 'name',
  length: 'length',
  data: 'data',
  sha384: 'sha-384',
  maxChunk: 1014,
} as const;
