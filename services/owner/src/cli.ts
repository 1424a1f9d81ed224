/**
 * `fdo-owner`: runs the service and manages its management-API tokens.
 *
 *   fdo-owner serve
 *   fdo-owner tokens create --name NAME --scope read[,write,admin]
 *   fdo-owner tokens list
 *   fdo-owner tokens revoke ID
 *
 * Configuration comes from the FDO_OWNER_* variables (and FDO_OWNER_CONFIG), as for the service.
 */
import { parseArgs } from 'node:util';
import { listen } from '@fdo/server-kit';
import { ApiTokenStore, openDatabase, parseScopes } from '@fdo/storage';
import { build, SERVICE } from './app.js';
import { ConfigError, loadConfig } from './config.js';

export const USAGE = `usage:
  fdo-owner serve                                      run the service (FDO_OWNER_* variables configure it)
  fdo-owner tokens create --name NAME --scope SCOPES   create a management API token (scopes: read, write, admin)
  fdo-owner tokens list                                list tokens (never their values)
  fdo-owner tokens revoke ID                           revoke a token
`;

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

const nodeIo: CliIo = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };

class UsageError extends Error {}

async function tokens(io: CliIo, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { name: { type: 'string' }, scope: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const [action, id, ...rest] = positionals;
  if (rest.length > 0) throw new UsageError(`unexpected argument: ${rest[0]}`);
  const config = loadConfig(env);
  const db = await openDatabase({ url: config.databaseUrl });
  try {
    const store = new ApiTokenStore(db.prisma, SERVICE);
    switch (action) {
      case 'create': {
        if (values.name === undefined || values.scope === undefined)
          throw new UsageError('tokens create needs --name and --scope');
        const created = await store.create({ name: values.name, scopes: parseScopes(values.scope) });
        io.stdout(`${created.token}\n`);
        io.stderr(`token ${created.id} ("${values.name}") created; it is shown only this once\n`);
        return 0;
      }
      case 'list':
        for (const t of await store.list()) {
          const state = t.revokedAt === null ? 'active' : `revoked ${t.revokedAt.toISOString()}`;
          io.stdout(`${t.tokenId}\t${t.name}\t${t.scopes.join(',')}\t${state}\n`);
        }
        return 0;
      case 'revoke':
        if (id === undefined) throw new UsageError('tokens revoke needs the token ID');
        if (!(await store.revoke(id))) {
          io.stderr(`error: no active token ${id}\n`);
          return 1;
        }
        io.stderr(`token ${id} revoked\n`);
        return 0;
      default:
        throw new UsageError(action === undefined ? 'tokens: missing action' : `tokens: unknown action ${action}`);
    }
  } finally {
    await db.close();
  }
}

async function serve(): Promise<number> {
  const app = await build();
  const { config } = app.owner;
  await listen(app, config.port, config.host);
  return 0;
}

/** Runs the command line; resolves with the exit code. */
export async function runOwnerCli(argv: string[], io: CliIo = nodeIo, env = process.env): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve();
      case 'tokens':
        return await tokens(io, rest, env);
      case undefined:
      case 'help':
      case '--help':
        io.stdout(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command: ${command}`);
    }
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`error: ${(err as Error).message}\n${USAGE}`);
      return 2;
    }
    io.stderr(`error: ${err instanceof ConfigError ? err.message : (err as Error).message}\n`);
    return 1;
  }
}
