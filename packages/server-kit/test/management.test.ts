import t, { type Test } from 'tap';
import { ApiTokenStore, AuditLog, openDatabase } from '@fdo/storage';
import { databaseTargets } from '@fdo/storage/testing';
import { createApp, fdoRoutes, managementApi } from '../src/index.js';
import { encode } from '@fdo/protocol';

/** A service with management routes of each scope and an FDO route beside them, on a real database. */
async function start(t: Test, url: string) {
  const db = await openDatabase({ url });
  t.teardown(() => db.close());
  const tokens = new ApiTokenStore(db.prisma, 'test');
  const audit = new AuditLog(db.prisma, 'test');
  const app = createApp({ service: 'test', logger: false });
  await app.register(fdoRoutes, {
    messageTypes: [30],
    responder: async () => ({ msgType: 31, body: encode([]) }),
  });
  await app.register(managementApi, {
    prefix: '/api/v1',
    tokens,
    audit,
    tokenHint: 'fdo-test tokens create',
    routes: async (api) => {
      api.get('/things', async (request) => ({ things: [], by: request.principal?.name }));
      api.post(
        '/things/:id',
        { schema: { body: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } } },
        async () => ({ ok: true }),
      );
      api.delete('/things/:id', { config: { scope: 'admin' } }, async () => ({ deleted: true }));
      api.get('/boom', async () => {
        throw new Error('secret internals');
      });
    },
  });
  await app.ready();
  t.teardown(() => app.close());
  const reader = (await tokens.create({ name: 'viewer', scopes: ['read'] })).token;
  const writer = (await tokens.create({ name: 'line', scopes: ['write'] })).token;
  const admin = (await tokens.create({ name: 'ops', scopes: ['admin'] })).token;
  return { app, audit, tokens, reader, writer, admin };
}

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

for (const db of await databaseTargets(t)) {
  t.test(db.name, async (t) => {
    const { app, audit, tokens, reader, writer, admin } = await start(t, db.url);

    await t.test('no token or an unknown one: 401 with a reason, naming the command that makes tokens', async (t) => {
      const none = await app.inject({ method: 'GET', url: '/api/v1/things' });
      t.equal(none.statusCode, 401);
      t.equal(none.headers['www-authenticate'], 'Bearer realm="fdo-management"');
      t.match(none.json(), { error: 'unauthorized', message: /fdo-test tokens create/ });
      const bad = await app.inject({ method: 'GET', url: '/api/v1/things', headers: auth('fdo_nope') });
      t.equal(bad.statusCode, 401);
      t.match(bad.json(), { message: /unknown or revoked/ });
      const basic = await app.inject({
        method: 'GET',
        url: '/api/v1/things',
        headers: { authorization: 'Basic eDp5' },
      });
      t.equal(basic.statusCode, 401);
      const unknownRoute = await app.inject({ method: 'GET', url: '/api/v1/nothing' });
      t.equal(unknownRoute.statusCode, 401, 'even a route that does not exist reveals nothing without a token');
    });

    await t.test('scopes: read may read, write may change, admin may do all', async (t) => {
      const read = await app.inject({ method: 'GET', url: '/api/v1/things', headers: auth(reader) });
      t.equal(read.statusCode, 200);
      t.same(read.json(), { things: [], by: 'viewer' });
      const denied = await app.inject({
        method: 'POST',
        url: '/api/v1/things/1',
        headers: auth(reader),
        payload: { n: 1 },
      });
      t.equal(denied.statusCode, 403);
      t.match(denied.json(), { error: 'forbidden', message: /needs the "write" scope; token "viewer" has read/ });
      t.equal(
        (await app.inject({ method: 'POST', url: '/api/v1/things/1', headers: auth(writer), payload: { n: 1 } }))
          .statusCode,
        200,
      );
      t.equal((await app.inject({ method: 'DELETE', url: '/api/v1/things/1', headers: auth(writer) })).statusCode, 403);
      t.equal((await app.inject({ method: 'DELETE', url: '/api/v1/things/1', headers: auth(admin) })).statusCode, 200);
    });

    await t.test('bad requests get 400 with the reason; server faults hide their internals', async (t) => {
      const invalid = await app.inject({
        method: 'POST',
        url: '/api/v1/things/2',
        headers: auth(writer),
        payload: { n: 'x' },
      });
      t.equal(invalid.statusCode, 400);
      t.match(invalid.json(), { error: 'invalid_request', message: /n must be integer/ });
      const boom = await app.inject({ method: 'GET', url: '/api/v1/boom', headers: auth(admin) });
      t.equal(boom.statusCode, 500);
      t.notMatch(boom.body, /secret internals/);
      const missing = await app.inject({ method: 'GET', url: '/api/v1/nothing', headers: auth(admin) });
      t.equal(missing.statusCode, 404);
      t.match(missing.json(), { error: 'not_found' });
    });

    await t.test('every successful change is audited with who did it', async (t) => {
      const recent = await audit.recent();
      t.match(recent, [
        { action: 'DELETE /api/v1/things/:id', actor: /^ops /, target: '{"id":"1"}' },
        { action: 'POST /api/v1/things/:id', actor: /^line / },
      ]);
      t.equal(recent.length, 2, 'refused and failed requests and reads are not changes');
    });

    await t.test('FDO protocol routes stay open', async (t) => {
      const res = await app.inject({
        method: 'POST',
        url: '/fdo/101/msg/30',
        headers: { 'content-type': 'application/cbor' },
        payload: Buffer.from(encode([])),
      });
      t.equal(res.statusCode, 200);
      t.equal(res.headers['message-type'], '31');
    });

    await t.test('a revoked token stops working at once', async (t) => {
      const { id, token } = await tokens.create({ name: 'temp', scopes: ['read'] });
      t.equal((await app.inject({ method: 'GET', url: '/api/v1/things', headers: auth(token) })).statusCode, 200);
      await tokens.revoke(id);
      t.equal((await app.inject({ method: 'GET', url: '/api/v1/things', headers: auth(token) })).statusCode, 401);
    });
  });
}

t.test('a route with an unknown scope is refused at registration', async (t) => {
  const app = createApp({ service: 'test', logger: false });
  const registered = app
    .register(managementApi, {
      prefix: '/api',
      tokens: { verify: async () => null },
      routes: async (api) => {
        api.get('/x', { config: { scope: 'root' as 'admin' } }, async () => ({}));
      },
    })
    .ready();
  await t.rejects(async () => registered, /unknown scope "root"/);
});
