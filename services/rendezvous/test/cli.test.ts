import t from 'tap';
import { ApiTokenStore, openDatabase } from '@fdo/storage';
import { databaseTargets } from '@fdo/storage/testing';
import { runRendezvousCli } from '../src/index.js';

async function run(argv: string[], env: NodeJS.ProcessEnv) {
  let stdout = '';
  let stderr = '';
  const code = await runRendezvousCli(
    argv,
    { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s) },
    env,
  );
  return { code, stdout, stderr };
}

t.test('fdo-rendezvous tokens create, list, revoke', async (t) => {
  const [db] = await databaseTargets(t);
  const env = { FDO_RV_DATABASE_URL: db!.url };
  const created = await run(['tokens', 'create', '--name', 'support', '--scope', 'read'], env);
  t.equal(created.code, 0, created.stderr);
  const token = created.stdout.trim();
  // One connection at a time: see scale-out.test.ts on two SQLite library copies in one process.
  const verify = async (tok: string) => {
    const database = await openDatabase({ url: db!.url });
    try {
      return await new ApiTokenStore(database.prisma, 'rendezvous').verify(tok);
    } finally {
      await database.close();
    }
  };
  const principal = await verify(token);
  t.same(principal?.scopes, ['read']);
  t.equal(principal?.name, 'support');

  const list = await run(['tokens', 'list'], env);
  t.match(list.stdout, new RegExp(`^${principal!.tokenId}\\tsupport\\tread\\tactive$`, 'm'));
  t.notMatch(list.stdout, token, 'never the token itself');
  t.equal((await run(['tokens', 'revoke', principal!.tokenId], env)).code, 0);
  t.equal(await verify(token), null);
  t.equal((await run(['tokens', 'revoke', principal!.tokenId], env)).code, 1);

  t.equal((await run(['tokens', 'create', '--name', 'x'], env)).code, 2);
  t.equal(
    (await run(['tokens', 'create', '--name', 'x', '--scope', 'root'], env)).code,
    2,
    'a bad scope is a usage error',
  );
  t.equal((await run(['launch'], env)).code, 2);
  const bad = await run(['tokens', 'list'], { FDO_RV_DATABASE_URL: 'mysql://nope' });
  t.equal(bad.code, 2, 'a configuration error');
  t.match(bad.stderr, /FDO_RV_DATABASE_URL/);
});
