/**
 * What the services' command lines share: output streams, usage errors and exit codes (0 done, 1 failure,
 * 2 usage or configuration error), and the `tokens create|list|revoke` command for management API tokens.
 */
import { parseArgs } from 'node:util';
import { parseScopes, type ApiTokenStore } from '@fdo/storage';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

export const nodeIo: CliIo = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };

/** A command line that cannot be run: printed with the usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export type CliCommand = (args: string[], io: CliIo) => Promise<number>;

export interface ServiceCliOptions {
  /** The command's name, e.g. `fdo-rendezvous`. */
  name: string;
  usage: string;
  commands: Record<string, CliCommand>;
  /** Errors that mean "the configuration is wrong" (exit code 2, message printed as is). */
  isConfigError?: (err: unknown) => boolean;
}

/** Dispatches `argv` to a command and maps every outcome to an exit code and a message a person can act on. */
export async function runServiceCli(options: ServiceCliOptions, argv: string[], io: CliIo = nodeIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    (name === undefined ? io.stderr : io.stdout)(options.usage);
    return name === undefined ? 2 : 0;
  }
  try {
    const command = options.commands[name];
    if (command === undefined) throw new UsageError(`unknown command "${name}"`);
    return await command(args, io);
  } catch (err) {
    if (options.isConfigError?.(err) === true) {
      io.stderr(`${(err as Error).message}\n`);
      return 2;
    }
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true) {
      io.stderr(`${options.name}: ${(err as Error).message}\n${options.usage}`);
      return 2;
    }
    io.stderr(`${options.name} ${name}: ${(err as Error).message}\n`);
    return 1;
  }
}

export const TOKENS_USAGE = `tokens create --name NAME --scope read|write|admin[,...]   create a management API token (shown once)
  tokens list                                               list tokens (never their values)
  tokens revoke ID                                          revoke a token`;

/**
 * `tokens create|list|revoke`. `openStore` opens the service's database (from its configuration) and
 * returns its token store and how to close it.
 */
export function tokensCommand(openStore: () => Promise<{ store: ApiTokenStore; close(): Promise<void> }>): CliCommand {
  return async (args, io) => {
    const { values, positionals } = parseArgs({
      args,
      options: { name: { type: 'string' }, scope: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    const [action, id, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(`tokens: unexpected argument "${extra[0]}"`);
    if (action !== 'create' && action !== 'list' && action !== 'revoke') {
      throw new UsageError(action === undefined ? 'tokens: missing action' : `tokens: unknown action "${action}"`);
    }
    if (action === 'create' && (values.name === undefined || values.scope === undefined)) {
      throw new UsageError('tokens create needs --name and --scope');
    }
    if (action === 'revoke' && id === undefined)
      throw new UsageError('tokens revoke needs the token ID (see tokens list)');
    let scopes;
    try {
      scopes = action === 'create' ? parseScopes(values.scope!) : [];
    } catch (err) {
      throw new UsageError(`--scope: ${(err as Error).message}`);
    }
    const { store, close } = await openStore();
    try {
      if (action === 'create') {
        const created = await store.create({ name: values.name!, scopes });
        io.stderr(`token "${values.name}" (${created.id}) with scope ${scopes.join(',')}; it is shown only now:\n`);
        io.stdout(`${created.token}\n`);
        return 0;
      }
      if (action === 'list') {
        for (const t of await store.list()) {
          const state = t.revokedAt === null ? 'active' : `revoked ${t.revokedAt.toISOString()}`;
          io.stdout(`${t.tokenId}\t${t.name}\t${t.scopes.join(',')}\t${state}\n`);
        }
        return 0;
      }
      if (!(await store.revoke(id!))) {
        io.stderr(`no active token ${id}\n`);
        return 1;
      }
      io.stderr(`token ${id} revoked\n`);
      return 0;
    } finally {
      await close();
    }
  };
}
