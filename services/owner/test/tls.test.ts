import t from 'tap';
import { sqliteTarget } from '@fdo/storage/testing';
import type { AddressInfo } from 'node:net';
import { httpsCaller, pki } from '../../../packages/server-kit/test/pki.js';
import { startOwner, tempDir } from './helpers.js';

t.test('the owner over HTTPS with mutual TLS on its management API (FDO_OWNER_TLS_*)', async (t) => {
  const p = await pki(t);
  const { app } = await startOwner(t, {
    databaseUrl: sqliteTarget(t).url,
    keysDir: tempDir(t),
    tls: { certFile: p.files.cert, keyFile: p.files.key, clientCaFile: p.files.clientCa, clientScope: null },
  });
  const call = httpsCaller((app.server.address() as AddressInfo).port, p.rootPem);
  const token = (await app.owner.tokens.create({ name: 'ops-token', scopes: ['read'] })).token;

  t.match(await call('GET', '/api/v1/devices', { token }), {
    status: 401,
    json: { error: 'client_certificate_required' },
  });
  t.match(await call('GET', '/api/v1/devices', { token, client: p.ops }), { status: 200, json: { devices: [] } });
  t.match(
    await call('GET', '/api/v1/session', { token, client: p.ops }),
    { status: 200, json: { name: 'ops-token', scopes: ['read'], clientCertificate: /CN=/ } },
    'GET /session names the token and the client certificate (the console shows both)',
  );
  t.equal((await call('GET', '/metrics', { token, client: p.mallory })).status, 401);
  t.equal((await call('GET', '/ready')).status, 200, 'probes stay open');
  t.equal((await call('POST', '/fdo/101/msg/60', { body: new Uint8Array([0x80]) })).status, 500, 'FDO open (255)');
});

t.test('under mutual TLS with a certificate scope, GET /session signs in with the certificate alone', async (t) => {
  const p = await pki(t);
  const { app } = await startOwner(t, {
    databaseUrl: sqliteTarget(t).url,
    keysDir: tempDir(t),
    tls: { certFile: p.files.cert, keyFile: p.files.key, clientCaFile: p.files.clientCa, clientScope: 'read' },
  });
  const call = httpsCaller((app.server.address() as AddressInfo).port, p.rootPem);
  const session = await call('GET', '/api/v1/session', { client: p.ops });
  t.match(session, { status: 200, json: { scopes: ['read'], tokenId: /^cert:/, clientCertificate: /CN=/ } });
  t.equal(session.json?.name, session.json?.clientCertificate, 'the certificate subject is the name');
  t.equal((await call('GET', '/api/v1/session')).status, 401, 'no certificate, no token: nothing');
});
