import { readFileSync } from 'node:fs';
import t from 'tap';
import { readmeSettingsBlock, settingsTable } from '@fdo/server-kit';
import { CONFIG_SCHEMA, runRendezvousCli } from '../src/index.js';

async function run(argv: string[], env: NodeJS.ProcessEnv) {
  let stdout = '';
  let stderr = '';
  const io = { stdout: (s: string) => void (stdout += s), stderr: (s: string) => void (stderr += s) };
  return { code: await runRendezvousCli(argv, io, env), stdout, stderr };
}

t.test('the README documents every setting: its table is the schema’s (npm run docs:config)', async (t) => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  t.equal(readmeSettingsBlock(readme, 'rendezvous'), settingsTable(CONFIG_SCHEMA));
});

t.test('fdo-rendezvous config prints the effective configuration, sealing secrets redacted', async (t) => {
  const secret = 'c0ffee'.repeat(11);
  const ok = await run(['config', '--json'], { FDO_RV_TOKEN_SECRET: secret, FDO_RV_MAX_WAIT_SECONDS: '7d' });
  t.equal(ok.code, 0, ok.stderr);
  t.notMatch(ok.stdout, secret);
  t.match(JSON.parse(ok.stdout), {
    tokenSecret: { env: 'FDO_RV_TOKEN_SECRET', value: '[redacted]', source: 'env', secret: true },
    maxWaitSeconds: { value: '604800', source: 'env' },
    port: { value: '8040', source: 'default' },
  });
  const bad = await run(['config'], { FDO_RV_TOKEN_SECRET: 'abcd' });
  t.equal(bad.code, 2);
  t.match(
    bad.stderr,
    /FDO_RV_TOKEN_SECRET: "\(value hidden\)" has a secret \(number 1\) of 2 bytes; each needs 32 or more/,
  );
  t.notMatch(bad.stderr, 'abcd');
});
