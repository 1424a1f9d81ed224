/**
 * The driver beneath Prisma, for the few protocol hot paths where Prisma's per-query cost dominates a
 * message (issue 8: a TO2 message spent most of its CPU in Prisma's query compiler). Same tables, same
 * migrations, same value formats as Prisma writes them; Prisma stays for the schema, the migrations
 * and everything else.
 *
 * SQL is written once for both databases: `$1, $2…` placeholders in order, portable syntax, quoted
 * snake_case column names as in the migrations. Values: string, number, bigint, boolean, Uint8Array,
 * Date, null. Rows come back keyed by column name; byte columns as Uint8Array; date columns as
 * whatever the driver gives (use {@link sqlDate}).
 *
 * SQLite: better-sqlite3 connections to the same file (WAL) beside Prisma's, from the same copy of the
 * module as Prisma's adapter (see database.ts): one for reads and durable writes, one for lazy writes
 * ({@link SqlWriteOptions}). They never wait for a lock synchronously — that would block the event
 * loop while Prisma's own connection, on the same thread, holds the lock across an await — but retry
 * asynchronously while the database is busy.
 *
 * Transactions ({@link SqlDriver.transaction}) are written once as a generator of statements: on
 * PostgreSQL each statement is awaited on one pooled client between BEGIN and COMMIT; on SQLite the
 * whole body runs synchronously inside BEGIN IMMEDIATE … COMMIT, so it never holds the write lock
 * across an await (Prisma's connection, on the same thread, waits for that lock synchronously).
 */
import { createHash } from 'node:crypto';
import type BetterSqlite3Module from 'better-sqlite3';
import pg from 'pg';

export type SqlValue = string | number | bigint | boolean | Uint8Array | Date | null;
export type SqlRow = Record<string, unknown>;

/** One statement of a transaction body; see {@link sqlQuery} and {@link sqlExecute}. */
export interface SqlStatement {
  readonly kind: 'query' | 'execute';
  readonly sql: string;
  readonly params: readonly SqlValue[];
}

/** A transaction body: yields its statements (through `yield* sqlQuery(…)`) and returns its result. */
export type SqlTransactionBody<R> = () => Generator<SqlStatement, R, unknown>;

/** In a transaction body: `const rows = yield* sqlQuery<Row>(sql, params)`. */
export function* sqlQuery<T extends SqlRow = SqlRow>(
  sql: string,
  params: readonly SqlValue[] = [],
): Generator<SqlStatement, T[], unknown> {
  return (yield { kind: 'query', sql, params }) as T[];
}

/** In a transaction body: `const changed = yield* sqlExecute(sql, params)`. */
export function* sqlExecute(sql: string, params: readonly SqlValue[] = []): Generator<SqlStatement, number, unknown> {
  return (yield { kind: 'execute', sql, params }) as number;
}

/**
 * How a write commits. Every write is atomic and the database stays consistent whatever happens;
 * `durable: false` lets the commit return before it reaches the disk, so a power failure (not a crash
 * of the process) may undo the last such writes. For bookkeeping that a device's retry rebuilds —
 * a TO2 session's fence, "TO2 started", a used TO1 nonce — never for what a device or an owner is
 * told was stored. SQLite: a connection of its own at `synchronous = NORMAL` (no fsync of the WAL;
 * the next durable commit's fsync covers it). PostgreSQL: a pool of its own at `synchronous_commit = off`.
 * Default `durable: true`: SQLite `synchronous = FULL`, PostgreSQL's `synchronous_commit = on`.
 */
export interface SqlWriteOptions {
  readonly durable?: boolean;
}

/** `{ durable: false }`: see {@link SqlWriteOptions}. */
export const LAZY_WRITE: SqlWriteOptions = Object.freeze({ durable: false });

export interface SqlDriver {
  readonly provider: 'sqlite' | 'postgresql';
  /** The rows of a query (or of a write's RETURNING). */
  query<T extends SqlRow = SqlRow>(sql: string, params?: readonly SqlValue[], options?: SqlWriteOptions): Promise<T[]>;
  /** Runs a statement; resolves with the number of rows it changed. */
  execute(sql: string, params?: readonly SqlValue[], options?: SqlWriteOptions): Promise<number>;
  /**
   * Runs `body`'s statements in one transaction (read committed on PostgreSQL, serialised writers on
   * SQLite): committed when it returns, rolled back when it or a statement throws. The body may run
   * again from the start when SQLite is busy before it began, so it must not have other side effects.
   */
  transaction<R>(body: SqlTransactionBody<R>, options?: SqlWriteOptions): Promise<R>;
  close(): Promise<void>;
}

/** A date column's value as a Date, whichever driver read it (Prisma's SQLite format is ISO 8601 text). */
export function sqlDate(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint')
    return new Date(typeof value === 'bigint' ? Number(value) : value);
  throw new TypeError(`not a date column value: ${String(value)}`);
}

/**
 * `($1, $2), ($3, $4)…`: the VALUES list of a multi-row INSERT of `rows` rows of `columns` values,
 * numbered from `$first`. Both databases take one (SQLite's limit is 32,766 values per statement).
 */
export function sqlValuesList(rows: number, columns: number, first = 1): string {
  const out: string[] = [];
  for (let r = 0; r < rows; r++) {
    const row: string[] = [];
    for (let c = 0; c < columns; c++) row.push(`$${first + r * columns + c}`);
    out.push(`(${row.join(', ')})`);
  }
  return out.join(', ');
}

/** True for a unique or primary-key violation, on either database. */
export function isSqlUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** `$1, $2…` in order → `?` (SQLite binds positionally). */
function toSqlitePlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\$(\d+)/g, (_, d: string) => {
    if (Number(d) !== ++n) throw new Error(`SQL placeholders must be $1, $2… in order: ${sql}`);
    return '?';
  });
}

/**
 * Text as stored: PostgreSQL's text cannot hold U+0000 (the statement fails), so it becomes U+FFFD on
 * both databases. Such text comes from devices (error messages, devmod values) and must not fail an
 * onboarding or a report, nor read back differently depending on the database.
 */
function storedText(v: string): string {
  return v.includes('\u0000') ? v.replaceAll('\u0000', '\uFFFD') : v;
}

function sqliteValue(v: SqlValue): unknown {
  if (typeof v === 'string') return storedText(v);
  if (v instanceof Date) return v.toISOString().replace('Z', '+00:00'); // as Prisma's adapter writes it
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v;
}

/** PostgreSQL `timestamp(3)` (no time zone) holds UTC, as Prisma writes it: never the local time. */
function pgValue(v: SqlValue): unknown {
  if (typeof v === 'string') return storedText(v);
  if (v instanceof Date) return v.toISOString().replace('Z', '');
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return v;
}

const TIMESTAMP_OID = 1114;
const pgTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === TIMESTAMP_OID
      ? (text: string) => new Date(`${text.replace(' ', 'T')}Z`)
      : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

function rowBytes(row: SqlRow): SqlRow {
  for (const k in row) {
    const v = row[k];
    if (Buffer.isBuffer(v)) row[k] = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  }
  return row;
}

/** Distinct statements kept prepared per connection; the platform's hot paths use a few dozen. */
const MAX_PREPARED = 512;

export function postgresDriver(url: string, poolSize: number): SqlDriver {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, types: pgTypes });
  // Writes that need not wait for the WAL flush (SqlWriteOptions) get connections of their own, with
  // asynchronous commit; pg opens them only when one is first used.
  const lazyPool = new pg.Pool({
    connectionString: url,
    max: Math.max(1, Math.ceil(poolSize / 2)),
    types: pgTypes,
    options: '-c synchronous_commit=off',
  });
  const poolFor = (options?: SqlWriteOptions) => (options?.durable === false ? lazyPool : pool);
  // Named (prepared) statements: each connection parses and plans a statement once, then only binds
  // and executes it. Parse and plan were a large share of PostgreSQL's CPU for the protocols' point
  // statements (issue 8). Names come from the text, so one text is one statement on every connection.
  const names = new Map<string, string>();
  const statement = (text: string, params: readonly SqlValue[]): pg.QueryConfig => {
    let name = names.get(text);
    if (name === undefined && names.size < MAX_PREPARED) {
      name = `fdo_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
      names.set(text, name);
    }
    const values = params.map(pgValue);
    return name === undefined ? { text, values } : { name, text, values };
  };
  // An idle client whose connection the server ends (restart, failover, pg_terminate_backend) is
  // dropped from the pool; without a listener its error would crash the process.
  pool.on('error', () => {});
  lazyPool.on('error', () => {});
  return {
    provider: 'postgresql',
    async query<T extends SqlRow>(sql: string, params: readonly SqlValue[] = [], options?: SqlWriteOptions) {
      const res = await poolFor(options).query(statement(sql, params));
      return res.rows.map(rowBytes) as T[];
    },
    async execute(sql, params = [], options) {
      const res = await poolFor(options).query(statement(sql, params));
      return res.rowCount ?? 0;
    },
    async transaction<R>(body: SqlTransactionBody<R>, options?: SqlWriteOptions): Promise<R> {
      const client = await poolFor(options).connect();
      let broken: unknown;
      // A checked-out client has no pool listener: when the server ends its connection (an outage,
      // pg_terminate_backend) it emits 'error' besides failing the query, which would crash the process.
      const onError = (err: Error) => (broken = err);
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        try {
          const steps = body();
          let next = steps.next();
          while (!next.done) {
            const { kind, sql, params } = next.value;
            const res = await client.query(statement(sql, params));
            next = steps.next(kind === 'query' ? res.rows.map(rowBytes) : (res.rowCount ?? 0));
          }
          await client.query('COMMIT');
          return next.value;
        } catch (err) {
          await client.query('ROLLBACK').catch((rollbackErr: unknown) => (broken = rollbackErr));
          throw err;
        }
      } finally {
        // A client whose connection failed or whose ROLLBACK failed is in an unknown state: the pool
        // drops it instead of reusing it.
        client.removeListener('error', onError);
        client.release(broken as Error | undefined);
      }
    },
    close: () => Promise.all([pool.end(), lazyPool.end()]).then(() => {}),
  };
}

const BUSY_RETRY_MS = 10_000;

/** One better-sqlite3 connection, with its prepared statements and its transaction runner. */
interface SqliteConnection {
  statement(sql: string): BetterSqlite3Module.Statement;
  /** Runs a transaction body synchronously inside BEGIN IMMEDIATE … COMMIT. */
  transaction<R>(body: SqlTransactionBody<R>): R;
  close(): void;
}

function sqliteConnection(
  Sqlite: typeof BetterSqlite3Module,
  path: string,
  synchronous: 'FULL' | 'NORMAL',
): SqliteConnection {
  const db = new Sqlite(path);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 0');
  db.pragma(`synchronous = ${synchronous}`);
  const statements = new Map<string, BetterSqlite3Module.Statement>();
  const statement = (sql: string) => {
    let s = statements.get(sql);
    if (s === undefined) statements.set(sql, (s = db.prepare(toSqlitePlaceholders(sql))));
    return s;
  };
  const atomically = db.transaction(<R>(body: SqlTransactionBody<R>): R => {
    const steps = body();
    let next = steps.next();
    while (!next.done) {
      const { kind, sql, params } = next.value;
      const s = statement(sql);
      const values = params.map(sqliteValue);
      next = steps.next(kind === 'query' ? (s.all(...values) as SqlRow[]).map(rowBytes) : s.run(...values).changes);
    }
    return next.value;
  });
  return {
    statement,
    transaction: <R>(body: SqlTransactionBody<R>) => atomically.immediate(body) as R,
    close: () => db.close(),
  };
}

export function sqliteDriver(Sqlite: typeof BetterSqlite3Module, path: string): SqlDriver {
  // Two connections to the file: FULL (a commit returns once the WAL is on disk) and, opened on first
  // use, NORMAL for writes with `durable: false` (the WAL is written, not synced). Both append to one
  // WAL file, so the next FULL commit's fsync makes the NORMAL ones before it durable too.
  const durable = sqliteConnection(Sqlite, path, 'FULL');
  let lazy: SqliteConnection | undefined;
  const connection = (options?: SqlWriteOptions) =>
    options?.durable === false ? (lazy ??= sqliteConnection(Sqlite, path, 'NORMAL')) : durable;
  async function run<R>(fn: () => R): Promise<R> {
    const end = Date.now() + BUSY_RETRY_MS;
    for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
      try {
        return fn();
      } catch (err) {
        const code = (err as { code?: string }).code;
        if ((code !== 'SQLITE_BUSY' && code !== 'SQLITE_LOCKED') || Date.now() > end) throw err;
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  return {
    provider: 'sqlite',
    query<T extends SqlRow>(sql: string, params: readonly SqlValue[] = [], options?: SqlWriteOptions) {
      const c = connection(options);
      return run(() => (c.statement(sql).all(...params.map(sqliteValue)) as SqlRow[]).map(rowBytes) as T[]);
    },
    execute(sql, params = [], options) {
      const c = connection(options);
      return run(() => c.statement(sql).run(...params.map(sqliteValue)).changes);
    },
    transaction<R>(body: SqlTransactionBody<R>, options?: SqlWriteOptions): Promise<R> {
      // Synchronous from BEGIN IMMEDIATE to COMMIT; only BEGIN can be busy (then `run` retries it later).
      const c = connection(options);
      return run(() => c.transaction(body));
    },
    close: async () => {
      durable.close();
      lazy?.close();
    },
  };
}
