/**
 * Applies the committed migration SQL (prisma/migrations/<provider>/<name>/migration.sql) when a
 * database opens. We run it through the drivers ourselves: Prisma's `migrate deploy` cannot run over
 * adapter-pg (prisma#27403) and needs its CLI at run time.
 *
 * Each applied migration is recorded with its SHA-256, so a database made by a different schema is
 * reported instead of silently used. On PostgreSQL an advisory lock serialises instances starting
 * together.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';

export type Provider = 'sqlite' | 'postgresql';

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

/** The repository's prisma/migrations folder (the package sits at packages/storage/{src,dist}). */
export const MIGRATIONS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../prisma/migrations');

export function loadMigrations(provider: Provider, dir = MIGRATIONS_DIR): Migration[] {
  const root = join(dir, provider);
  if (!existsSync(root)) throw new Error(`no migrations for ${provider} at ${root}`);
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(root, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

const LEDGER = '_fdo_migrations';

function mismatch(name: string, where: string): Error {
  return new Error(
    `${where}: migration ${name} was applied from different SQL than this version ships. ` +
      'The database was created by another (pre-release) schema: point the service at a new database, ' +
      'or delete the SQLite file / drop the PostgreSQL database if its data is disposable.',
  );
}

export function migrateSqlite(
  db: BetterSqlite3.Database,
  where: string,
  migrations = loadMigrations('sqlite'),
): string[] {
  db.exec(
    `CREATE TABLE IF NOT EXISTS ${LEDGER} (name TEXT PRIMARY KEY, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)`,
  );
  const applied: string[] = [];
  const run = db.transaction(() => {
    const rows = db.prepare(`SELECT name, checksum FROM ${LEDGER}`).all() as { name: string; checksum: string }[];
    const done = new Map(rows.map((r) => [r.name, r.checksum]));
    for (const m of migrations) {
      const seen = done.get(m.name);
      if (seen === m.checksum) continue;
      if (seen !== undefined) throw mismatch(m.name, where);
      db.exec(m.sql);
      db.prepare(`INSERT INTO ${LEDGER} (name, checksum, applied_at) VALUES (?, ?, ?)`).run(
        m.name,
        m.checksum,
        new Date().toISOString(),
      );
      applied.push(m.name);
    }
  });
  run.immediate();
  return applied;
}

/** An arbitrary, fixed advisory-lock key for "FDO schema migration". */
const PG_LOCK_KEY = 0x46444f4d;

export async function migratePostgres(
  client: pg.ClientBase,
  where: string,
  migrations = loadMigrations('postgresql'),
): Promise<string[]> {
  const applied: string[] = [];
  await client.query('SELECT pg_advisory_lock($1)', [PG_LOCK_KEY]);
  try {
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${LEDGER} (name TEXT PRIMARY KEY, checksum TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ name: string; checksum: string }>(`SELECT name, checksum FROM ${LEDGER}`);
    const done = new Map(rows.map((r) => [r.name, r.checksum]));
    for (const m of migrations) {
      const seen = done.get(m.name);
      if (seen === m.checksum) continue;
      if (seen !== undefined) throw mismatch(m.name, where);
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query(`INSERT INTO ${LEDGER} (name, checksum) VALUES ($1, $2)`, [m.name, m.checksum]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      }
      applied.push(m.name);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [PG_LOCK_KEY]);
  }
  return applied;
}
