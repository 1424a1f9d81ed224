import t from 'tap';
import { sqliteTarget } from '@fdo/storage/testing';
import { checkOpenApi, checkRouteAuthentication } from '../../../packages/server-kit/test/route-checks.js';
import { startOwner, tempDir } from './helpers.js';

t.test('every owner route but FDO, probes and docs needs a token; every management route is in OpenAPI', async (t) => {
  const owner = await startOwner(t, { databaseUrl: sqliteTarget(t).url, keysDir: tempDir(t) });
  await t.test('401 without a token', (t) => checkRouteAuthentication(t, owner.app));
  await t.test('OpenAPI document', (t) => checkOpenApi(t, owner.app));
});
