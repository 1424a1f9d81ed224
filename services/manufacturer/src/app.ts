/**
 * The manufacturer service: Device Initialize (DI, FDO 1.1 §5.2) for devices on the production line,
 * device certificates, and the ownership vouchers it issues, with a management API to list, extend
 * and export them.
 *
 * `build(config)` opens the database (applying migrations), loads or generates the key material, and
 * returns the Fastify app; closing the app closes the database.
 */
import { nodeCrypto, DI_REQUEST_TYPES, diResponder } from '@fdo/protocol';
import {
  addRateLimit,
  createApp,
  databaseReadiness,
  fdoRoutes,
  loadTls,
  managementApi,
  metricsEndpoint,
} from '@fdo/server-kit';
import { ApiTokenStore, AuditLog, openDatabase } from '@fdo/storage';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type ManufacturerConfig } from './config.js';
import { ManufacturerDiState } from './di-state.js';
import { loadKeyMaterial } from './keys.js';
import { manufacturerMetrics } from './metrics.js';
import { OwnerKeyDirectory } from './owner-keys.js';
import { rendezvousInfoOf } from './rendezvous-config.js';
import { managementRoutes } from './routes/api/index.js';
import { VoucherStore } from './store/voucher-store.js';

export { DEFAULT_PORT, type ManufacturerConfig } from './config.js';

/** The service's name in logs, API tokens and the audit trail. */
export const SERVICE = 'manufacturer';

/**
 * Builds the service. `config` overrides the environment (see config.ts); with no argument the
 * configuration comes from `FDO_MFG_*` variables. Throws ConfigError, or an Error naming the file or
 * setting at fault, when the service cannot start.
 */
export async function build(config: Partial<ManufacturerConfig> = {}): Promise<FastifyInstance> {
  const cfg = loadConfig(process.env, config);
  const rvInfo = rendezvousInfoOf(cfg.rendezvous);
  const ownerKeys = OwnerKeyDirectory.load(cfg.ownerKeyFiles);
  const tls = loadTls(cfg.tls, 'FDO_MFG');
  const app = createApp({
    service: SERVICE,
    logger: cfg.logger,
    log: { level: cfg.logLevel, format: cfg.logFormat },
    apiDocs: cfg.apiDocs,
    https: tls.https,
  });
  addRateLimit(app, cfg.rateLimit);
  const keys = await loadKeyMaterial(cfg, (message, fields) => app.log.info(fields, message));
  const db = await openDatabase({ url: cfg.databaseUrl });
  app.addHook('onClose', () => db.close());
  app.readiness.add('database', databaseReadiness(db));
  app.log.info({ database: db.displayUrl, rendezvous: rvInfo.describe() }, 'manufacturer configuration');
  for (const { tag, keys: k } of ownerKeys.describe()) app.log.info({ tag, keys: k }, 'customer owner keys');

  const store = new VoucherStore(db.prisma, db.sql);
  const di = new ManufacturerDiState({
    crypto: nodeCrypto,
    keys,
    store,
    rvInfo,
    ownerKeys,
    tagRules: cfg.tagRules,
    defaultTag: cfg.defaultTag,
    sessionTtlSeconds: cfg.sessionTtlSeconds,
    deviceCertValidityDays: cfg.deviceCertValidityDays,
    log: app.log,
  });
  const metrics = manufacturerMetrics(app.metrics);
  await app.register(fdoRoutes, {
    responder: diResponder({ crypto: nodeCrypto, state: di }),
    messageTypes: DI_REQUEST_TYPES,
    onOutcome: metrics.onOutcome,
  });

  const tokens = new ApiTokenStore(db.prisma, SERVICE);
  const tokenHint = 'fdo-manufacturer tokens create --name NAME --scope read|write|admin';
  await app.register(managementApi, {
    prefix: '/api/v1',
    tokens,
    audit: new AuditLog(db.prisma, SERVICE),
    clientCertificates: tls.clientCertificates,
    tokenHint,
    routes: (api) => managementRoutes(api, { store, di, crypto: nodeCrypto, metrics }),
  });
  await app.register(metricsEndpoint, {
    access: cfg.metricsAuth,
    tokens,
    tokenHint,
    clientCertificates: tls.clientCertificates,
  });
  const bootstrap = await tokens.ensureBootstrapToken(`${cfg.dataDir}/admin-token`);
  if (bootstrap !== null) app.log.info({ file: bootstrap }, 'first start: an admin API token was written to this file');
  return app;
}
