/**
 * The management API described as OpenAPI 3 (@fastify/swagger, from each route's Fastify schema) and
 * browsable (@fastify/swagger-ui):
 * - `GET /api/v1/openapi.json`: the document;
 * - `GET /api/v1/docs`: the docs page (its assets are served locally; nothing is fetched from the web).
 * Both are open, like the FDO routes and probes: they describe the API and grant nothing. A service
 * turns them off with `<PREFIX>_API_DOCS=false`.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export const OPENAPI_PATH = '/api/v1/openapi.json';
export const DOCS_PATH = '/api/v1/docs';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The request body as the OpenAPI document shows it, for routes that take a body Fastify does not
     * validate (a streamed upload, an FDO message): `{ description, content: { 'media/type': { schema } } }`.
     */
    documentedBody?: Record<string, unknown>;
  }
}

export interface ApiDocsOptions {
  service: string;
  /** Serve the document and the docs page (the document is built either way, for tests and tools). */
  serve: boolean;
}

/** Registers the OpenAPI generator; call it before any route is added (createApp does). */
export function addOpenApi(app: FastifyInstance, service: string): void {
  void app.register(swagger, {
    transform: ({ schema, url, route }) => {
      const body = (route.config as { documentedBody?: Record<string, unknown> } | undefined)?.documentedBody;
      return { schema: body === undefined ? schema : { ...schema, body }, url };
    },
    openapi: {
      openapi: '3.0.3',
      info: {
        title: `FDO ${service} service`,
        version: '0.1.0',
        description:
          `The ${service}'s management API (JSON, \`Authorization: Bearer <API token>\`; tokens are made with ` +
          `\`fdo-${service} tokens create\`), its probes and metrics, and the FDO 1.1 protocol route.`,
      },
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'A management API token; each route needs the read, write or admin scope',
          },
        },
      },
      tags: [
        { name: 'fdo', description: 'FDO 1.1 protocol messages (open, as the specification requires)' },
        { name: 'probes', description: 'liveness and readiness (open)' },
        { name: 'metrics', description: 'Prometheus metrics' },
      ],
    },
  });
}

/** Serves the document and the docs page (once every route is known). */
export async function apiDocs(app: FastifyInstance, options: ApiDocsOptions): Promise<void> {
  if (!options.serve) return;
  app.get(OPENAPI_PATH, { schema: { hide: true } }, async () => app.swagger());
  await app.register(swaggerUi, {
    routePrefix: DOCS_PATH,
    uiConfig: { docExpansion: 'list', deepLinking: true },
    staticCSP: true,
  });
}
