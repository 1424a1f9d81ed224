/**
 * The rendezvous service (FDO 1.1 §5.3 TO0, §5.4 TO1): owners register where their devices should go,
 * devices prove themselves and are redirected. Stateless between messages (sealed session tokens), so
 * several identical instances can share one database behind a load balancer.
 *
 * `build(config)` returns the app at once; the database opens when it starts (`listen` or `ready`).
 */
import { join } from 'node:path';
import { nodeCrypto, to0Responder, to1Responder, type To1ReplayGuard } from '@fdo/protocol';
import {
  addRateLimit,
  createApp,
  databaseReadiness,
  loadTls,
  managementApi,
  metricsEndpoint,
  SealedTokens,
} from '@fdo/server-kit';
import { ApiTokenStore, AuditLog, openDatabase, serviceSecret, type Database } from '@fdo/storage';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type RendezvousConfig } from './config.js';
import { rendezvousMetrics } from './metrics.js';
import { Purger } from './purge.js';
import { MemoryReplayGuard } from './replay-guard.js';
import { registrationRoutes } from './routes/api/registrations.js';
import { trustRoutes } from './routes/api/trust.js';
import { registerFdoRoutes } from './routes/fdo.js';
import { RendezvousStore } from './store/registrations.js';
import { TrustStore } from './store/trust.js';
import { EMPTY_TRUST_FILE, readTrustFile } from './trust-file.js';
import { RendezvousTrustPolicy } from './trust-policy.js';

export { DEFAULT_PORT } from './config.js';

export const SERVICE = 'rendezvous';

/** What a running instance exposes to its host process and tests. */
export interface RendezvousHandle {
  config: RendezvousConfig;
  db: Database;
  registrations: RendezvousStore;
  trust: TrustStore;
  tokens: ApiTokenStore;
  purger: Purger;
}

declare module 'fastify' {
  interface FastifyInstance {
    rendezvous: RendezvousHandle;
  }
}

export interface BuildOptions extends Partial<RendezvousConfig> {
  /** Milliseconds since the epoch; tests move it to expire registrations and tokens. */
  now?: () => number;
}

async function sealingSecrets(config: RendezvousConfig, db: Database): Promise<Uint8Array[]> {
  return config.tokenSecrets ?? [await serviceSecret(db.prisma, SERVICE, 'session-token-key', 32)];
}

/** Builds the service; configuration comes from `FDO_RV_*` variables, with `options` taking precedence. */
export function build(options: BuildOptions = {}): FastifyInstance {
  const { now = Date.now, ...overrides } = options;
  const config = loadConfig(process.env, overrides);
  const trustFile = config.trustFile === null ? EMPTY_TRUST_FILE : readTrustFile(config.trustFile);
  const tls = loadTls(config.tls, 'FDO_RV');
  const app = createApp({
    service: SERVICE,
    logger: config.logger,
    log: { level: config.logLevel, format: config.logFormat },
    apiDocs: config.apiDocs,
    https: tls.https,
    bodyLimit: config.maxMessageBytes,
  });
  addRateLimit(app, config.rateLimit, now);
  let handle: RendezvousHandle | undefined;
  app.decorate('rendezvous', {
    getter(): RendezvousHandle {
      if (handle === undefined) throw new Error('the rendezvous service is not started yet: await app.ready() first');
      return handle;
    },
  });

  app.register(async (app) => {
    const db = await openDatabase({ url: config.databaseUrl });
    app.addHook('onClose', () => db.close());
    app.readiness.add('database', databaseReadiness(db));
    const registrations = new RendezvousStore(db.prisma, db.sql);
    const trust = new TrustStore(db.prisma, db.sql);
    const tokens = new ApiTokenStore(db.prisma, SERVICE);
    const sealer = new SealedTokens(await sealingSecrets(config, db), { context: 'rendezvous-session', now });
    for (const guid of trustFile.deniedGuids) await registrations.remove(guid);

    const replayGuard: To1ReplayGuard | undefined =
      config.to1ReplayGuard === 'database'
        ? registrations
        : config.to1ReplayGuard === 'memory'
          ? new MemoryReplayGuard(now)
          : undefined;
    const common = { crypto: nodeCrypto, sealer, tokenTtlSeconds: config.tokenTtlSeconds, now };
    await registerFdoRoutes(
      app,
      to0Responder({
        ...common,
        registrations,
        trust: new RendezvousTrustPolicy(trust, trustFile),
        maxWaitSeconds: config.maxWaitSeconds,
      }),
      to1Responder({ ...common, registrations, ...(replayGuard === undefined ? {} : { replayGuard }) }),
      rendezvousMetrics(app.metrics, registrations, now).onOutcome,
    );
    await app.register(managementApi, {
      prefix: '/api/v1',
      tokens,
      audit: new AuditLog(db.prisma, SERVICE),
      clientCertificates: tls.clientCertificates,
      tokenHint: 'fdo-rendezvous tokens create',
      routes: async (api) => {
        await registrationRoutes(api, { registrations, trust, trustFile, now });
        await trustRoutes(api, { trust, trustFile });
      },
    });
    await app.register(metricsEndpoint, {
      access: config.metricsAuth,
      clientCertificates: tls.clientCertificates,
      tokens,
      tokenHint: 'fdo-rendezvous tokens create',
    });

    const purger = new Purger(
      registrations,
      { intervalSeconds: config.purgeIntervalSeconds, graceSeconds: config.purgeGraceSeconds, now },
      app.log,
    );
    purger.start();
    app.addHook('onClose', () => purger.stop());
    handle = { config, db, registrations, trust, tokens, purger };

    const bootstrap = await tokens.ensureBootstrapToken(join(config.dataDir, 'admin-token'));
    if (bootstrap !== null) app.log.info(`created the first admin API token; it is in ${bootstrap}`);
    app.log.info(
      { database: db.displayUrl, tokenKey: sealer.currentKeyId, maxWaitSeconds: config.maxWaitSeconds },
      `rendezvous ready (session tokens sealed with ${config.tokenSecrets === null ? 'the secret in the database' : 'FDO_RV_TOKEN_SECRET'})`,
    );
  });
  return app;
}
