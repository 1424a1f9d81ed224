import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import {
  configCommand,
  ConfigError,
  defineConfig,
  effectiveConfig,
  kinds,
  loadSettings,
  readmeSettingsBlock,
  rotatedSecrets,
  setting,
  settingsTable,
  withSettingsBlock,
} from '../src/index.js';

const schema = defineConfig('demo', 'FDO_DEMO_CONFIG', {
  port: setting(kinds.port(), {
    env: 'FDO_DEMO_PORT',
    alsoEnv: ['PORT'],
    file: 'port',
    default: 8000,
    description: 'port',
  }),
  dataDir: setting(kinds.path(), {
    env: 'FDO_DEMO_DATA_DIR',
    file: 'dataDir',
    default: '/srv/demo',
    description: 'data',
  }),
  databaseUrl: setting(kinds.databaseUrl(), {
    env: 'FDO_DEMO_DATABASE_URL',
    file: 'databaseUrl',
    default: (v) => `file:${v.dataDir as string}/demo.db`,
    defaultText: '`file:DATA_DIR/demo.db`',
    description: 'database',
  }),
  ttl: setting(kinds.duration(10, 86_400), {
    env: 'FDO_DEMO_TTL',
    file: 'session.ttl',
    default: 300,
    description: 'ttl',
  }),
  ratio: setting(kinds.number(0.1, 0.9), {
    env: 'FDO_DEMO_RATIO',
    file: 'session.ratio',
    default: 0.5,
    description: 'r',
  }),
  enabled: setting(kinds.bool(), { env: 'FDO_DEMO_ENABLED', file: 'enabled', default: true, description: 'on' }),
  mode: setting(kinds.oneOf(['a', 'b'] as const), {
    env: 'FDO_DEMO_MODE',
    file: 'mode',
    default: 'a',
    description: 'm',
  }),
  kinds: setting(kinds.list({ values: ['x', 'y', 'z'] as const, min: 1 }), {
    env: 'FDO_DEMO_KINDS',
    file: 'kinds',
    default: ['x'],
    description: 'kinds',
  }),
  urls: setting(kinds.urls(['https:']), { env: 'FDO_DEMO_URLS', file: 'urls', default: [], description: 'urls' }),
  files: setting(kinds.paths(), { env: 'FDO_DEMO_FILES', file: 'files', default: [], description: 'files' }),
  secret: setting(kinds.string({ pattern: /^[0-9a-f]{64}$/, expect: '64 hex digits' }), {
    env: 'FDO_DEMO_SECRET',
    file: 'secret',
    secret: true,
    description: 'a key',
  }),
});

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'fdo-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('defaults, derived defaults, and where each value came from', async (t) => {
  const { values, sources, problems, file } = loadSettings(schema, {});
  t.same(problems, []);
  t.equal(file, null);
  t.match(values, { port: 8000, databaseUrl: 'file:/srv/demo/demo.db', ttl: 300, enabled: true, secret: null });
  t.equal(sources.port, 'default');
  const moved = loadSettings(schema, { FDO_DEMO_DATA_DIR: '/data', PORT: '9000', FDO_DEMO_TTL: '5m' });
  t.equal(moved.values.databaseUrl, 'file:/data/demo.db', 'a derived default follows the setting it derives from');
  t.equal(moved.values.port, 9000, 'the fallback variable is read when the main one is unset');
  t.equal(moved.values.ttl, 300, 'durations take units');
  t.equal(moved.sources.port, 'env');
  t.equal(loadSettings(schema, { FDO_DEMO_PORT: '1', PORT: '2' }).values.port, 1, 'the main variable wins');
  t.equal(loadSettings(schema, { FDO_DEMO_TTL: '2h' }).values.ttl, 7200);
  t.same(loadSettings(schema, { FDO_DEMO_KINDS: ' y, x ,y' }).values.kinds, ['y', 'x'], 'trimmed, deduplicated');
  t.equal(loadSettings(schema, { FDO_DEMO_ENABLED: 'off' }).values.enabled, false);
  t.equal(loadSettings(schema, { FDO_DEMO_PORT: '  ' }).sources.port, 'default', 'blank is unset');
});

t.test('every invalid value is reported at once, naming the setting, the value and what is expected', async (t) => {
  const { problems } = loadSettings(schema, {
    FDO_DEMO_PORT: 'eighty',
    FDO_DEMO_DATABASE_URL: 'mysql://db',
    FDO_DEMO_TTL: '1d12h',
    FDO_DEMO_RATIO: '2',
    FDO_DEMO_ENABLED: 'maybe',
    FDO_DEMO_MODE: 'c',
    FDO_DEMO_KINDS: 'x,w',
    FDO_DEMO_URLS: 'http://plain.example',
  });
  t.same(problems, [
    'FDO_DEMO_PORT: "eighty" is not a port number (0–65535)',
    'FDO_DEMO_DATABASE_URL: "mysql://db" is not file:/path/to/service.db or postgresql://user@host:5432/db',
    'FDO_DEMO_TTL: "1d12h" is not a number of seconds (10–86400) or a duration such as 5m, 2h, 7d',
    'FDO_DEMO_RATIO: "2" is not a number from 0.1 to 0.9',
    'FDO_DEMO_ENABLED: "maybe" is not true or false',
    'FDO_DEMO_MODE: "c" is not one of a, b',
    'FDO_DEMO_KINDS: "x,w" must list one or more of x, y, z (not w)',
    'FDO_DEMO_URLS: "http://plain.example" is not a URL starting with https://',
  ]);
  t.same(loadSettings(schema, { FDO_DEMO_KINDS: ',' }).problems, ['FDO_DEMO_KINDS: "," must list at least 1']);
});

t.test('a secret is never echoed, in an error or in the effective configuration', async (t) => {
  const bad = loadSettings(schema, { FDO_DEMO_SECRET: 'hunter2' });
  t.same(bad.problems, ['FDO_DEMO_SECRET: "(value hidden)" is not 64 hex digits']);
  const secret = 'ab'.repeat(32);
  const rows = effectiveConfig(schema, {
    FDO_DEMO_SECRET: secret,
    FDO_DEMO_DATABASE_URL: 'postgresql://fdo:pw@db/fdo',
  });
  t.match(
    rows.find((r) => r.key === 'secret'),
    { value: '[redacted]', source: 'env', secret: true },
  );
  t.equal(rows.find((r) => r.key === 'databaseUrl')?.value, 'postgresql://fdo:***@db/fdo', 'a password in a URL');
  let out = '';
  const io = { stdout: (s: string) => void (out += s), stderr: () => {} };
  t.equal(await configCommand(schema, { FDO_DEMO_SECRET: secret })([], io), 0);
  t.notMatch(out, secret);
  t.match(out, /^FDO_DEMO_SECRET +\[redacted\] +\(env\)$/m);
  t.match(out, /^FDO_DEMO_PORT +8000$/m);
  out = '';
  t.equal(await configCommand(schema, { FDO_DEMO_SECRET: secret })(['--json'], io), 0);
  t.notMatch(out, secret);
  t.match(JSON.parse(out), { secret: { value: '[redacted]' }, port: { value: '8000', source: 'default' } });
  t.throws(
    () => effectiveConfig(schema, { FDO_DEMO_PORT: 'x' }),
    ConfigError,
    'an invalid configuration is not printed',
  );
});

t.test(
  'the JSON file: nested keys, paths relative to the file, the environment wins, unknown keys refused',
  async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'demo.json');
    writeFileSync(
      file,
      JSON.stringify({ port: 8100, session: { ttl: '10m' }, files: ['a.pem', '/abs/b.pem'], mode: 'b' }),
    );
    const loaded = loadSettings(schema, { FDO_DEMO_CONFIG: file, FDO_DEMO_MODE: 'a' });
    t.same(loaded.problems, []);
    t.equal(loaded.file, file);
    t.match(loaded.values, { port: 8100, ttl: 600, mode: 'a', files: [join(dir, 'a.pem'), '/abs/b.pem'] });
    t.equal(loaded.sources.port, 'file');
    t.equal(loaded.sources.mode, 'env');

    writeFileSync(file, JSON.stringify({ port: 'x' }));
    t.same(loadSettings(schema, { FDO_DEMO_CONFIG: file }).problems, [
      `port (in ${file}): "x" is not a port number (0–65535)`,
    ]);
    writeFileSync(file, JSON.stringify({ prot: 1, session: { ttl: 20, tll: 2 }, enabled: false }));
    const unknown = loadSettings(schema, { FDO_DEMO_CONFIG: file });
    t.match(unknown.problems, [/^FDO_DEMO_CONFIG: unknown setting "prot" in /, /unknown setting "session.tll"/]);
    t.equal(unknown.values.enabled, true, 'a file with a misspelt key is not used at all');
    writeFileSync(file, JSON.stringify({ session: 5 }));
    t.match(loadSettings(schema, { FDO_DEMO_CONFIG: file }).problems, [/"session" must be an object/]);
    writeFileSync(file, '{ "port": ');
    t.match(loadSettings(schema, { FDO_DEMO_CONFIG: file }).problems, [
      /^FDO_DEMO_CONFIG: .*demo.json is not valid JSON/,
    ]);
    writeFileSync(file, '[]');
    t.match(loadSettings(schema, { FDO_DEMO_CONFIG: file }).problems, [/must hold a JSON object/]);
    t.match(loadSettings(schema, { FDO_DEMO_CONFIG: join(dir, 'none.json') }).problems, [
      /^FDO_DEMO_CONFIG: cannot read .*none.json: ENOENT$/,
    ]);
  },
);

t.test('the README table comes from the schema and is replaced between its markers', async (t) => {
  const table = settingsTable(schema);
  t.match(table, /^\| `FDO_DEMO_PORT`, `PORT` \| `port` \| `8000` \| port \| a port number \(0–65535\) \|$/m);
  t.match(table, /^\| `FDO_DEMO_DATABASE_URL` \| `databaseUrl` \| `file:DATA_DIR\/demo.db` \|/m);
  t.match(table, /^\| `FDO_DEMO_SECRET` \| `secret` \| none \| a key \(a secret: never logged or printed\) \|/m);
  t.match(table, /^\| `FDO_DEMO_FILES` \| `files` \| none \|/m, 'an empty list is shown as none');
  const readme = 'intro\n<!-- settings:demo -->\nold\n<!-- /settings:demo -->\nrest\n';
  const updated = withSettingsBlock(readme, 'demo', table);
  t.equal(readmeSettingsBlock(updated, 'demo'), table);
  t.match(updated, /^intro\n[\s\S]*\nrest\n$/);
  t.throws(() => withSettingsBlock('no markers', 'demo', table), /no <!-- settings:demo --> block/);
  let out = '';
  await configCommand(schema, {})(['--markdown'], { stdout: (s) => void (out += s), stderr: () => {} });
  t.equal(out, `${table}\n`);
});

t.test('a schema declares each variable once and every setting somewhere', async (t) => {
  const port = setting(kinds.port(), { env: 'X_PORT', default: 1, description: 'p' });
  t.throws(() => defineConfig('x', 'X_CONFIG', { a: port, b: port }), /X_PORT is declared twice/);
  t.throws(
    () => defineConfig('x', 'X_CONFIG', { a: setting(kinds.port(), { default: 1, description: 'p' }) }),
    /needs an env or a file key/,
  );
});

t.test(
  'rotatedSecrets: the sealing secret first, then the earlier ones; earlier ones alone are a problem',
  async (t) => {
    const names = { current: 'FDO_X_SECRET', previous: 'FDO_X_PREVIOUS_SECRETS' };
    const [a, b, c] = [1, 2, 3].map((n) => new Uint8Array(32).fill(n));
    const problems: string[] = [];
    t.equal(rotatedSecrets(null, null, names, problems), null, 'none set: the service keeps its own');
    t.same(rotatedSecrets([a!], [b!, c!], names, problems), [a, b, c]);
    t.same(problems, []);
    t.same(rotatedSecrets(null, [b!], names, problems), [b]);
    t.same(problems, ['FDO_X_PREVIOUS_SECRETS needs FDO_X_SECRET (the secret that seals new tokens)']);
  },
);
