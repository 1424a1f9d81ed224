/**
 * Per-source rate limiting, the same for every service: a token bucket per client address, in each
 * instance's memory. The default (200 requests/s sustained, bursts of 2,000) is far above what one device
 * or owner sends, so a fleet behind one NAT does not trip it by accident; it stops floods (a HelloDevice
 * or TO0.Hello flood makes the server sign, so it is the cheapest way to burn its CPU). Behind a load
 * balancer, set the number of trusted proxies so the client address is read from `X-Forwarded-For`.
 *
 * A refused FDO message gets HTTP 429 with `Retry-After` and message 255 (code 500: retry later), which
 * FDO clients understand; a refused management request gets 429 JSON.
 */
import { errorMessageFrom, InternalServerError } from '@fdo/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { kinds, setting } from './config.js';
import { sendErrorMessage } from './fdo-routes.js';

export interface RateLimitConfig {
  /** Sustained requests per second allowed from one source address; 0 turns the limit off. */
  perSecond: number;
  /** Requests one source may send in a burst above the sustained rate. */
  burst: number;
  /** Proxies in front of the service whose `X-Forwarded-For` entries are trusted (0: use the peer address). */
  trustProxyHops: number;
}

/**
 * The three rate-limit settings under a service's prefix (`FDO_RV_RATE_LIMIT_PER_SECOND`, …);
 * `perSecond` is the default sustained rate (0: off unless configured).
 */
export function rateLimitSettings(prefix: string, perSecond = 200) {
  return {
    rateLimitPerSecond: setting(kinds.int(0, 1_000_000), {
      env: `${prefix}_RATE_LIMIT_PER_SECOND`,
      file: 'rateLimit.perSecond',
      default: perSecond,
      description: 'sustained requests per second per source address (0 turns the limit off)',
    }),
    rateLimitBurst: setting(kinds.int(1, 10_000_000), {
      env: `${prefix}_RATE_LIMIT_BURST`,
      file: 'rateLimit.burst',
      default: 2000,
      description: 'requests one source may send in a burst',
    }),
    trustProxyHops: setting(kinds.int(0, 10), {
      env: `${prefix}_TRUST_PROXY_HOPS`,
      file: 'rateLimit.trustProxyHops',
      default: 0,
      description: 'proxies in front whose `X-Forwarded-For` is trusted (set it behind a load balancer)',
    }),
  };
}

/** The config object from the values of {@link rateLimitSettings}. */
export function rateLimitConfigOf(v: {
  rateLimitPerSecond: number;
  rateLimitBurst: number;
  trustProxyHops: number;
}): RateLimitConfig {
  return { perSecond: v.rateLimitPerSecond, burst: v.rateLimitBurst, trustProxyHops: v.trustProxyHops };
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets kept at most; past this, idle ones are dropped first, then the oldest. */
const MAX_SOURCES = 100_000;

export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  constructor(
    readonly config: RateLimitConfig,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one token for `source`: 0 when allowed, else the seconds to wait. */
  take(source: string): number {
    const { perSecond, burst } = this.config;
    const now = this.now();
    let b = this.#buckets.get(source);
    if (b === undefined) {
      if (this.#buckets.size >= MAX_SOURCES) this.#evict(now);
      b = { tokens: burst, at: now };
      this.#buckets.set(source, b);
    } else {
      b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * perSecond);
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / perSecond));
  }

  get sources(): number {
    return this.#buckets.size;
  }

  #evict(now: number): void {
    const { perSecond, burst } = this.config;
    for (const [k, b] of this.#buckets) {
      if (b.tokens + ((now - b.at) / 1000) * perSecond >= burst) this.#buckets.delete(k);
    }
    for (const k of this.#buckets.keys()) {
      if (this.#buckets.size < MAX_SOURCES) break;
      this.#buckets.delete(k);
    }
  }
}

/** The client's address: the peer, or with `hops` trusted proxies the matching `X-Forwarded-For` entry. */
export function sourceAddress(request: FastifyRequest, hops: number): string {
  const peer = request.socket.remoteAddress ?? 'unknown';
  const normalize = (a: string) => a.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
  if (hops === 0) return normalize(peer);
  const header = request.headers['x-forwarded-for'];
  const entries = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (entries.length === 0) return normalize(peer);
  return normalize(entries[Math.max(0, entries.length - hops)]!);
}

function refuse(request: FastifyRequest, reply: FastifyReply, source: string, wait: number) {
  const text = `too many requests from ${source}; retry in ${wait} s`;
  reply.header('Retry-After', String(wait));
  request.log.warn({ source }, 'rate limited');
  const fdo = /^\/fdo\/\d+\/msg\/(\d+)/.exec(request.url);
  if (fdo !== null) {
    const message = errorMessageFrom(new InternalServerError(text), Number(fdo[1]) & 0xff);
    // errorMessageFrom hides texts of code 500; this one is no secret and tells the client what to do.
    return sendErrorMessage(reply, 429, { ...message, message: text });
  }
  return reply.code(429).type('application/json').send({ error: 'rate_limited', message: text });
}

/** Probes and the scraper: never limited (a flood must not make the balancer drop a healthy instance). */
const UNLIMITED = new Set(['/health', '/ready', '/metrics']);

/** Adds the limit to every route of `app` except the probes and `/metrics`. Does nothing when the rate is 0. */
export function addRateLimit(app: FastifyInstance, config: RateLimitConfig, now?: () => number): RateLimiter | null {
  if (config.perSecond === 0) return null;
  const limiter = new RateLimiter(config, now);
  // Callback style (no promise per request); a refused request is answered here and goes no further.
  app.addHook('onRequest', (request, reply, done) => {
    if (UNLIMITED.has(request.url)) return done();
    const source = sourceAddress(request, config.trustProxyHops);
    const wait = limiter.take(source);
    if (wait > 0) refuse(request, reply, source, wait);
    else done();
  });
  return limiter;
}
