/**
 * `fdo-manufacturer`: run the service and manage its API tokens.
 *
 *   fdo-manufacturer serve
 *   fdo-manufacturer tokens create --name NAME --scope read|write|admin[,…]
 *   fdo-manufacturer tokens list
 *   fdo-manufacturer tokens revoke ID
 *   fdo-manufacturer config [--json|--markdown]
 *
 * Configuration comes from the FDO_MFG_* variables (see config.ts; the README lists them).
 * Exit codes: 0 success, 1 failure, 2 usage or configuration error.
 */
import {
  CONFIG_USAGE,
  configCommand,
  nodeIo,
  runServiceCli,
  tokensCommand,
  TOKENS_USAGE,
  UsageError,
  type CliIo,
} from '@fdo/server-kit';
import { ApiTokenStore, openDatabase } from '@fdo/storage';
import { SERVICE } from './app.js';
import { CONFIG_SCHEMA, ConfigError, loadConfig } from './config.js';
import { serve } from './server.js';

export type { CliIo } from '@fdo/server-kit';

export const USAGE = `Usage:
  fdo-manufacturer serve
  fdo-manufacturer ${TOKENS_USAGE.replace(/\n {2}/g, '\n  fdo-manufacturer ')}
  fdo-manufacturer ${CONFIG_USAGE.replace(/\n {2}/g, '\n  fdo-manufacturer ')}

Configuration: FDO_MFG_* environment variables (FDO_MFG_DATA_DIR, FDO_MFG_DATABASE_URL, FDO_MFG_RV, ...).
`;

/** Runs the CLI; resolves with the exit code (serve resolves once the service listens). */
export function runManufacturerCli(argv: string[], io: CliIo = nodeIo, env = process.env): Promise<number> {
  const tokens = tokensCommand(async () => {
    const config = loadConfig(env, { logger: false });
    const db = await openDatabase({ url: config.databaseUrl });
    return { store: new ApiTokenStore(db.prisma, SERVICE), close: () => db.close() };
  });
  return runServiceCli(
    {
      name: 'fdo-manufacturer',
      usage: USAGE,
      isConfigError: (err) => err instanceof ConfigError,
      commands: {
        serve: async (args) => {
          if (args.length > 0) throw new UsageError('serve takes no arguments (configure with FDO_MFG_* variables)');
          await serve();
          return 0;
        },
        tokens,
        config: configCommand(CONFIG_SCHEMA, env),
      },
    },
    argv,
    io,
  );
}
