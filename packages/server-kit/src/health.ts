/**
 * Probes for orchestrators and load balancers:
 * - `GET /health` (liveness): the process answers; never touches the database, so a database outage
 *   does not get every instance restarted;
 * - `GET /ready` (readiness): every registered check passes (the database answers and has this
 *   version's migrations), and the instance is not shutting down. 503 with the failing checks otherwise.
 *
 * Both are open (no token): they say nothing beyond up/down and which check failed.
 */
import { migrationStatus, type Database } from '@fdo/storage';
import type { FastifyInstance } from 'fastify';

/** Resolves when the dependency is usable; throws an Error saying what is wrong otherwise. */
export type ReadinessCheck = () => Promise<void>;

/** The checks `/ready` runs, added by the service as it opens its dependencies. */
export class Readiness {
  readonly #checks = new Map<string, ReadinessCheck>();
  #closing = false;

  constructor(private readonly timeoutMs = 3000) {}

  add(name: string, check: ReadinessCheck): void {
    this.#checks.set(name, check);
  }

  /** From now on `/ready` answers 503 (graceful shutdown: the balancer stops sending new work). */
  closing(): void {
    this.#closing = true;
  }

  async report(): Promise<{ ready: boolean; checks: Record<string, string> }> {
    const checks: Record<string, string> = {};
    if (this.#closing) checks.shutdown = 'shutting down';
    if (this.#checks.size === 0) checks.startup = 'no dependency registered yet';
    await Promise.all(
      [...this.#checks].map(async ([name, check]) => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
        });
        try {
          await Promise.race([check(), timeout]);
          checks[name] = 'ok';
        } catch (err) {
          checks[name] = (err as Error).message;
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    return { ready: Object.values(checks).every((v) => v === 'ok'), checks };
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    readiness: Readiness;
  }
}

/** Ready when the database answers and has every migration this version ships, as shipped. */
export function databaseReadiness(db: Database): ReadinessCheck {
  return async () => {
    const status = await migrationStatus(db);
    if (status.changed.length > 0) throw new Error(`migration ${status.changed[0]} differs from this version's`);
    if (status.pending.length > 0)
      throw new Error(`migrations pending: ${status.pending.join(', ')} (run fdo-db migrate)`);
  };
}

const probeReply = {
  type: 'object',
  properties: {
    status: { type: 'string' },
    service: { type: 'string' },
    checks: { type: 'object', additionalProperties: { type: 'string' } },
  },
  required: ['status', 'service'],
} as const;

/** Decorates `app.readiness` and registers the probes (as a plugin, after the OpenAPI generator). */
export function healthRoutes(app: FastifyInstance, service: string): void {
  const readiness = new Readiness();
  app.decorate('readiness', readiness);
  app.addHook('preClose', async () => readiness.closing());
  void app.register(async (probes) => probeRoutes(probes, service, readiness));
}

async function probeRoutes(app: FastifyInstance, service: string, readiness: Readiness): Promise<void> {
  app.get(
    '/health',
    { schema: { summary: 'liveness: the process answers', tags: ['probes'], response: { 200: probeReply } } },
    async () => ({ status: 'ok', service }),
  );
  app.get(
    '/ready',
    {
      schema: {
        summary: 'readiness: database reachable, migrations applied, not shutting down',
        tags: ['probes'],
        response: { 200: probeReply, 503: probeReply },
      },
    },
    async (_request, reply) => {
      const { ready, checks } = await readiness.report();
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', service, checks });
    },
  );
}
