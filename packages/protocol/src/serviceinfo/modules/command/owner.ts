/**
 * fdo.command, owner side (fdo-sim fsim-repository/fdo.command.md): runs the configured commands
 * one after another; each is sent as command, args, may_fail, return_stdout, return_stderr,
 * execute, and the next waits for the exitcode of the one before (the page allows one at a time).
 *
 * ```
 * start ─▶ [command, args, may_fail, return_*, execute] ─▶ stdout/stderr… ─▶ exitcode ─▶ next … ─▶ done
 * ```
 * Output is kept in the state up to `maxOutput` bytes per stream (the rest is counted, not kept).
 */
import * as read from '../../../cbor/read.js';
import { InvalidMessageError } from '../../../errors.js';
import type { DeviceFacts, OwnerServiceInfoModule } from '../../module.js';
import { Command, encodeCommandArgs } from './messages.js';

export interface CommandItem {
  /** The executable (fdo.command:command). */
  command: string;
  args?: readonly string[];
  /** Default false: a failure on the device ends TO2 there (the page's default behaviour). */
  mayFail?: boolean;
  returnStdout?: boolean;
  returnStderr?: boolean;
}

export interface CommandOwnerOptions {
  commands: readonly CommandItem[] | ((device: DeviceFacts) => readonly CommandItem[]);
  /** Output bytes kept per stream and command; default 64 KiB. */
  maxOutput?: number;
}

export type CommandRunResult = {
  command: string;
  args: string[];
  exitcode: number | null;
  stdout: string;
  stderr: string;
  /** Output bytes received beyond maxOutput, dropped. */
  truncated: number;
};

export type CommandOwnerState = { index: number; sent: boolean; runs: CommandRunResult[] };

export function commandOwner(options: CommandOwnerOptions): OwnerServiceInfoModule<CommandOwnerState> {
  const maxOutput = options.maxOutput ?? 64 << 10;
  const items = (device: DeviceFacts) =>
    typeof options.commands === 'function' ? options.commands(device) : options.commands;
  return {
    name: Command.module,
    start(device) {
      const runs = items(device).map((c) => ({
        command: c.command,
        args: [...(c.args ?? [])],
        exitcode: null,
        stdout: '',
        stderr: '',
        truncated: 0,
      }));
      return { index: 0, sent: false, runs };
    },
    produce(state, { device }) {
      const item = items(device)[state.index];
      if (state.index >= state.runs.length || item === undefined) return { state, messages: [], done: true };
      if (state.sent) return { state, messages: [], done: false };
      return {
        state: { ...state, sent: true },
        messages: [
          { message: Command.command, value: item.command },
          { message: Command.args, value: encodeCommandArgs(item.args ?? []) },
          { message: Command.mayFail, value: item.mayFail ?? false },
          { message: Command.returnStdout, value: item.returnStdout ?? false },
          { message: Command.returnStderr, value: item.returnStderr ?? false },
          { message: Command.execute, value: null },
        ],
        done: false,
      };
    },
    receive(state, { message, value }) {
      const run = state.runs[state.index];
      if (run === undefined || !state.sent)
        throw new InvalidMessageError(`fdo.command:${message} with no command running`);
      const runs = [...state.runs];
      switch (message) {
        case Command.stdout:
        case Command.stderr: {
          const chunk = Buffer.from(read.bytes(value, `fdo.command:${message}`));
          const kept = Buffer.byteLength(run[message]);
          const room = Math.max(0, maxOutput - kept);
          runs[state.index] = {
            ...run,
            [message]: run[message] + chunk.subarray(0, room).toString('utf8'),
            truncated: run.truncated + Math.max(0, chunk.length - room),
          };
          return { ...state, runs };
        }
        case Command.exitcode:
          runs[state.index] = { ...run, exitcode: read.int(value, 'fdo.command:exitcode') };
          return { index: state.index + 1, sent: false, runs };
        default:
          return state;
      }
    },
    result: (state) => state.runs,
  };
}
