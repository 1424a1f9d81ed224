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
import { verifiedClientCertificate, type ClientCertificatePolicy } from './tls.js';
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
  /** Mutual TLS (tls.ts loadTls): a verified client certificate is required on every route. */
  clientCertificates?: ClientCertificatePolicy | undefined;
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
  schema.description ??= `Needs an API token with the \`${scope}\` scope (or a broader one), and a client certificate when mutual TLS is on.`;
  schema.response = { 401: errorReplySchema, 403: errorReplySchema, ...(schema.response as object | undefined) };
}

export interface AuthenticateOptions {
  tokens: ApiTokenVerifier;
  tokenHint?: string;
  /** Mutual TLS: a client certificate verified against the client CA is required (tls.ts). */
  clientCertificates?: ClientCertificatePolicy | undefined;
}

/** Under mutual TLS: the verified certificate (set on the request), or the refusal already sent. */
function checkClientCertificate(request: FastifyRequest, reply: FastifyReply, policy: ClientCertificatePolicy) {
  const cert = verifiedClientCertificate(request);
  if ('error' in cert) {
    refuse(
      reply,
      401,
      'client_certificate_required',
      `this API needs a client certificate issued by the CA of ${policy.setting}: ${cert.error}`,
    );
    return false;
  }
  request.clientCertificate = cert;
  return true;
}

/**
 * The `onRequest` hook of every protected route: under mutual TLS a verified client certificate, and
 * a bearer API token that {@link ApiTokenVerifier} knows holding the route's scope (or, if so
 * configured, the certificate alone); sets `request.principal`. 401 without a certificate, without or
 * with an unknown token; 403 without the scope.
 */
export function authenticate(options: AuthenticateOptions): onRequestAsyncHookHandler {
  const hint = options.tokenHint ?? 'the service CLI: tokens create';
  const mtls = options.clientCertificates;
  return async function authenticateRequest(request, reply) {
    if (mtls !== undefined && !checkClientCertificate(request, reply, mtls)) return reply;
    const token = bearer(request.headers.authorization);
    const cert = request.clientCertificate;
    const principal =
      token !== undefined
        ? await options.tokens.verify(token)
        : cert !== undefined && mtls?.scope != null
          ? {
              tokenId: `cert:${cert.fingerprint256.replace(/:/g, '').slice(0, 16).toLowerCase()}`,
              name: cert.subject,
              scopes: [mtls.scope],
            }
          : null;
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
      const { principal, clientCertificate: cert } = request;
      const holder = `${principal.name} (${principal.tokenId})`;
      await audit
        .record({
          // Under mutual TLS the certificate's subject is who acted; the token (if any) is the detail.
          actor: cert?.subject ?? holder,
          action: `${request.method} ${request.routeOptions.url ?? request.url}`,
          ...(params !== undefined && Object.keys(params).length > 0 ? { target: JSON.stringify(params) } : {}),
          ...(cert === undefined
            ? {}
            : {
                detail: principal.tokenId.startsWith('cert:')
                  ? `client certificate ${cert.fingerprint256}`
                  : `token ${holder}`,
              }),
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
