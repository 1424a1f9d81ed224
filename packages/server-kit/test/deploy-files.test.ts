/**
 * The deployment files, checked without a container engine (none runs here; CI also runs
 * `docker compose config` when a compose tool is installed): docker-compose.yml wires PostgreSQL, a
 * one-shot migration job and the three services with readiness healthchecks, and the Dockerfile has
 * the stages it names.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { parse } from 'yaml';

const root = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
const compose = parse(readFileSync(root('docker-compose.yml'), 'utf8'), { merge: true }) as {
  name?: string;
  services: Record<string, Json>;
  volumes: Record<string, unknown>;
};
const dockerfile = readFileSync(root('Dockerfile'), 'utf8');
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a parsed YAML document, read field by field
type Json = any;

const SERVICES = { manufacturer: ['8039', 'FDO_MFG'], rendezvous: ['8040', 'FDO_RV'], owner: ['8042', 'FDO_OWNER'] };
const DATABASE = 'postgresql://fdo:fdo@postgres:5432/fdo';

t.test('docker-compose.yml: PostgreSQL, a one-shot migration job, then the three services', async (t) => {
  t.same(Object.keys(compose.services).sort(), ['manufacturer', 'migrate', 'owner', 'postgres', 'rendezvous']);
  const { postgres, migrate } = compose.services;
  t.match(postgres.image, /^postgres:\d+/);
  t.match(postgres.healthcheck.test.join(' '), /pg_isready/);
  t.equal(migrate.build.target, 'migrate');
  t.equal(migrate.restart, 'no', 'the migration job runs once');
  t.same(migrate.depends_on, { postgres: { condition: 'service_healthy' } });
  t.equal(migrate.environment.FDO_DATABASE_URL, DATABASE);
  t.match(dockerfile, /^FROM runtime AS migrate\nCMD \["node", "packages\/storage\/bin\/fdo-db\.js", "migrate"\]$/m);
});

for (const [name, [port, prefix]] of Object.entries(SERVICES)) {
  t.test(`docker-compose.yml: ${name} waits for the migration and is healthy when ready`, async (t) => {
    const s = compose.services[name];
    t.equal(s.build.target, name);
    t.match(dockerfile, new RegExp(`^FROM runtime AS ${name}$`, 'm'), 'the Dockerfile has its stage');
    t.match(dockerfile, new RegExp(`^EXPOSE ${port}$`, 'm'));
    t.same(s.depends_on, { migrate: { condition: 'service_completed_successfully' } });
    t.equal(s.environment[`${prefix}_DATABASE_URL`], DATABASE);
    t.same(s.ports, [`127.0.0.1:${port}:${port}`], 'published on loopback only');
    t.same(s.healthcheck.test, ['CMD', 'node', 'packages/server-kit/bin/fdo-probe.js', port]);
    t.match(s.healthcheck, { interval: /s$/, retries: Number, start_period: /s$/ });
    t.match(dockerfile, new RegExp(`HEALTHCHECK .*"packages/server-kit/bin/fdo-probe.js", "${port}"\\]`));
    t.ok(compose.volumes[s.volumes[0].split(':')[0]] !== undefined, 'its data folder is a named volume');
  });
}

t.test('the healthcheck probes /ready (database reachable, migrations applied)', async (t) => {
  const probe = readFileSync(root('packages/server-kit/bin/fdo-probe.js'), 'utf8');
  t.match(probe, /const \[port, path = '\/ready'\]/);
  t.ok(existsSync(root('packages/storage/bin/fdo-db.js')), 'the migration job has its command');
});

t.test('the Dockerfile runs as an unprivileged user with production dependencies only', async (t) => {
  t.match(dockerfile, /^USER node$/m);
  t.match(dockerfile, /npm ci --omit=dev/);
  t.equal(compose.name, 'fdo', 'Compose v2 project name (CI strips it for docker-compose v1)');
});
