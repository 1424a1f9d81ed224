/**
 * The README's run command and the demo, as an operator uses them: `npm start` (build, then
 * `scripts/start.mjs`) with its data folders in a fresh directory, waiting for readiness; `npm run demo`
 * walking one device through DI → voucher to the owner → TO0 → TO1 → TO2 against it; the owner's status
 * and metrics saying the device onboarded; and a clean stop on Ctrl-C (SIGINT to the process group, as a
 * terminal sends it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { metricSample } from '@fdo/server-kit';
import { freePort } from '../packages/robustness/harness/processes.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Output so far and the exit, of a child process. */
function run(child: ChildProcess) {
  const out = { text: '' };
  child.stdout!.on('data', (c: Buffer) => (out.text += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out.text += c.toString()));
  const exit = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal)),
  );
  return { out, exit };
}

async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs: number) {
  const end = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

t.test('npm start on a fresh data folder, the demo device onboarded, and a clean stop', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fdo-start-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const ports = { manufacturer: await freePort(), rendezvous: await freePort(), owner: await freePort() };
  const env = {
    ...process.env,
    MANUFACTURER_PORT: String(ports.manufacturer),
    RENDEZVOUS_PORT: String(ports.rendezvous),
    OWNER_PORT: String(ports.owner),
    FDO_MFG_DATA_DIR: join(dir, 'manufacturer'),
    FDO_RV_DATA_DIR: join(dir, 'rendezvous'),
    FDO_OWNER_DATA_DIR: join(dir, 'owner'),
    FDO_LOG_LEVEL: 'warn',
    FDO_LOG_FORMAT: 'json',
  };
  // Its own process group, so that "Ctrl-C" reaches npm and the node process under it alike.
  const start = spawn(npm, ['start'], { cwd: repoRoot, env, detached: true });
  const started = run(start);
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-start.pid!, signal);
    } catch {
      // already gone
    }
  };
  t.teardown(() => signalGroup('SIGKILL'));
  await until('the services to start', () => /All services are up and ready/.test(started.out.text), 180_000);
  for (const [name, port] of Object.entries(ports)) {
    const ready = await fetch(`http://127.0.0.1:${port}/ready`);
    t.equal(ready.status, 200, `${name} ready`);
  }
  const ownerToken = readFileSync(join(dir, 'owner', 'admin-token'), 'utf8').trim();
  t.match(started.out.text, join(dir, 'owner', 'admin-token'), 'the admin token file is printed');
  const ownerApi = async (path: string) =>
    fetch(`http://127.0.0.1:${ports.owner}${path}`, { headers: { authorization: `Bearer ${ownerToken}` } });
  const onboardings = async () =>
    metricSample(await (await ownerApi('/metrics')).text(), 'fdo_owner_onboardings_total', { result: 'completed' });
  t.equal(await onboardings(), 0);

  const demo = run(spawn(npm, ['run', 'demo'], { cwd: repoRoot, env }));
  const code = await demo.exit;
  t.equal(code, 0, demo.out.text);
  t.match(demo.out.text, /using the running services/);
  for (const step of [
    /DI: the manufacturer initialized/,
    /TO0: the owner registered/,
    /TO1: redirected/,
    /TO2: Done2/,
  ]) {
    t.match(demo.out.text, step);
  }

  const devices = (await (await ownerApi('/api/v1/devices?state=onboarded')).json()) as { devices: unknown[] };
  t.equal(devices.devices.length, 1, 'the owner shows the device onboarded');
  t.equal(await onboardings(), 1, 'metrics changed after the onboarding');

  signalGroup('SIGINT');
  // npm itself ends on the SIGINT once its script has exited; the script says how it stopped.
  t.ok([0, 'SIGINT'].includes((await started.exit)!), 'npm start ends on Ctrl-C');
  t.match(started.out.text, /SIGINT: stopping[\s\S]*\nstopped\n/, 'Ctrl-C stops it cleanly');
  t.notMatch(started.out.text, /stopping at once|stop failed/);
});
