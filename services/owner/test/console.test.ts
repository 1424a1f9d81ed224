/**
 * The owner console's serving, without a browser (console.e2e.test.ts drives it in Chromium): `/`
 * redirects to `/console/`; the page and its compiled scripts are served with a strict
 * Content-Security-Policy and nothing else of the build (no .tsbuildinfo, no declarations); the page
 * holds no data. And `GET /api/v1/session`, the route the console signs in with.
 */
import t from 'tap';
import { sqliteTarget } from '@fdo/storage/testing';
import { startOwner, tempDir } from './helpers.js';

t.test('the console is served as static files; GET /session says who the token is', async (t) => {
  const owner = await startOwner(t, { databaseUrl: sqliteTarget(t).url, keysDir: tempDir(t) });
  const get = (path: string) => fetch(`${owner.url}${path}`, { redirect: 'manual' });

  const root = await get('/');
  t.equal(root.status, 302);
  t.equal(root.headers.get('location'), '/console/');

  const page = await get('/console/');
  t.equal(page.status, 200);
  t.match(page.headers.get('content-type'), /^text\/html/);
  t.match(page.headers.get('content-security-policy'), /default-src 'none'; script-src 'self'/);
  t.equal(page.headers.get('x-content-type-options'), 'nosniff');
  const html = await page.text();
  t.match(html, '<script type="module" src="main.js">');
  t.notMatch(html, /guid|token=/i, 'the page itself holds no data');

  for (const file of [
    'main.js',
    'api.js',
    'fleet.js',
    'device.js',
    'import.js',
    'profiles.js',
    'words.js',
    'console.css',
  ]) {
    const res = await get(`/console/${file}`);
    t.equal(res.status, 200, `${file} is served (built by npm run build)`);
    t.match(res.headers.get('content-type'), file.endsWith('.css') ? /^text\/css/ : /javascript/);
  }
  for (const file of ['.tsbuildinfo', 'main.d.ts', '../package.json', '%2e%2e/index.js']) {
    t.equal((await get(`/console/${file}`)).status, 404, `${file} is not served`);
  }

  t.match(await owner.api('GET', '/session', { token: null }), { status: 401, json: { error: 'unauthorized' } });
  const reader = (await owner.app.owner.tokens.create({ name: 'installer', scopes: ['read'] })).token;
  t.match(await owner.api('GET', '/session', { token: reader }), {
    status: 200,
    json: { name: 'installer', scopes: ['read'], clientCertificate: null },
  });
  t.match(await owner.api('GET', '/session'), { status: 200, json: { name: 'test-admin', scopes: ['admin'] } });
});
