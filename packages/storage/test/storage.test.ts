import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import {
  ApiTokenStore,
  AuditLog,
  openDatabase,
  parseScopes,
  providerOf,
  redactUrl,
  scopeAllows,
  serviceSecret,
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

    await t.test('a database made from different migration SQL is reported, not used', async (t) => {
      const other = await openDatabase({ url: db.url, migrate: false });
      await other.prisma.$executeRawUnsafe(`UPDATE _fdo_migrations SET checksum = 'different'`);
      await other.close();
      await t.rejects(openDatabase({ url: db.url }), /applied from different SQL.*new database/);
    });
  });
}

t.test('instances starting together on one PostgreSQL database migrate it once', async (t) => {
  const targets = (await databaseTargets(t)).filter((d) => d.name === 'postgresql');
  if (targets.length === 0) return;
  const dbs = await Promise.all([1, 2, 3].map(() => openDatabase({ url: targets[0]!.url })));
  t.teardown(() => Promise.all(dbs.map((d) => d.close())));
  const rows = await dbs[0]!.prisma.$queryRawUnsafe<{ n: bigint }[]>('SELECT count(*) AS n FROM _fdo_migrations');
  t.equal(Number(rows[0]!.n), 1);
});
