/**
 * The owner console: a small web page (services/owner/console) for importing vouchers and watching the
 * fleet onboard, served as static files at `/console/` (`/` redirects there). It holds no secret and
 * grants nothing: the page signs in with an API token and uses only the management API under /api/v1.
 *
 * The page itself (console/static) and its compiled scripts (dist/console, built by `npm run build`)
 * are served with a strict Content-Security-Policy: scripts, styles and requests from this origin only.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifySchema } from 'fastify';

export const CONSOLE_PATH = '/console/';

// Resolved from src/ (tests under tsx) and from dist/ (the built service) alike.
const STATIC_DIR = fileURLToPath(new URL('../console/static/', import.meta.url));
const SCRIPTS_DIR = fileURLToPath(new URL('../dist/console/', import.meta.url));

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
} as const;

/** Serves the console; logs a warning (and serves the page without its scripts) when it was not built. */
export async function consoleRoutes(app: FastifyInstance): Promise<void> {
  if (!existsSync(SCRIPTS_DIR)) {
    app.log.warn({ dir: SCRIPTS_DIR }, 'the owner console is not built: run npm run build');
  }
  await app.register(fastifyStatic, {
    root: [STATIC_DIR, SCRIPTS_DIR],
    prefix: CONSOLE_PATH,
    index: 'index.html',
    // The console is small and changes with the service: revalidate instead of caching for a day.
    cacheControl: false,
    setHeaders: (reply) => {
      reply.header('cache-control', 'no-cache');
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
    },
    // Only the console's own files: no directory listings, no dotfiles, no source maps of other code.
    dotfiles: 'deny',
    decorateReply: false,
    allowedPath: (pathName) => !pathName.endsWith('.tsbuildinfo') && !pathName.endsWith('.d.ts'),
  });
  // Hidden from the OpenAPI document (@fastify/swagger's `hide`): it is not part of the API.
  app.get('/', { schema: { hide: true } as FastifySchema }, async (_request, reply) =>
    reply.redirect(CONSOLE_PATH, 302),
  );
}
