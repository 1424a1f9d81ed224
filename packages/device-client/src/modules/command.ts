/**
 * fdo.command, device side (https://github.com/fido-alliance/fdo-sim/blob/main/fsim-repository/fdo.command.md):
 * runs only executables on the allow-list (exact names as the owner sends them in
 * fdo.command:command), without a shell unless the shell itself is allowed, in the working
 * directory, with a timeout; answers stdout/stderr (when asked, capped, in blocks that fit the
 * owner's limit) and exitcode.
 *
 * As the page says, a command runs to its end while ServiceInfo waits. A failure (exit code not 0,
 * refused by the allow-list, timed out) ends TO2 unless may_fail was true; then it is reported as
 * exit code 126 (refused) or 124 (timed out, as timeout(1) does). `sig` arrives only after the
 * command ended, so it is ignored.
 */
import { spawn } from 'node:child_process';
import { read } from '@fdo/protocol/cbor';
import { InvalidMessageError } from '@fdo/protocol';
import {
  Command,
  dataRoom,
  decodeCommandArgs,
  type DeviceServiceInfoModule,
  type ServiceInfoMessage,
} from '@fdo/protocol/serviceinfo';

export interface CommandDeviceOptions {
  /** Executables the owner may run, matched exactly against fdo.command:command. */
  allow: readonly string[];
  /** The working directory (shared with fdo.download/fdo.upload, the page says). */
  cwd: string;
  /** Default 60 s. */
  timeoutMs?: number;
  /** Output bytes returned per stream; the rest is dropped. Default 64 KiB. */
  maxOutput?: number;
}

export const EXIT_REFUSED = 126;
export const EXIT_TIMED_OUT = 124;

interface Pending {
  command: string | null;
  args: string[];
  mayFail: boolean;
  stdout: boolean;
  stderr: boolean;
}

export interface CommandDeviceRun {
  command: string;
  args: string[];
  exitcode: number;
  refused: boolean;
}

const fresh = (): Pending => ({ command: null, args: [], mayFail: false, stdout: false, stderr: false });

function run(
  command: string,
  args: string[],
  options: CommandDeviceOptions,
): Promise<{ code: number; timedOut: boolean; stdout: Buffer; stderr: Buffer; error: string | null }> {
  const max = options.maxOutput ?? 64 << 10;
  return new Promise((resolve) => {
    // Its own process group, so that a timeout kills what it started too (sh -c 'sleep …').
    const child = spawn(command, args, {
      cwd: options.cwd,
      shell: false,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const keep = (list: Buffer[]) => (b: Buffer) => {
      const room = max - list.reduce((n, x) => n + x.length, 0);
      if (room > 0) list.push(b.subarray(0, room));
    };
    child.stdout.on('data', keep(out));
    child.stderr.on('data', keep(err));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, options.timeoutMs ?? 60_000);
    let spawnError: string | null = null;
    child.on('error', (e) => (spawnError = e.message));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code: timedOut ? EXIT_TIMED_OUT : (code ?? (spawnError === null ? 128 : 127)),
        timedOut,
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err),
        error: spawnError,
      });
    });
  });
}

function blocks(message: string, data: Buffer, budget: number): ServiceInfoMessage[] {
  const room = dataRoom(`${Command.module}:${message}`, budget);
  const out: ServiceInfoMessage[] = [];
  for (let at = 0; at < data.length; at += room) out.push({ message, value: data.subarray(at, at + room) });
  return out;
}

export function commandDevice(options: CommandDeviceOptions): DeviceServiceInfoModule {
  let p = fresh();
  const runs: CommandDeviceRun[] = [];

  async function execute(budget: number): Promise<ServiceInfoMessage[]> {
    const { command, args, mayFail, ...wanted } = p;
    p = fresh();
    if (command === null) throw new InvalidMessageError('fdo.command:execute before fdo.command:command');
    if (!options.allow.includes(command)) {
      runs.push({ command, args, exitcode: EXIT_REFUSED, refused: true });
      if (!mayFail) throw new InvalidMessageError(`fdo.command: ${command} is not on this device's allow-list`);
      const note = Buffer.from(`fdo.command: ${command} is not on this device's allow-list\n`);
      return [
        ...(wanted.stderr ? blocks(Command.stderr, note, budget) : []),
        { message: Command.exitcode, value: EXIT_REFUSED },
      ];
    }
    const r = await run(command, args, options);
    runs.push({ command, args, exitcode: r.code, refused: false });
    if (r.code !== 0 && !mayFail) {
      const why = r.timedOut ? 'timed out' : (r.error ?? `exited with ${r.code}`);
      throw new InvalidMessageError(`fdo.command: ${command} ${why}`);
    }
    return [
      ...(wanted.stdout ? blocks(Command.stdout, r.stdout, budget) : []),
      ...(wanted.stderr ? blocks(Command.stderr, r.stderr, budget) : []),
      { message: Command.exitcode, value: r.code },
    ];
  }

  return {
    name: Command.module,
    activate() {
      p = fresh();
    },
    async receive(message, value, { budget }) {
      switch (message) {
        case Command.command:
          p = { ...fresh(), command: read.text(value, 'fdo.command:command') };
          return;
        case Command.args:
          p.args = decodeCommandArgs(value);
          return;
        case Command.mayFail:
          p.mayFail = read.bool(value, 'fdo.command:may_fail');
          return;
        case Command.returnStdout:
          p.stdout = read.bool(value, 'fdo.command:return_stdout');
          return;
        case Command.returnStderr:
          p.stderr = read.bool(value, 'fdo.command:return_stderr');
          return;
        case Command.execute:
          return execute(budget);
        default:
          return; // sig: nothing runs between messages
      }
    },
    result: () => runs,
  };
}
