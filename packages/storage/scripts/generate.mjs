#!/usr/bin/env node
// Generates everything Prisma derives from prisma/schema/ (the SQLite schema, the source of truth):
//   - the PostgreSQL copy of the schema (packages/storage/generated/postgresql-schema/),
//   - a Prisma client per provider (packages/storage/generated/{sqlite,postgresql}/),
//   - with --migrations: the migration SQL per provider (prisma/migrations/<provider>/0001_init/).
//   - with --check: exits 1 if the committed migration SQL differs from the schema.
// Plain generation is skipped when the schema and Prisma's version are those of the last run (a stamp
// in generated/), so `npm start` on a built tree rewrites nothing another process may be loading.
// It drives the Prisma 6.19 CLI through a generated config with a driver adapter and the JS engine,
// which is what keeps the CLI from downloading its native engine (docs/platform-notes.md).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const storageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = resolve(storageDir, '../..');
const schemaDir = join(repoRoot, 'prisma/schema');
const migrationsDir = join(repoRoot, 'prisma/migrations');
const generatedDir = join(storageDir, 'generated');
const prismaCli = createRequire(join(storageDir, 'package.json')).resolve('prisma/build/index.js');

const args = new Set(process.argv.slice(2));

function derivePostgresSchema() {
  const out = join(generatedDir, 'postgresql-schema');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  for (const file of readdirSync(schemaDir).filter((f) => f.endsWith('.prisma'))) {
    let text = readFileSync(join(schemaDir, file), 'utf8');
    if (file === 'base.prisma') {
      text = text
        .replace('provider = "sqlite"', 'provider = "postgresql"')
        .replace(/url\s*=\s*"file:[^"]*"/, 'url      = "postgresql://unused@localhost/unused"')
        .replace(/output\s*=\s*"[^"]*"/, 'output     = "../postgresql"');
    }
    writeFileSync(join(out, file), text);
  }
  return out;
}

function configFor(name, schema) {
  const file = join(generatedDir, `prisma.${name}.config.mjs`);
  writeFileSync(
    file,
    [
      "import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';",
      'export default {',
      '  experimental: { adapter: true },',
      "  engine: 'js',",
      `  schema: ${JSON.stringify(schema)},`,
      `  adapter: async () => new PrismaBetterSQLite3({ url: 'file:${join(generatedDir, 'cli-unused.db')}' }),`,
      '};',
      '',
    ].join('\n'),
  );
  return file;
}

function prisma(config, ...cliArgs) {
  return execFileSync(process.execPath, [prismaCli, ...cliArgs, '--config', config], {
    cwd: storageDir,
    encoding: 'utf8',
    env: { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

mkdirSync(generatedDir, { recursive: true });
const stampFile = join(generatedDir, '.schema-stamp');
const stamp = createHash('sha256')
  .update(readFileSync(join(dirname(prismaCli), '..', 'package.json')))
  .update(readFileSync(fileURLToPath(import.meta.url)));
for (const file of readdirSync(schemaDir).sort()) stamp.update(file).update(readFileSync(join(schemaDir, file)));
const stampValue = stamp.digest('hex');
const upToDate =
  existsSync(stampFile) &&
  readFileSync(stampFile, 'utf8') === stampValue &&
  ['sqlite', 'postgresql'].every((p) => existsSync(join(generatedDir, p, 'index.js')));
if (upToDate && !args.has('--migrations') && !args.has('--check')) process.exit(0);
rmSync(stampFile, { force: true });

const targets = [
  { provider: 'sqlite', schema: schemaDir },
  { provider: 'postgresql', schema: derivePostgresSchema() },
];
let stale = false;
for (const { provider, schema } of targets) {
  const config = configFor(provider, schema);
  prisma(config, 'generate', '--no-hints');
  if (args.has('--migrations') || args.has('--check')) {
    const sql = prisma(config, 'migrate', 'diff', '--from-empty', '--to-schema-datamodel', schema, '--script');
    const file = join(migrationsDir, provider, '0001_init', 'migration.sql');
    const committed = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (args.has('--check')) {
      if (committed !== sql) {
        console.error(`${file} does not match prisma/schema: run \`npm run db:migration\` and commit the result`);
        stale = true;
      }
    } else if (committed !== sql) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, sql);
      console.log(`wrote ${file}`);
    }
  }
}
rmSync(join(generatedDir, 'cli-unused.db'), { force: true });
writeFileSync(stampFile, stampValue);
if (stale) process.exitCode = 1;
