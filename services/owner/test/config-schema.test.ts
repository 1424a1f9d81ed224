import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { readmeSettingsBlock, settingsTable } from '@fdo/server-kit';
import { CONFIG_SCHEMA, runOwnerCli } from '../src/index.js';
import { tempDir } from './helpers.js';

async function run(argv: string[], env: NodeJS.ProcessEnv) {
  let stdout = '';
  let stderr = '';
  const io = { stdout: (s: string) => void (stdout += s), stderr: (s: string) => void (stderr += s) };
  return { code: await runOwnerCli(argv, io, env), stdout, stderr };
}

t.test('the README documents every setting: its table is the schema’s (npm run docs:config)', async (t) => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  t.equal(readmeSettingsBlock(readme, 'owner'), settingsTable(CONFIG_SCHEMA));
});

t.test('fdo-owner config shows each value with where it came from (file, environment, default)', async (t) => {
  const file = join(tempDir(t), 'owner.json');
  writeFileSync(file, JSON.stringify({ to0: { waitSeconds: '2d' }, port: 9042 }));
  const ok = await run(['config'], { FDO_OWNER_CONFIG: file, FDO_OWNER_PORT: '9043' });
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stdout, /^FDO_OWNER_TO0_WAIT_SECONDS +172800 +\(file\)$/m);
  t.match(ok.stdout, /^FDO_OWNER_PORT +9043 +\(env\)$/m);
  t.match(ok.stdout, /^FDO_OWNER_TO0_ENABLED +true$/m);
  writeFileSync(file, JSON.stringify({ to0: { wait: 1 } }));
  const bad = await run(['config'], { FDO_OWNER_CONFIG: file });
  t.equal(bad.code, 2);
  t.match(bad.stderr, /FDO_OWNER_CONFIG: unknown setting "to0.wait"/);
});
