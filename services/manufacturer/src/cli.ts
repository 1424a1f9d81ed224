/**
 * `fdo-manufacturer`: run the service and manage its API tokens.
 *
 *   fdo-manufacturer serve
 *   fdo-manufacturer tokens create --name NAME --scope read|write|admin[,…]
 *   fdo-manufacturer tokens list
 *   fdo-manufacturer tokens revoke ID
 *
 * Configuration comes from the FDO_MFG_* variables (see config.ts; the README lists them).
 * Exit codes: 0 success, 1 failure, 2 usage or configuration error.
 */
import { parseArgs } from 'node:util';
import { ApiTokenStore, openDatabase, parseScopes } from '@fdo/storage';
import { SERVICE } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { serve } from './server.js';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

const nodeIo: CliIo = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };

export const USAGE = `Usage:
  fdo-manufacturer serve
  fdo-manufacturer tokens create --name NAME --scope read|write|admin[,...]
  fdo-manufacturer tokens list
  fdo-manufacturer tokens revoke ID

Configuration: FDO_MFG_* environment variables (FDO_MFG_DATA_DIR, FDO_MFG_DATABASE_URL, FDO_MFG_RV, ...).
`;

class UsageError extends Error {}

async function tokens(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { name: { type: 'string' }, scope: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const [action, ...rest] = positionals;
  const config = loadConfig(process.env, { logger: false });
  const db = await openDatabase({ url: config.databaseUrl });
  try {
    const store = new ApiTokenStore(db.prisma, SERVICE);
    switch (action) {
      case 'create': {
        if (values.name === undefined || values.scope === undefined)
          throw new UsageError('tokens create needs --name and --scope');
        let scopes;
        try {
          scopes = parseScopes(values.scope);
        } catch (err) {
          throw new UsageError(`--scope: ${(err as Error).message}`);
        }
        const { id, token } = await store.create({ name: values.name, scopes });
        io.stderr(`token "${values.name}" (${id}) with scope ${scopes.join(',')}; it is shown only now:\n`);
        io.stdout(`${token}\n`);
        return 0;
      }
      case 'list':
        for (const t of await store.list()) {
          const state = t.revokedAt === null ? 'active' : `revoked ${t.revokedAt.toISOString()}`;
          io.stdout(`${t.tokenId}  ${t.name}  ${t.scopes.join(',')}  ${state}\n`);
        }
        return 0;
      case 'revoke': {
        if (rest.length !== 1) throw new UsageError('tokens revoke needs the token ID (see tokens list)');
        if (!(await store.revoke(rest[0]!))) {
          io.stderr(`no active token ${rest[0]}\n`);
          return 1;
        }
        io.stderr(`token ${rest[0]} revoked\n`);
        return 0;
      }
      default:
        throw new UsageError(`unknown tokens action "${action ?? ''}"`);
    }
  } finally {
    await db.close();
  }
}

/** Runs the CLI; resolves with the exit code (serve resolves once the service listens). */
export async function runManufacturerCli(argv: string[], io: CliIo = nodeIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        if (rest.length > 0) throw new UsageError(`serve takes no arguments (configure with FDO_MFG_* variables)`);
        await serve();
        return 0;
      case 'tokens':
        return await tokens(rest, io);
      case 'help':
      case '--help':
      case '-h':
        io.stdout(USAGE);
        return 0;
      default:
        throw new UsageError(command === undefined ? 'missing command' : `unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr(`${err.message}\n`);
      return 2;
    }
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true) {
      io.stderr(`fdo-manufacturer: ${(err as Error).message}\n${USAGE}`);
      return 2;
    }
    io.stderr(`fdo-manufacturer: ${(err as Error).message}\n`);
    return 1;
  }
}
