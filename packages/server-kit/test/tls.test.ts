import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { encode } from '@fdo/protocol';
import { ApiTokenStore, AuditLog, openDatabase } from '@fdo/storage';
import { sqliteTarget } from '@fdo/storage/testing';
import {
  ConfigError,
  createApp,
  fdoRoutes,
  loadTls,
  managementApi,
  metricsEndpoint,
  tlsConfigOf,
  type TlsConfig,
} from '../src/index.js';
import { httpsCaller, pki, type Pki } from './pki.js';

/** A service over HTTPS with an FDO route, a management API (audited) and /metrics. */
async function start(t: Test, p: Pki, clientScope: TlsConfig['clientScope'] = null) {
  const tls = loadTls(
    { certFile: p.files.cert, keyFile: p.files.key, clientCaFile: p.files.clientCa, clientScope },
    'FDO_TEST',
  );
  const db = await openDatabase({ url: sqliteTarget(t).url });
  t.teardown(() => db.close());
  const tokens = new ApiTokenStore(db.prisma, 'test');
  const audit = new AuditLog(db.prisma, 'test');
  const app = createApp({ service: 'test', logger: false, https: tls.https });
  await app.register(fdoRoutes, { messageTypes: [30], responder: async () => ({ msgType: 31, body: encode([]) }) });
  await app.register(managementApi, {
    prefix: '/api/v1',
    tokens,
    audit,
    clientCertificates: tls.clientCertificates,
    routes: async (api) => {
      api.get('/things', async (req) => ({ by: req.principal?.name }));
      api.post('/things', async () => ({ ok: true }));
    },
  });
  await app.register(metricsEndpoint, { access: 'token', tokens, clientCertificates: tls.clientCertificates });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  const port = (app.server.address() as AddressInfo).port;
  const token = (await tokens.create({ name: 'ci', scopes: ['write'] })).token;

  const call = httpsCaller(port, p.rootPem);
  return { call, token, audit };
}

t.test('mutual TLS: the management API and /metrics need a client certificate from the client CA', async (t) => {
  const p = await pki(t);
  const { call, token, audit } = await start(t, p);

  const noCert = await call('GET', '/api/v1/things', { token });
  t.equal(noCert.status, 401);
  t.match(noCert.json, {
    error: 'client_certificate_required',
    message: /issued by the CA of FDO_TEST_TLS_CLIENT_CA: none was sent/,
  });
  const rogue = await call('GET', '/api/v1/things', { token, client: p.mallory });
  t.equal(rogue.status, 401);
  t.match(rogue.json, { message: /the one sent was refused/ });

  const ok = await call('GET', '/api/v1/things', { token, client: p.ops });
  t.equal(ok.status, 200);
  t.same(ok.json, { by: 'ci' }, 'the token gives the scopes');
  const noToken = await call('GET', '/api/v1/things', { client: p.ops });
  t.equal(noToken.status, 401, 'by default a certificate alone is not enough');
  t.match(noToken.json, { error: 'unauthorized' });

  t.equal((await call('POST', '/api/v1/things', { token, client: p.ops })).status, 200);
  const [entry] = await audit.recent(1);
  t.match(entry, { actor: 'CN=ops, O=Acme', action: 'POST /api/v1/things', detail: /^token ci \(/ });

  t.equal((await call('GET', '/metrics', { token })).status, 401, '/metrics too');
  t.equal((await call('GET', '/metrics', { token, client: p.ops })).status, 200);

  t.equal((await call('GET', '/health')).status, 200, 'probes open without a certificate');
  const fdo = await call('POST', '/fdo/101/msg/30', { body: encode([]) });
  t.equal(fdo.status, 200, 'FDO open: devices have no client certificate');
});

t.test('FDO_*_TLS_CLIENT_SCOPE lets a verified certificate alone grant a scope', async (t) => {
  const p = await pki(t);
  const { call, audit } = await start(t, p, 'read');
  const read = await call('GET', '/api/v1/things', { client: p.ops });
  t.equal(read.status, 200);
  t.same(read.json, { by: 'CN=ops, O=Acme' });
  const write = await call('POST', '/api/v1/things', { client: p.ops });
  t.equal(write.status, 403, 'read scope only');
  t.same(await audit.recent(1), [], 'nothing changed, nothing audited');
  t.equal((await call('GET', '/api/v1/things', { client: p.mallory })).status, 401);
});

t.test('TLS settings: both halves of a key pair, mutual TLS only over TLS, files named when unusable', async (t) => {
  const problems: string[] = [];
  const v = { tlsCert: '/c.pem', tlsKey: null, tlsClientCa: null, tlsClientScope: 'none' };
  tlsConfigOf(v, 'FDO_X', problems);
  tlsConfigOf({ ...v, tlsCert: null, tlsClientCa: '/ca.pem', tlsClientScope: 'admin' }, 'FDO_X', problems);
  t.same(problems, [
    'FDO_X_TLS_CERT and FDO_X_TLS_KEY: set both (HTTPS) or neither (plain HTTP)',
    'FDO_X_TLS_CLIENT_CA needs FDO_X_TLS_CERT and FDO_X_TLS_KEY (mutual TLS is TLS)',
  ]);
  t.same(loadTls({ certFile: null, keyFile: null, clientCaFile: null, clientScope: null }, 'FDO_X'), { https: null });

  const p = await pki(t);
  const config = { certFile: p.files.cert, keyFile: join(p.dir, 'missing.key'), clientCaFile: null, clientScope: null };
  t.throws(() => loadTls(config, 'FDO_X'), new ConfigError([`FDO_X_TLS_KEY: cannot read ${config.keyFile}: ENOENT`]));
  const notPem = p.write('not.pem', 'hello');
  t.throws(() => loadTls({ ...config, keyFile: notPem }, 'FDO_X'), /FDO_X_TLS_KEY: .*not\.pem holds no PRIVATE KEY/);
  const plain = loadTls({ ...config, keyFile: p.files.key }, 'FDO_X');
  t.equal(plain.clientCertificates, undefined, 'TLS without client certificates');
  t.notOk(plain.https?.requestCert);
});
