/**
 * `fdo-owner`: runs the service and manages its management-API tokens.
 *
 *   fdo-owner serve
 *   fdo-owner tokens create --name NAME --scope read[,write,admin]
 *   fdo-owner tokens list
 *   fdo-owner tokens revoke ID
 *   fdo-owner config [--json|--markdown]
 *
 * Configuration comes from the FDO_OWNER_* variables (and FDO_OWNER_CONFIG), as for the service.
 */
import {
  CONFIG_USAGE,
  configCommand,
  listen,
  nodeIo,
  runServiceCli,
  tokensCommand,
  TOKENS_USAGE,
  UsageError,
  type CliIo,
} from '@fdo/server-kit';
import { ApiTokenStore, openDatabase } from '@fdo/storage';
import { build, SERVICE } from './app.js';
import { CONFIG_SCHEMA, ConfigError, loadConfig } from './config.js';

export type { CliIo } from '@fdo/server-kit';

export const USAGE = `Usage:
  fdo-owner serve                                      run the service (FDO_OWNER_* variables configure it)
  fdo-owner ${TOKENS_USAGE.replace(/\n {2}/g, '\n  fdo-owner ')}
  fdo-owner ${CONFIG_USAGE.replace(/\n {2}/g, '\n  fdo-owner ')}
`;

async function serve(args: string[]): Promise<number> {
  if (args.length > 0) throw new UsageError('serve takes no arguments (configure with FDO_OWNER_* variables)');
  const app = await build();
  const { config } = app.owner;
  await listen(app, config.port, config.host);
  return 0;
}

/** Runs the command line; resolves with the exit code. */
export function runOwnerCli(argv: string[], io: CliIo = nodeIo, env = process.env): Promise<number> {
  const tokens = tokensCommand(async () => {
    const config = loadConfig(env);
    const db = await openDatabase({ url: config.databaseUrl });
    return { store: new ApiTokenStore(db.prisma, SERVICE), close: () => db.close() };
  });
  return runServiceCli(
    {
      name: 'fdo-owner',
      usage: USAGE,
      isConfigError: (err) => err instanceof ConfigError,
      commands: { serve, tokens, config: configCommand(CONFIG_SCHEMA, env) },
    },
    argv,
    io,
  );
}
