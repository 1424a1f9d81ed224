/** What the device CLI's commands share: output streams and the usage error. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

export const nodeIo: CliIo = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };

/** A command line that cannot be run: printed with the usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export type Command = (args: string[], io: CliIo) => Promise<number>;
