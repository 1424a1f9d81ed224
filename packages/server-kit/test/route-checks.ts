/**
 * Checks every service runs on its fully built app (imported by each service's routes test):
 * - every registered route (`app.routeList`, recorded by onRoute) except the open ones answers 401
 *   without a token — the FDO protocol route, the probes and the API docs must not;
 * - every management route is in the OpenAPI document with a request schema where it takes input and
 *   a response schema for success.
 */
import type { FastifyInstance } from 'fastify';
import type { Test } from 'tap';
import { DOCS_PATH, OPENAPI_PATH } from '../src/index.js';

/**
 * Routes anyone may call: FDO (§4.3: devices have no API token), probes, the API's own description, and
 * the owner console's static page (it signs in with a token and then uses the management API).
 */
export function isOpenRoute(url: string): boolean {
  return (
    url.startsWith('/fdo/') ||
    url === '/' ||
    url.startsWith('/console/') ||
    url === '/health' ||
    url === '/ready' ||
    url === OPENAPI_PATH ||
    url === DOCS_PATH ||
    url.startsWith(`${DOCS_PATH}/`)
  );
}

const SAMPLE_PARAMS: Record<string, string> = {
  guid: '0123456789abcdef0123456789abcdef',
  fingerprint: 'ab'.repeat(32),
  list: 'owner',
  file: 'owner-ec256.pem',
  version: '101',
  type: '30',
  '*': 'index.html',
};

/** A concrete URL for a route template (`:guid` → a GUID, `*` → a file name). */
export function sampleUrl(template: string): string {
  return template
    .replace(/:(\w+)/g, (_m, name: string) => SAMPLE_PARAMS[name] ?? 'x')
    .replace(/\*$/, SAMPLE_PARAMS['*']!);
}

/** Calls every route without a token: protected ones must answer 401, open ones must not. */
export async function checkRouteAuthentication(t: Test, app: FastifyInstance): Promise<void> {
  const routes = app.routeList.filter((r) => r.method !== 'HEAD' && r.method !== 'OPTIONS');
  t.ok(routes.length > 5, `${routes.length} routes registered`);
  const protectedCount = routes.filter((r) => !isOpenRoute(r.url)).length;
  t.ok(protectedCount > 0, `${protectedCount} protected routes`);
  for (const route of routes) {
    const res = await app.inject({
      method: route.method as 'GET',
      url: sampleUrl(route.url),
      ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { payload: {} }),
    });
    if (isOpenRoute(route.url)) {
      t.not(res.statusCode, 401, `${route.method} ${route.url} is open (${res.statusCode})`);
    } else {
      t.equal(res.statusCode, 401, `${route.method} ${route.url} needs a token`);
      t.match(res.json(), { error: 'unauthorized' });
    }
  }
}

interface Operation {
  security?: unknown[];
  parameters?: { in: string; name: string }[];
  requestBody?: unknown;
  responses?: Record<string, unknown>;
}

/** Every protected route is in the OpenAPI document, secured, with a 2xx response schema. */
export async function checkOpenApi(t: Test, app: FastifyInstance): Promise<void> {
  const res = await app.inject({ method: 'GET', url: OPENAPI_PATH });
  t.equal(res.statusCode, 200);
  const doc = res.json() as { openapi: string; paths: Record<string, Record<string, Operation>> };
  t.match(doc.openapi, /^3\./);
  const routes = app.routeList.filter((r) => r.method !== 'HEAD' && !isOpenRoute(r.url));
  for (const route of routes) {
    const path = route.url.replace(/:(\w+)/g, '{$1}');
    const op = doc.paths[path]?.[route.method.toLowerCase()];
    t.ok(op, `${route.method} ${route.url} is documented`);
    if (op === undefined) continue;
    t.same(op.security, [{ bearer: [] }], `${route.method} ${route.url}: bearer token`);
    const success = Object.entries(op.responses ?? {}).filter(([code]) => /^2\d\d$/.test(code));
    t.ok(success.length > 0, `${route.method} ${route.url}: a success response is described`);
    t.ok(op.responses?.['401'] !== undefined, `${route.method} ${route.url}: 401 described`);
    for (const name of route.url.match(/:(\w+)/g) ?? []) {
      t.ok(
        op.parameters?.some((p) => p.in === 'path' && p.name === name.slice(1)),
        `${route.method} ${route.url}: path parameter ${name} has a schema`,
      );
    }
    if (route.method === 'PUT' || (route.method === 'POST' && !route.url.endsWith('/register'))) {
      t.ok(op.requestBody !== undefined, `${route.method} ${route.url}: request body described`);
    }
  }
  const fdo = doc.paths['/fdo/{version}/msg/{type}']?.post;
  if (app.routeList.some((r) => r.url.startsWith('/fdo/'))) {
    t.ok(fdo?.responses?.['200'] && fdo.security === undefined, 'the FDO route is documented, open');
  }
}
