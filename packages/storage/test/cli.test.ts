import { spawnSync } from 'node:child_process';
import t from 'tap';
import { openDatabase } from '../src/index.js';
import { runDbCli } from '../src/cli.js';
import { databaseTargets } from '../src/testing.js';

async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runDbCli(argv, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s) }, env);
  return { code, stdout, stderr };
}

// Databases first: a subtest that ends while they are being made would let tap end the root test.
const targets = await databaseTargets(t);

t.test('usage errors exit 2 and say what is missing', async (t) => {
  t.match(await run([]), { code: 2, stderr: /fdo-db migrate/ });
  t.match(await run(['migrate']), { code: 2, stderr: /pass --url or set FDO_DATABASE_URL/ });
  t.match(await run(['drop', '--url', 'file:/tmp/x.db']), { code: 2 });
  t.match(await run(['migrate', '--url', 'mysql://x:secret@h/db']), { code: 1, stderr: /not supported/ });
});

for (const db of targets) {
  t.test(`${db.name}: status shows pending, migrate applies, status shows applied`, async (t) => {
    const before = await run(['status'], { FDO_DATABASE_URL: db.url });
    t.equal(before.code, 0, before.stderr);
    t.match(before.stdout, /^pending {2}0001_init$/m);
    const migrate = await run(['migrate', '--url', db.url]);
    t.equal(migrate.code, 0, migrate.stderr);
    t.match(migrate.stdout, /^applied {2}0001_init$/m);
    t.match(migrate.stderr, /schema up to date/);
    const opened = await openDatabase({ url: db.url, migrate: false });
    t.equal(await opened.prisma.apiToken.count(), 0, 'the tables exist');
    await opened.close();
  });
}

t.test('the installed command runs', async (t) => {
  const bin = new URL('../bin/fdo-db.js', import.meta.url).pathname;
  const res = spawnSync(process.execPath, [bin], { encoding: 'utf8' });
  t.equal(res.status, 2);
  t.match(res.stderr, /fdo-db status/);
});
