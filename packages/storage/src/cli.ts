/**
 * `fdo-db`: the operator's database command.
 *
 *   fdo-db migrate --url URL     apply pending migrations (all services' tables) and exit
 *   fdo-db status  --url URL     list the migrations this version ships and whether each is applied
 *
 * `--url` defaults to `FDO_DATABASE_URL`. Services also migrate when they open their database; running
 * this first (a one-shot job in docker-compose) keeps a fleet of instances from starting on an old schema.
 * Exit codes: 0 done, 1 failure, 2 usage error.
 */
import { parseArgs } from 'node:util';
import { migrationStatus, openDatabase, redactUrl } from './database.js';
import { loadMigrations } from './migrate.js';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

const nodeIo: CliIo = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };

export const USAGE = `Usage:
  fdo-db migrate [--url URL]   apply pending migrations
  fdo-db status  [--url URL]   show which migrations are applied
URL: file:/path/to/db.sqlite or postgresql://user@host:5432/db (default: $FDO_DATABASE_URL)
`;

export async function runDbCli(argv: string[], io: CliIo = nodeIo, env = process.env): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { url: { type: 'string' } }, allowPositionals: true, strict: true });
  } catch (err) {
    io.stderr(`fdo-db: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const [command] = parsed.positionals;
  const url = parsed.values.url ?? env.FDO_DATABASE_URL;
  if ((command !== 'migrate' && command !== 'status') || parsed.positionals.length !== 1) {
    io.stderr(USAGE);
    return 2;
  }
  if (url === undefined || url === '') {
    io.stderr(`fdo-db ${command}: no database: pass --url or set FDO_DATABASE_URL\n`);
    return 2;
  }
  try {
    const db = await openDatabase({ url, migrate: command === 'migrate' });
    try {
      const status = await migrationStatus(db);
      const state = (name: string) =>
        status.applied.includes(name) ? 'applied' : status.changed.includes(name) ? 'changed' : 'pending';
      for (const m of loadMigrations(db.provider)) io.stdout(`${state(m.name)}  ${m.name}\n`);
      if (command === 'migrate') io.stderr(`${redactUrl(url)}: schema up to date\n`);
    } finally {
      await db.close();
    }
    return 0;
  } catch (err) {
    io.stderr(`fdo-db ${command}: ${(err as Error).message}\n`);
    return 1;
  }
}
