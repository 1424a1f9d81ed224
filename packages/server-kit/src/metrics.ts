/**
 * Prometheus metrics (prom-client), one registry per service instance, served as text on `GET /metrics`.
 *
 * Every service gets, from server-kit:
 * - `fdo_http_request_duration_seconds{method,route,status_code}`: every HTTP request (route templates,
 *   not URLs, so the label set stays small);
 * - `fdo_messages_total{msg_type,error_code}`: FDO messages answered, by request type and the error code
 *   of a message 255 (`none` when answered);
 * - `fdo_sessions_total{protocol,outcome}` (`started`, `completed`, `failed`) and
 *   `fdo_session_duration_seconds{protocol,outcome}`: protocol sessions as the transport sees them;
 * - the Node.js process metrics (`process_*`, `nodejs_*`), once per process.
 * Services add their own through {@link ServiceMetrics.counter}, `histogram` and `gauge`
 * (e.g. `app.metrics.counter({ name: 'fdo_owner_vouchers_imported_total', … })`).
 *
 * Access: by default `/metrics` needs a management API token with the `read` scope (Prometheus:
 * `authorization: { credentials_file: … }`); `<PREFIX>_METRICS_AUTH=none` opens it, for a scraper on a
 * private network. It is never open by accident on a port devices reach.
 */
import type { FastifyInstance } from 'fastify';
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
} from 'prom-client';
import { authenticate, documentProtected, type ApiTokenVerifier } from './management.js';
import type { ClientCertificatePolicy } from './tls.js';

/** Seconds, for protocol sessions and HTTP requests: 5 ms to 1 min. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

let processRegistry: Registry | undefined;

/** The process metrics, collected once per process however many services it runs. */
function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export class ServiceMetrics {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  readonly messages: Counter<'msg_type' | 'error_code'>;
  readonly sessions: Counter<'protocol' | 'outcome'>;
  readonly sessionDuration: Histogram<'protocol' | 'outcome'>;

  constructor(readonly service: string) {
    this.registry.setDefaultLabels({ service });
    this.httpDuration = this.histogram({
      name: 'fdo_http_request_duration_seconds',
      help: 'HTTP requests by route template and status code',
      labelNames: ['method', 'route', 'status_code'],
    });
    this.messages = this.counter({
      name: 'fdo_messages_total',
      help: 'FDO messages answered, by request message type and the error code of a message 255 ("none": answered)',
      labelNames: ['msg_type', 'error_code'],
    });
    this.sessions = this.counter({
      name: 'fdo_sessions_total',
      help: 'FDO protocol sessions (DI, TO0, TO1, TO2) started, completed and failed',
      labelNames: ['protocol', 'outcome'],
    });
    this.sessionDuration = this.histogram({
      name: 'fdo_session_duration_seconds',
      help: 'FDO protocol sessions from the first message to the last, by outcome',
      labelNames: ['protocol', 'outcome'],
    });
  }

  counter<L extends string>(config: Omit<CounterConfiguration<L>, 'registers'>): Counter<L> {
    return new Counter({ ...config, registers: [this.registry] });
  }

  /** A histogram; durations in seconds get {@link DURATION_BUCKETS} unless `buckets` says otherwise. */
  histogram<L extends string>(config: Omit<HistogramConfiguration<L>, 'registers'>): Histogram<L> {
    return new Histogram({ buckets: DURATION_BUCKETS, ...config, registers: [this.registry] });
  }

  /** A gauge; `collect` (e.g. a count query) runs at each scrape. */
  gauge<L extends string>(config: Omit<GaugeConfiguration<L>, 'registers'>): Gauge<L> {
    return new Gauge({ ...config, registers: [this.registry] });
  }

  /** The Prometheus text exposition of this service and of the process. */
  async text(): Promise<string> {
    return `${await this.registry.metrics()}\n${await processMetrics().metrics()}`;
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: ServiceMetrics;
  }
}

/** Decorates `app.metrics` and times every request (createApp does this). */
export function addMetrics(app: FastifyInstance, service: string): ServiceMetrics {
  const metrics = new ServiceMetrics(service);
  app.decorate('metrics', metrics);
  // Callback style: no promise per request.
  app.addHook('onResponse', (request, reply, done) => {
    metrics.httpDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
    done();
  });
  return metrics;
}

export type MetricsAccess = 'token' | 'none';

export interface MetricsEndpointOptions {
  /** `token`: a management API token with the read scope (and the client certificate, when configured). */
  access: MetricsAccess;
  tokens: ApiTokenVerifier;
  tokenHint?: string;
  clientCertificates?: ClientCertificatePolicy | undefined;
}

/** `GET /metrics` in its own context (its authentication applies to it alone). Register with `app.register`. */
export async function metricsEndpoint(app: FastifyInstance, options: MetricsEndpointOptions): Promise<void> {
  if (options.access === 'token') {
    app.addHook('onRequest', authenticate(options));
    app.addHook('onRoute', (route) => documentProtected(route, 'metrics'));
  }
  app.get(
    '/metrics',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Prometheus metrics (text exposition format 0.0.4)',
        tags: ['metrics'],
        response: {
          200: {
            description: 'every metric of this service and of its process',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
        },
      },
    },
    async (_request, reply) => reply.type(app.metrics.contentType).send(await app.metrics.text()),
  );
}

/**
 * The value of one sample in a Prometheus text exposition (`name` with at least `labels`, in any order),
 * or undefined: for tests, the demo and scripts that read `/metrics`.
 */
export function metricSample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m?.[1] !== name) continue;
    const found = new Map([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => found.get(k) === v)) return Number(m[3]);
  }
  return undefined;
}
