/**
 * `fdo-device`: the device side of FDO from a shell. One line per subcommand in {@link COMMANDS}.
 * Exit codes: 0 success, 1 failure (the peer refused, the network failed, a file problem), 2 usage error.
 */
import { FdoPeerError } from '@fdo/protocol';
import { diCommand, DI_USAGE } from './di.js';
import { onboardCommand, ONBOARD_USAGE } from './onboard.js';
import { showCommand, SHOW_USAGE } from './show.js';
import { to1Command, TO1_USAGE } from './to1.js';
import { nodeIo, UsageError, type CliIo, type Command } from './io.js';

export const COMMANDS: Record<string, { run: Command; usage: string }> = {
  di: { run: diCommand, usage: DI_USAGE },
  to1: { run: to1Command, usage: TO1_USAGE },
  onboard: { run: onboardCommand, usage: ONBOARD_USAGE },
  show: { run: showCommand, usage: SHOW_USAGE },
};

/** Who a command talks to, for error messages. */
const PEER: Record<string, string> = { di: 'manufacturer', to1: 'rendezvous server', onboard: 'owner' };

export function usage(): string {
  return `Usage:\n${Object.values(COMMANDS)
    .map((c) => `  ${c.usage.replace(/\n/g, '\n  ')}`)
    .join('\n')}\n`;
}

/** Runs the CLI; resolves with the exit code. */
export async function runDeviceCli(argv: string[], io: CliIo = nodeIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    (name === undefined ? io.stderr : io.stdout)(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  try {
    if (command === undefined) throw new UsageError(`unknown command "${name}"`);
    return await command.run(args, io);
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true) {
      io.stderr(`fdo-device: ${(err as Error).message}\n${usage()}`);
      return 2;
    }
    const prefix = err instanceof FdoPeerError ? `the ${PEER[name] ?? 'server'} refused` : 'failed';
    io.stderr(`fdo-device ${name}: ${prefix}: ${(err as Error).message}\n`);
    return 1;
  }
}
