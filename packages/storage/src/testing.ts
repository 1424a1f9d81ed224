/**
 * Test databases: each call gives a fresh SQLite file and, when PostgreSQL is reachable, a fresh
 * PostgreSQL database, both removed when the test ends. Without PostgreSQL a test says so and covers
 * SQLite only, except under CI (`CI` set), where PostgreSQL is required and its absence fails the test.
 *
 * `FDO_TEST_POSTGRES_URL` names the server (default postgresql://postgres@127.0.0.1:5432/postgres).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** The part of a tap `Test` this module uses. */
export interface TestContext {
  teardown(fn: () => unknown): void;
  comment(...message: unknown[]): void;
}

export interface DatabaseTarget {
  name: 'sqlite' | 'postgresql';
  url: string;
}

export const TEST_POSTGRES_URL = process.env.FDO_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

let postgresReachable: Promise<string | null> | undefined;

/** Null when PostgreSQL answers, otherwise why not. */
function checkPostgres(): Promise<string | null> {
  postgresReachable ??= (async () => {
    const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 10_000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return null;
    } catch (err) {
      return (err as Error).message;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return postgresReachable;
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh, empty SQLite database file, removed at teardown. */
export function sqliteTarget(t: TestContext): DatabaseTarget {
  const dir = mkdtempSync(join(tmpdir(), 'fdo-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return { name: 'sqlite', url: `file:${join(dir, 'test.db')}` };
}

/** A fresh, empty PostgreSQL database, dropped at teardown; null (with a comment) when unavailable outside CI. */
export async function postgresTarget(t: TestContext): Promise<DatabaseTarget | null> {
  const why = await checkPostgres();
  if (why !== null) {
    if (process.env.CI) throw new Error(`PostgreSQL is required under CI but ${TEST_POSTGRES_URL} fails: ${why}`);
    t.comment(`PostgreSQL not reachable at ${TEST_POSTGRES_URL} (${why}): covering SQLite only`);
    return null;
  }
  const name = `fdo_test_${process.pid}_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  t.teardown(() => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)));
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return { name: 'postgresql', url: url.toString() };
}

/** Every database kind the platform supports, fresh for this test. */
export async function databaseTargets(t: TestContext): Promise<DatabaseTarget[]> {
  const targets = [sqliteTarget(t)];
  const postgres = await postgresTarget(t);
  if (postgres !== null) targets.push(postgres);
  return targets;
}
