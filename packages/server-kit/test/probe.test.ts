import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { generateKeyPair, toPem } from '@fdo/protocol';
import { certificatesToPem, createSelfSignedCa } from '@fdo/protocol/x509';
import { createApp, loadTls } from '../src/index.js';

const PROBE = fileURLToPath(new URL('../bin/fdo-probe.js', import.meta.url));

/** Runs the container healthcheck against `port`; resolves with its exit code. */
const probe = (port: number, path?: string) =>
  new Promise<number>((resolve) => {
    execFile(process.execPath, [PROBE, String(port), ...(path === undefined ? [] : [path])], (err) =>
      resolve(err === null ? 0 : ((err as { code?: number }).code ?? 1)),
    );
  });

async function serve(https: ReturnType<typeof loadTls>['https'], ready: boolean) {
  const app = createApp({ service: 'test', logger: false, https });
  app.readiness.add('db', async () => {
    if (!ready) throw new Error('down');
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, port: (app.server.address() as AddressInfo).port };
}

t.test('fdo-probe: /ready over HTTP or HTTPS, exit 0 only when ready', async (t) => {
  const up = await serve(null, true);
  t.teardown(() => up.app.close());
  t.equal(await probe(up.port), 0, 'HTTP, ready');
  const down = await serve(null, false);
  t.teardown(() => down.app.close());
  t.equal(await probe(down.port), 1, 'HTTP, not ready (503)');
  t.equal(await probe(down.port, '/health'), 0, 'alive all the same');

  const dir = mkdtempSync(join(tmpdir(), 'fdo-probe-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const key = generateKeyPair('ec256');
  const cert = await createSelfSignedCa({ privateKey: key.privateKey, subject: 'CN=localhost' });
  writeFileSync(join(dir, 'tls.crt'), certificatesToPem([cert]));
  writeFileSync(join(dir, 'tls.key'), toPem('PRIVATE KEY', key.privateKey.pkcs8));
  const tls = loadTls(
    { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), clientCaFile: null, clientScope: null },
    'FDO_TEST',
  );
  const secure = await serve(tls.https, true);
  t.teardown(() => secure.app.close());
  t.equal(await probe(secure.port), 0, 'HTTPS, ready');

  await up.app.close();
  t.equal(await probe(up.port), 1, 'nothing listening');
  t.equal(await probe(Number.NaN), 2, 'usage');
});
