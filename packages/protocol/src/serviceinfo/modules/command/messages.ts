/**
 * fdo.command (https://github.com/fido-alliance/fdo-sim/blob/main/fsim-repository/fdo.command.md):
 * the device runs one command at a time and reports its output and exit code.
 *
 * ```cddl
 * fdo.command:command       = tstr          ; o → d, the executable (sh, bash, cmd, or a program)
 * fdo.command:args          = bstr .cbor [* tstr] ; o → d, its arguments (go-fdo: cbor.Bstr[[]string])
 * fdo.command:may_fail      = bool          ; o → d, false: a failure ends TO2 (message 255)
 * fdo.command:return_stdout = bool          ; o → d
 * fdo.command:return_stderr = bool          ; o → d
 * fdo.command:execute       = null          ; o → d, run it (after the messages above)
 * fdo.command:sig           = int           ; o → d, signal the running command
 * fdo.command:stdout        = bstr          ; d → o, a block of standard output
 * fdo.command:stderr        = bstr          ; d → o, a block of standard error
 * fdo.command:exitcode      = int           ; d → o, the command ended (0 = success)
 * ```
 */
import { decode, encode } from '../../../cbor/codec.js';
import * as read from '../../../cbor/read.js';

export const Command = {
  module: 'fdo.command',
  command: 'command',
  args: 'args',
  mayFail: 'may_fail',
  returnStdout: 'return_stdout',
  returnStderr: 'return_stderr',
  execute: 'execute',
  sig: 'sig',
  stdout: 'stdout',
  stderr: 'stderr',
  exitcode: 'exitcode',
} as const;

/** The value of fdo.command:args: the CBOR array of arguments, wrapped in a byte string. */
export function encodeCommandArgs(args: readonly string[]): Uint8Array {
  return encode([...args]);
}

/** Reads fdo.command:args (a bstr holding a CBOR array of text strings). */
export function decodeCommandArgs(value: unknown): string[] {
  const inner = decode(read.bytes(value, 'fdo.command:args'));
  return read.array(inner, 'fdo.command:args').map((a, i) => read.text(a, `fdo.command:args[${i}]`));
}
