import t from 'tap';
import { sqliteTarget } from '@fdo/storage/testing';
import { checkOpenApi, checkRouteAuthentication } from '../../../packages/server-kit/test/route-checks.js';
import { startRendezvous } from './helpers.js';

t.test(
  'every rendezvous route but FDO, probes and docs needs a token; every management route is in OpenAPI',
  async (t) => {
    const rv = await startRendezvous(t, sqliteTarget(t).url);
    await t.test('401 without a token', (t) => checkRouteAuthentication(t, rv.app));
    await t.test('OpenAPI document', (t) => checkOpenApi(t, rv.app));
  },
);
