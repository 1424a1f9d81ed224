import { join } from 'node:path';
import t from 'tap';
import { sqliteTarget } from '@fdo/storage/testing';
import { checkOpenApi, checkRouteAuthentication } from '../../../packages/server-kit/test/route-checks.js';
import { build } from '../src/index.js';
import { tempDir } from './helpers.js';

t.test(
  'every manufacturer route but FDO, probes and docs needs a token; every management route is in OpenAPI',
  async (t) => {
    const dataDir = tempDir(t);
    const app = await build({
      dataDir,
      keysDir: join(dataDir, 'keys'),
      keyKinds: ['ec256'],
      databaseUrl: sqliteTarget(t).url,
      logger: false,
    });
    t.teardown(() => app.close());
    await app.ready();
    await t.test('401 without a token', (t) => checkRouteAuthentication(t, app));
    await t.test('OpenAPI document', (t) => checkOpenApi(t, app));
  },
);
