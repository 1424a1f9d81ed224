import t from 'tap';
import { encode } from '@fdo/protocol';
import { createApp, errorReplySchema, fdoRoutes, managementApi } from '../src/index.js';

async function start(apiDocs?: boolean) {
  const app = createApp({ service: 'demo', logger: false, ...(apiDocs === undefined ? {} : { apiDocs }) });
  await app.register(fdoRoutes, { messageTypes: [30], responder: async () => ({ msgType: 31, body: encode([]) }) });
  await app.register(managementApi, {
    prefix: '/api/v1',
    tokens: { verify: async () => null },
    routes: async (api) => {
      api.delete(
        '/things/:id',
        {
          config: { scope: 'admin' },
          schema: {
            params: { type: 'object', properties: { id: { type: 'string' } } },
            response: { 204: { type: 'null' }, 404: errorReplySchema },
          },
        },
        async (_req, reply) => reply.code(204).send(),
      );
    },
  });
  await app.ready();
  return app;
}

t.test(
  'the OpenAPI document: management routes secured with their scope and 401/403, FDO and probes open',
  async (t) => {
    const app = await start();
    t.teardown(() => app.close());
    const res = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    t.equal(res.statusCode, 200);
    const doc = res.json();
    t.match(doc, { openapi: '3.0.3', info: { title: 'FDO demo service' } });
    t.same(doc.components.securitySchemes.bearer, {
      type: 'http',
      scheme: 'bearer',
      description: 'A management API token; each route needs the read, write or admin scope',
    });
    const del = doc.paths['/api/v1/things/{id}'].delete;
    t.same(del.security, [{ bearer: [] }]);
    t.same(del.tags, ['things']);
    t.match(del.description, /`admin` scope/);
    t.ok(del.responses['204'] && del.responses['401'] && del.responses['403'] && del.responses['404']);
    const fdo = doc.paths['/fdo/{version}/msg/{type}'].post;
    t.equal(fdo.security, undefined, 'FDO is open');
    t.ok(fdo.requestBody.content['application/cbor'], 'the CBOR body is described');
    t.ok(fdo.responses['200'].content['application/cbor']);
    t.ok(doc.paths['/ready'].get.responses['503'], 'readiness documents 503');
    t.notOk(doc.paths['/api/v1/openapi.json'], 'the document does not describe itself');
  },
);

t.test('the docs page is served from local assets; both go away with apiDocs: false', async (t) => {
  const app = await start();
  t.teardown(() => app.close());
  const page = await app.inject({ method: 'GET', url: '/api/v1/docs' });
  t.equal(page.statusCode, 200);
  t.match(page.body, /swagger-ui/);
  t.notMatch(page.body, /<script[^>]+src="https?:/, 'no script from the web');
  const bundle = await app.inject({ method: 'GET', url: '/api/v1/docs/static/swagger-ui-bundle.js' });
  t.equal(bundle.statusCode, 200);

  const off = await start(false);
  t.teardown(() => off.close());
  // Under /api/v1 an unknown path is the management API's: without a token, 401.
  t.equal((await off.inject({ method: 'GET', url: '/api/v1/openapi.json' })).statusCode, 401);
  t.equal((await off.inject({ method: 'GET', url: '/api/v1/docs' })).statusCode, 401);
  t.ok(off.swagger().paths?.['/health'], 'the document is still built (tools, tests)');
});
