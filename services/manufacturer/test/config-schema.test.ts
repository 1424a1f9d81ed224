import { readFileSync } from 'node:fs';
import t from 'tap';
import { readmeSettingsBlock, settingsTable } from '@fdo/server-kit';
import { CONFIG_SCHEMA, runManufacturerCli } from '../src/index.js';

async function run(argv: string[], env: NodeJS.ProcessEnv) {
  let stdout = '';
  let stderr = '';
  const io = { stdout: (s: string) => void (stdout += s), stderr: (s: string) => void (stderr += s) };
  return { code: await runManufacturerCli(argv, io, env), stdout, stderr };
}

t.test('the README documents every setting: its table is the schema’s (npm run docs:config)', async (t) => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  t.equal(readmeSettingsBlock(readme, 'manufacturer'), settingsTable(CONFIG_SCHEMA));
});

t.test(
  'fdo-manufacturer config prints the effective configuration; an invalid one exits 2 naming the setting',
  async (t) => {
    const env = { FDO_MFG_DATABASE_URL: 'postgresql://fdo:s3cret@db:5432/fdo', FDO_MFG_SESSION_TTL: '10m' };
    const ok = await run(['config'], env);
    t.equal(ok.code, 0, ok.stderr);
    t.match(ok.stdout, /^FDO_MFG_DATABASE_URL +postgresql:\/\/fdo:\*\*\*@db:5432\/fdo +\(env\)$/m);
    t.match(ok.stdout, /^FDO_MFG_SESSION_TTL +600 +\(env\)$/m);
    t.match(ok.stdout, /^FDO_MFG_RV +http:\/\/127\.0\.0\.1:8040$/m);
    t.notMatch(ok.stdout, 's3cret');
    const bad = await run(['config'], { FDO_MFG_PORT: '70000' });
    t.equal(bad.code, 2);
    t.match(bad.stderr, /FDO_MFG_PORT: "70000" is not a port number \(0–65535\)/);
  },
);
