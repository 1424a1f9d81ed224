import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import {
  ApiTokenStore,
  AuditLog,
  isSqlUniqueViolation,
  openDatabase,
  parseScopes,
  providerOf,
  redactUrl,
  scopeAllows,
  serviceSecret,
  sqlExecute,
  sqlQuery,
} from '../src/index.js';
import { databaseTargets } from '../src/testing.js';

t.test('URLs name their provider, and passwords never reach a log', async (t) => {
  t.equal(providerOf('file:./x.db'), 'sqlite');
  t.equal(providerOf('postgresql://u@h/db'), 'postgresql');
  t.equal(providerOf('postgres://u@h/db'), 'postgresql');
  t.throws(() => providerOf('mysql://u:secret@h/db'), /not supported.*file:.*postgresql:/);
  t.notMatch(
    (() => {
      try {
        providerOf('mysql://u:secret@h/db');
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })(),
    /secret/,
  );
  t.equal(redactUrl('postgresql://fdo:hunter2@db:5432/fdo'), 'postgresql://fdo:***@db:5432/fdo');
});

t.test('scopes: admin ⊇ write ⊇ read, and unknown scopes are refused', async (t) => {
  t.ok(scopeAllows(['admin'], 'read'));
  t.ok(scopeAllows(['write'], 'read'));
  t.notOk(scopeAllows(['read'], 'write'));
  t.notOk(scopeAllows(['write'], 'admin'));
  t.same(parseScopes('read, write'), ['read', 'write']);
  t.throws(() => parseScopes('read,root'), /unknown scope "root"/);
  t.throws(() => parseScopes(''), /at least one scope/);
});

t.test('the committed migrations match prisma/schema', async (t) => {
  const script = new URL('../scripts/generate.mjs', import.meta.url).pathname;
  // Asynchronous: a blocked event loop would starve the other tests' database connections.
  await t.resolves(promisify(execFile)(process.execPath, [script, '--check']));
});

for (const db of await databaseTargets(t)) {
  t.test(db.name, async (t) => {
    const database = await openDatabase({ url: db.url });
    t.teardown(() => database.close());
    t.equal(database.provider, db.name);

    await t.test('the bare driver stores text with U+0000 (from a device) as U+FFFD on both databases', async (t) => {
      const text = 'the device\u0000refused';
      await database.sql.execute(
        `INSERT INTO "owner_device_event" ("guid", "at", "step", "outcome", "message") VALUES ($1, $2, $3, $4, $5)`,
        ['g-nul', new Date(), 'TO2.HelloDevice', 'error', text],
      );
      const [row] = await database.sql.query<{ message: string }>(
        `SELECT "message" FROM "owner_device_event" WHERE "guid" = $1`,
        ['g-nul'],
      );
      t.equal(row?.message, 'the device\uFFFDrefused');
    });

    await t.test(
      'a write with durable: false commits like any other, under a commit that does not wait for the disk',
      async (t) => {
        // What each commit runs under: SQLite's synchronous (2 FULL, 1 NORMAL), PostgreSQL's synchronous_commit.
        const setting =
          db.name === 'sqlite'
            ? `SELECT "synchronous" AS "v" FROM pragma_synchronous`
            : `SELECT current_setting('synchronous_commit') AS "v"`;
        const under = async (options?: { durable: boolean }) =>
          String((await database.sql.query<{ v: unknown }>(setting, [], options))[0]!.v);
        const [durable, lazy] = db.name === 'sqlite' ? ['2', '1'] : ['on', 'off'];
        t.equal(await under(), durable, 'by default a commit waits for the disk');
        t.equal(await under({ durable: true }), durable);
        t.equal(await under({ durable: false }), lazy, 'durable: false does not');

        const insert = `INSERT INTO "service_secret" ("service", "name", "value", "created_at") VALUES ($1, $2, $3, $4)`;
        t.equal(
          await database.sql.execute(insert, ['lazy', 'a', new Uint8Array([1]), new Date()], { durable: false }),
          1,
        );
        await database.sql.transaction(
          function* () {
            yield* sqlExecute(insert, ['lazy', 'b', new Uint8Array([2]), new Date()]);
          },
          { durable: false },
        );
        const failed = await database.sql
          .execute(insert, ['lazy', 'a', new Uint8Array([3]), new Date()], { durable: false })
          .then(
            () => null,
            (err: unknown) => err,
          );
        t.ok(isSqlUniqueViolation(failed), 'a failing lazy write fails as any other');
        t.equal(await under(), durable, 'and the next commit waits for the disk again');
        t.same(
          (await database.prisma.serviceSecret.findMany({ where: { service: 'lazy' }, orderBy: { name: 'asc' } })).map(
            (r) => r.name,
          ),
          ['a', 'b'],
          'what they wrote is there for every connection',
        );
      },
    );

    await t.test('opening again applies nothing twice', async (t) => {
      const again = await openDatabase({ url: db.url });
      t.equal(await again.prisma.apiToken.count(), 0);
      await again.close();
    });

    await t.test(
      'API tokens: created once in clear, stored hashed, verified, scoped to a service, revoked',
      async (t) => {
        const tokens = new ApiTokenStore(database.prisma, 'manufacturer');
        const { id, token } = await tokens.create({ name: 'line-3', scopes: ['write'] });
        t.match(token, /^fdo_[A-Za-z0-9_-]{43}$/);
        const row = await database.prisma.apiToken.findUniqueOrThrow({ where: { id } });
        t.notOk(Buffer.from(row.hash).toString('utf8').includes(token), 'the token is not stored');
        t.same(await tokens.verify(token), { tokenId: id, name: 'line-3', scopes: ['write'] });
        t.equal(await tokens.verify(token + 'x'), null);
        t.equal(await tokens.verify('not-a-token'), null);
        t.equal(await new ApiTokenStore(database.prisma, 'owner').verify(token), null, "another service's token");
        t.equal((await tokens.list()).length, 1);
        t.ok(await tokens.revoke(id));
        t.notOk(await tokens.revoke(id), 'revoking twice reports nothing to revoke');
        t.equal(await tokens.verify(token), null);
        await t.rejects(tokens.create({ name: 'x', scopes: [] }), /at least one scope/);
      },
    );

    await t.test('bootstrap token: written once, readable only by its owner', async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'fdo-token-'));
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      const tokens = new ApiTokenStore(database.prisma, 'rendezvous');
      const file = join(dir, 'nested', 'admin-token');
      t.equal(await tokens.ensureBootstrapToken(file), file);
      t.equal(statSync(file).mode & 0o777, 0o600);
      const token = readFileSync(file, 'utf8').trim();
      t.same((await tokens.verify(token))?.scopes, ['admin']);
      t.equal(await tokens.ensureBootstrapToken(file), null, 'not again once a token exists');
    });

    await t.test('service secrets: one value for every caller, even racing', async (t) => {
      const all = await Promise.all(
        Array.from({ length: 6 }, () => serviceSecret(database.prisma, 'rendezvous', 'session-key', 32)),
      );
      t.equal(all[0]!.length, 32);
      for (const s of all) t.same(s, all[0]);
      const other = await serviceSecret(database.prisma, 'owner', 'session-key', 32);
      t.notSame(other, all[0], 'secrets are per service');
    });

    await t.test('audit log keeps who did what', async (t) => {
      const audit = new AuditLog(database.prisma, 'owner');
      await audit.record({ actor: 'ops', action: 'voucher.delete', target: 'guid-1' });
      await audit.record({ actor: 'ops', action: 'token.create', detail: 'name=ci' });
      const recent = await audit.recent();
      t.match(recent, [
        { action: 'token.create', detail: 'name=ci' },
        { action: 'voucher.delete', target: 'guid-1' },
      ]);
      t.same(await new AuditLog(database.prisma, 'manufacturer').recent(), []);
    });

    await t.test('bare-driver transactions commit together or not at all, beside Prisma', async (t) => {
      const insert = `INSERT INTO "service_secret" ("service", "name", "value", "created_at") VALUES ($1, $2, $3, $4)`;
      const names = `SELECT "name", "value" FROM "service_secret" WHERE "service" = 'tx' ORDER BY "name"`;
      const both = await database.sql.transaction(function* () {
        yield* sqlExecute(insert, ['tx', 'a', new Uint8Array([1]), new Date()]);
        const changed = yield* sqlExecute(insert, ['tx', 'b', new Uint8Array([2]), new Date()]);
        const rows = yield* sqlQuery<{ name: string; value: Uint8Array }>(names);
        return { changed, rows };
      });
      t.equal(both.changed, 1);
      t.same(
        both.rows.map((r) => [r.name, [...r.value]]),
        [
          ['a', [1]],
          ['b', [2]],
        ],
        'a statement sees the earlier ones, bytes come back as bytes',
      );
      const failed = await database.sql
        .transaction(function* () {
          yield* sqlExecute(insert, ['tx', 'c', new Uint8Array([3]), new Date()]);
          yield* sqlExecute(insert, ['tx', 'a', new Uint8Array([4]), new Date()]);
        })
        .then(
          () => null,
          (err: unknown) => err,
        );
      t.ok(isSqlUniqueViolation(failed), 'a failing statement fails the transaction');
      await t.rejects(
        database.sql.transaction(function* () {
          yield* sqlExecute(insert, ['tx', 'd', new Uint8Array([5]), new Date()]);
          throw new Error('the body gave up');
        }),
        /the body gave up/,
      );
      t.same(
        (await database.sql.query<{ name: string }>(names)).map((r) => r.name),
        ['a', 'b'],
        'neither failed transaction left a row',
      );
      // Prisma holding the write lock across awaits while bare-driver transactions queue behind it.
      const prismaTx = database.prisma.$transaction(async (tx) => {
        await tx.serviceSecret.create({ data: { service: 'tx', name: 'p', value: new Uint8Array([6]) } });
        await new Promise((r) => setTimeout(r, 50));
      });
      const racing = Array.from({ length: 5 }, (_, i) =>
        database.sql.transaction(function* () {
          return yield* sqlExecute(insert, ['tx', `r${i}`, new Uint8Array([i]), new Date()]);
        }),
      );
      await prismaTx;
      t.same(await Promise.all(racing), [1, 1, 1, 1, 1]);
      t.equal(await database.prisma.serviceSecret.count({ where: { service: 'tx' } }), 8);
    });

    await t.test('a database made from different migration SQL is reported, not used', async (t) => {
      const other = await openDatabase({ url: db.url, migrate: false });
      await other.prisma.$executeRawUnsafe(`UPDATE _fdo_migrations SET checksum = 'different'`);
      await other.close();
      await t.rejects(openDatabase({ url: db.url }), /applied from different SQL.*new database/);
    });
  });
}

t.test('two openers of one SQLite file in one process share its locks (no corruption)', async (t) => {
  const [target] = await databaseTargets(t);
  const a = await openDatabase({ url: target!.url });
  // The second open migrates through a short-lived connection of its own; closing it must not drop a's locks.
  const b = await openDatabase({ url: target!.url });
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  const writes = (db: typeof a, who: string) =>
    Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        db.prisma.auditEvent.create({ data: { service: 'test', actor: who, action: `write ${i}` } }),
      ),
    );
  await Promise.all([writes(a, 'a'), writes(b, 'b')]);
  t.equal(await a.prisma.auditEvent.count(), 200);
  t.equal(await b.prisma.auditEvent.count(), 200);
  const check = await a.prisma.$queryRawUnsafe<{ integrity_check: string }[]>('PRAGMA integrity_check');
  t.equal(check[0]!.integrity_check, 'ok');
});

t.test('instances starting together on one PostgreSQL database migrate it once', async (t) => {
  const targets = (await databaseTargets(t)).filter((d) => d.name === 'postgresql');
  if (targets.length === 0) return;
  const dbs = await Promise.all([1, 2, 3].map(() => openDatabase({ url: targets[0]!.url })));
  t.teardown(() => Promise.all(dbs.map((d) => d.close())));
  const rows = await dbs[0]!.prisma.$queryRawUnsafe<{ n: bigint }[]>('SELECT count(*) AS n FROM _fdo_migrations');
  t.equal(Number(rows[0]!.n), 1);
});
