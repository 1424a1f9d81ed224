/**
 * The management API frame every service mounts its REST routes in: bearer API tokens with scopes,
 * JSON errors with a reason, and an audit record of every change.
 *
 * ```ts
 * await app.register(managementApi, {
 *   prefix: '/api/v1',
 *   tokens,                      // anything with verify(token) → principal | null (ApiTokenStore)
 *   audit,                       // optional: records each successful write (AuditLog)
 *   routes: async (api) => {
 *     api.get('/vouchers', { schema, config: { scope: 'read' } }, handler);
 *   },
 * });
 * ```
 * Every route inside needs `Authorization: Bearer <token>`: none or an unknown token gets 401, a token
 * without the route's scope 403. A route's scope defaults to `read` for GET/HEAD and `write` otherwise.
 */
import { API_SCOPES, scopeAllows, type ApiPrincipal, type ApiScope, type AuditEntry } from '@fdo/storage';
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifySchema,
  onRequestAsyncHookHandler,
  RouteOptions,
} from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The API scope a management route requires. */
    scope?: ApiScope;
  }
  interface FastifyRequest {
    /** The API token's holder, set on management routes once the token is verified. */
    principal?: ApiPrincipal;
  }
}

export interface ApiTokenVerifier {
  verify(token: string): Promise<ApiPrincipal | null>;
}

export interface AuditRecorder {
  record(entry: AuditEntry): Promise<void>;
}

export interface ManagementApiOptions {
  tokens: ApiTokenVerifier;
  routes: (api: FastifyInstance) => Promise<void>;
  audit?: AuditRecorder;
  /** Shown in 401 replies so an operator knows which command makes a token, e.g. `fdo-owner tokens create`. */
  tokenHint?: string;
}

/** The JSON shape of every management error reply. */
export const errorReplySchema = {
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' } },
  required: ['error', 'message'],
} as const;

const READ_METHODS = new Set(['GET', 'HEAD']);

function requiredScope(request: FastifyRequest): ApiScope {
  return request.routeOptions.config.scope ?? (READ_METHODS.has(request.method) ? 'read' : 'write');
}

function bearer(header: string | undefined): string | undefined {
  const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

function refuse(reply: FastifyReply, status: number, error: string, message: string) {
  return reply.code(status).type('application/json').send({ error, message });
}

/**
 * What every protected route adds to its OpenAPI description: the bearer scheme, the scope it needs,
 * and the 401/403 replies of {@link authenticate}.
 */
export function documentProtected(route: RouteOptions, tag: string): void {
  const schema = (route.schema ??= {}) as FastifySchema & { security?: unknown; tags?: string[]; description?: string };
  const method = [route.method].flat()[0] ?? 'GET';
  const scope =
    (route.config as { scope?: ApiScope } | undefined)?.scope ?? (READ_METHODS.has(method) ? 'read' : 'write');
  schema.security ??= [{ bearer: [] }];
  schema.tags ??= [tag];
  schema.description ??= `Needs an API token with the \`${scope}\` scope (or a broader one).`;
  schema.response = { 401: errorReplySchema, 403: errorReplySchema, ...(schema.response as object | undefined) };
}

export interface AuthenticateOptions {
  tokens: ApiTokenVerifier;
  tokenHint?: string;
}

/**
 * The `onRequest` hook of every protected route: a bearer API token that {@link ApiTokenVerifier}
 * knows, holding the route's scope; sets `request.principal`. 401 without or with an unknown token,
 * 403 without the scope.
 */
export function authenticate(options: AuthenticateOptions): onRequestAsyncHookHandler {
  const hint = options.tokenHint ?? 'the service CLI: tokens create';
  return async function authenticateRequest(request, reply) {
    const token = bearer(request.headers.authorization);
    const principal = token === undefined ? null : await options.tokens.verify(token);
    if (principal === null) {
      reply.header('WWW-Authenticate', 'Bearer realm="fdo-management"');
      return refuse(
        reply,
        401,
        'unauthorized',
        token === undefined
          ? `this API needs an API token: send "Authorization: Bearer <token>" (create one with ${hint})`
          : 'the API token is unknown or revoked',
      );
    }
    const needed = requiredScope(request);
    if (!scopeAllows(principal.scopes, needed)) {
      return refuse(
        reply,
        403,
        'forbidden',
        `this request needs the "${needed}" scope; token "${principal.name}" has ${principal.scopes.join(', ')}`,
      );
    }
    request.principal = principal;
  };
}

/**
 * Registers the management routes in their own encapsulated context: its hooks and error handler apply
 * to these routes only, never to the FDO protocol routes beside them. Register it with a `prefix`.
 */
export async function managementApi(api: FastifyInstance, options: ManagementApiOptions): Promise<void> {
  api.addHook('onRoute', (route) => {
    const scope = (route.config as { scope?: string } | undefined)?.scope;
    if (scope !== undefined && !(API_SCOPES as readonly string[]).includes(scope)) {
      throw new Error(`route ${route.method} ${route.url}: unknown scope "${scope}"`);
    }
    documentProtected(route, route.url.slice(route.prefix.length).split('/')[1] ?? 'management');
  });

  api.addHook('onRequest', authenticate(options));

  if (options.audit !== undefined) {
    const audit = options.audit;
    api.addHook('onResponse', async (request, reply) => {
      if (READ_METHODS.has(request.method) || reply.statusCode >= 400 || request.principal === undefined) return;
      const params = request.params as Record<string, string> | undefined;
      await audit
        .record({
          actor: `${request.principal.name} (${request.principal.tokenId})`,
          action: `${request.method} ${request.routeOptions.url ?? request.url}`,
          ...(params !== undefined && Object.keys(params).length > 0 ? { target: JSON.stringify(params) } : {}),
        })
        .catch((err: unknown) => request.log.error({ err }, 'could not write the audit record'));
    });
  }

  api.setErrorHandler((err: FastifyError, request, reply) => {
    const status = err.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err }, 'management request failed');
      return refuse(reply, 500, 'internal', 'the request failed on the server; the service log has the details');
    }
    const error = err.validation !== undefined ? 'invalid_request' : (err.code ?? 'bad_request').toLowerCase();
    return refuse(reply, status, error, err.message);
  });

  api.setNotFoundHandler((request, reply) =>
    refuse(reply, 404, 'not_found', `no management route ${request.method} ${request.url}`),
  );

  await options.routes(api);
}
