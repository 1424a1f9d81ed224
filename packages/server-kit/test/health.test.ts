import t from 'tap';
import { openDatabase } from '@fdo/storage';
import { databaseTargets } from '@fdo/storage/testing';
import { createApp, databaseReadiness, Readiness } from '../src/index.js';

for (const target of await databaseTargets(t)) {
  t.test(`${target.name}: /ready needs the database reachable and migrated; /health never touches it`, async (t) => {
    const fresh = await openDatabase({ url: target.url, migrate: false });
    t.teardown(() => fresh.close());
    const app = createApp({ service: 'test', logger: false });
    app.readiness.add('database', databaseReadiness(fresh));
    t.teardown(() => app.close());

    const pending = await app.inject({ method: 'GET', url: '/ready' });
    t.equal(pending.statusCode, 503);
    t.match(pending.json(), {
      status: 'not ready',
      service: 'test',
      checks: { database: /^migrations pending: 0001_init \(run fdo-db migrate\)$/ },
    });
    t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200, 'alive all the same');

    const migrated = await openDatabase({ url: target.url });
    await migrated.close();
    const ready = await app.inject({ method: 'GET', url: '/ready' });
    t.equal(ready.statusCode, 200);
    t.same(ready.json(), { status: 'ready', service: 'test', checks: { database: 'ok' } });
  });
}

t.test('an unreachable database makes the instance not ready, with the reason', async (t) => {
  // Port 1 on loopback: nothing listens there, so the connection is refused at once.
  const gone = await openDatabase({ url: 'postgresql://fdo@127.0.0.1:1/fdo', migrate: false });
  t.teardown(() => gone.close().catch(() => {}));
  const app = createApp({ service: 'test', logger: false });
  app.readiness.add('database', databaseReadiness(gone));
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'GET', url: '/ready' });
  t.equal(res.statusCode, 503);
  t.not(res.json().checks.database, 'ok');
});

t.test('not ready before any dependency is registered, while shutting down, or when a check hangs', async (t) => {
  const readiness = new Readiness(50);
  t.match(await readiness.report(), { ready: false, checks: { startup: /no dependency/ } });
  readiness.add('fast', async () => {});
  t.same(await readiness.report(), { ready: true, checks: { fast: 'ok' } });
  readiness.add('stuck', () => new Promise(() => {}));
  t.match(await readiness.report(), { ready: false, checks: { fast: 'ok', stuck: 'no answer within 50 ms' } });

  const app = createApp({ service: 'test', logger: false });
  app.readiness.add('fast', async () => {});
  await app.ready();
  t.equal((await app.inject({ method: 'GET', url: '/ready' })).statusCode, 200);
  await app.close();
  t.match(await app.readiness.report(), { ready: false, checks: { shutdown: 'shutting down' } }, 'closing flips it');
});
