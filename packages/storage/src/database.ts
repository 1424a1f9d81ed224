/**
 * Opening the database: SQLite through better-sqlite3 (the embedded default) or PostgreSQL through pg,
 * both behind Prisma's driver adapters, with the committed migrations applied first.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { createRequire } from 'node:module';
import type BetterSqlite3Module from 'better-sqlite3';
import pg from 'pg';
import sqliteClient from '../generated/sqlite/index.js';
import postgresClient from '../generated/postgresql/index.js';
import { loadMigrations, migratePostgres, migrateSqlite, type Migration, type Provider } from './migrate.js';
import { postgresDriver, sqliteDriver, type SqlDriver } from './sql.js';

/**
 * The Prisma client type. Both generated clients (SQLite and PostgreSQL) have the same models and
 * methods; the SQLite one names the type.
 */
export type PrismaClient = sqliteClient.PrismaClient;
export type { Prisma } from '../generated/sqlite/index.js';

export interface Database {
  prisma: PrismaClient;
  /** The bare driver on the same database, for protocol hot paths only (see sql.ts). */
  sql: SqlDriver;
  provider: Provider;
  /** The URL without its password, for logs. */
  displayUrl: string;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** `file:/path/to/db.sqlite` (or `file:./relative.db`) or `postgresql://user@host:port/db`. */
  url: string;
  /** Apply pending migrations (default true). */
  migrate?: boolean;
  /** PostgreSQL pool size per instance (default 10). */
  poolSize?: number;
}

export function providerOf(url: string): Provider {
  if (url.startsWith('file:')) return 'sqlite';
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgresql';
  throw new Error(
    `database URL "${redactUrl(url)}" is not supported: use file:/path/to/file.db (SQLite) or postgresql://user@host:5432/db`,
  );
}

/** Removes a password from a URL so it can be logged. */
export function redactUrl(url: string): string {
  return url.replace(/^(\w+:\/\/[^:/@]+):[^@]*@/, '$1:***@');
}

/**
 * better-sqlite3 exactly as the Prisma adapter loads it. Two copies of SQLite in one process do not
 * see each other's POSIX locks: closing our migration connection through another copy would drop the
 * adapter's locks on the same file (seen as SQLITE_CORRUPT with two services on one file).
 */
const BetterSqlite3 = createRequire(createRequire(import.meta.url).resolve('@prisma/adapter-better-sqlite3'))(
  'better-sqlite3',
) as typeof BetterSqlite3Module;

function sqlitePath(url: string): string {
  const rest = url.slice('file:'.length);
  return rest.startsWith('//') ? fileURLToPath(url) : rest;
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const { url } = options;
  const provider = providerOf(url);
  const displayUrl = redactUrl(url);
  if (provider === 'sqlite') {
    const path = sqlitePath(url);
    mkdirSync(dirname(path), { recursive: true });
    const raw = new BetterSqlite3(path);
    try {
      // WAL lets readers and one writer work at once (several services, or instances, on one file).
      raw.pragma('journal_mode = WAL');
      if (options.migrate !== false) migrateSqlite(raw, displayUrl);
    } finally {
      raw.close();
    }
    const prisma = new sqliteClient.PrismaClient({
      adapter: new PrismaBetterSQLite3({ url: `file:${path}`, timeout: 10_000 }),
    });
    const sql = sqliteDriver(BetterSqlite3, path);
    return {
      prisma,
      sql,
      provider,
      displayUrl,
      close: () => Promise.all([prisma.$disconnect(), sql.close()]).then(() => {}),
    };
  }
  if (options.migrate !== false) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
    } catch (err) {
      throw new Error(`cannot connect to PostgreSQL at ${displayUrl}: ${(err as Error).message}`, { cause: err });
    }
    try {
      await migratePostgres(client, displayUrl);
    } finally {
      await client.end();
    }
  }
  const prisma = new postgresClient.PrismaClient({
    adapter: new PrismaPg({ connectionString: url, max: options.poolSize ?? 10 }),
  }) as unknown as PrismaClient;
  const sql = postgresDriver(url, options.poolSize ?? 10);
  return { prisma, sql, provider, displayUrl, close: () => closePostgres(prisma, sql) };
}

/** How long closing waits for Prisma's PostgreSQL pool before giving up on it. */
const PRISMA_PG_CLOSE_MS = 5_000;

/**
 * Closes both pools. Prisma's adapter-pg can keep a connection checked out for good when the database
 * drops it in the middle of a transaction (seen when PostgreSQL went away during a streamed import);
 * its pool's end() then never resolves and a graceful shutdown would hang. So the wait is bounded: past
 * it, a warning names the cause and shutdown goes on (the process exits and the sockets with it).
 */
async function closePostgres(prisma: PrismaClient, sql: SqlDriver): Promise<void> {
  await sql.close();
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), PRISMA_PG_CLOSE_MS);
    timer.unref();
  });
  const outcome = await Promise.race([prisma.$disconnect().then(() => 'closed' as const), gaveUp]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    process.emitWarning(
      `a PostgreSQL connection of Prisma's pool was still checked out after ${PRISMA_PG_CLOSE_MS} ms (a transaction cut by a database outage); closing without it`,
      { code: 'FDO_DB_CLOSE_TIMEOUT' },
    );
  }
}

export interface MigrationStatus {
  /** Migrations this version ships that the database has, as shipped. */
  applied: string[];
  /** Shipped but not applied: run `fdo-db migrate` (services also migrate when they start). */
  pending: string[];
  /** Applied from different SQL than this version ships: the database belongs to another schema. */
  changed: string[];
}

const shipped = new Map<Provider, Migration[]>();

/**
 * Which of this version's migrations the database has. Throws when the database cannot be reached, so
 * a readiness probe (`/ready`) fails; a database never migrated has them all pending.
 */
export async function migrationStatus(db: Database): Promise<MigrationStatus> {
  await db.prisma.$queryRawUnsafe('SELECT 1');
  const rows = await db.prisma
    .$queryRawUnsafe<{ name: string; checksum: string }[]>('SELECT name, checksum FROM _fdo_migrations')
    .catch(() => [] as { name: string; checksum: string }[]);
  const done = new Map(rows.map((r) => [r.name, r.checksum]));
  if (!shipped.has(db.provider)) shipped.set(db.provider, loadMigrations(db.provider));
  const status: MigrationStatus = { applied: [], pending: [], changed: [] };
  for (const m of shipped.get(db.provider)!) {
    const seen = done.get(m.name);
    status[seen === undefined ? 'pending' : seen === m.checksum ? 'applied' : 'changed'].push(m.name);
  }
  return status;
}
