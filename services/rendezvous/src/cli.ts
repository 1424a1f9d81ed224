/**
 * `fdo-rendezvous`: runs the service and manages its management-API tokens.
 *
 *   fdo-rendezvous serve
 *   fdo-rendezvous tokens create --name NAME --scope read[,write,admin]
 *   fdo-rendezvous tokens list
 *   fdo-rendezvous tokens revoke ID
 *   fdo-rendezvous config [--json|--markdown]
 *
 * Configuration comes from the FDO_RV_* variables, as for the service (FDO_RV_DATABASE_URL, FDO_RV_DATA_DIR…).
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
  fdo-rendezvous serve                                      run the service (FDO_RV_* variables configure it)
  fdo-rendezvous ${TOKENS_USAGE.replace(/\n {2}/g, '\n  fdo-rendezvous ')}
  fdo-rendezvous ${CONFIG_USAGE.replace(/\n {2}/g, '\n  fdo-rendezvous ')}
`;

async function serve(args: string[]): Promise<number> {
  if (args.length > 0) throw new UsageError('serve takes no arguments (configure with FDO_RV_* variables)');
  const app = build();
  await app.ready();
  const { config } = app.rendezvous;
  await listen(app, config.port, config.host);
  return 0;
}

/** Runs the command line; resolves with the exit code. */
export function runRendezvousCli(argv: string[], io: CliIo = nodeIo, env = process.env): Promise<number> {
  const tokens = tokensCommand(async () => {
    const config = loadConfig(env);
    const db = await openDatabase({ url: config.databaseUrl });
    return { store: new ApiTokenStore(db.prisma, SERVICE), close: () => db.close() };
  });
  return runServiceCli(
    {
      name: 'fdo-rendezvous',
      usage: USAGE,
      isConfigError: (err) => err instanceof ConfigError,
      commands: { serve, tokens, config: configCommand(CONFIG_SCHEMA, env) },
    },
    argv,
    io,
  );
}
