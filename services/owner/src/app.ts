/**
 * The owner service: the owner's keys, voucher import, device status, and TO0 automation (FDO 1.1 §5.3)
 * so that every imported device can find its owner at first power-up. TO2 (§5.5) plugs in later
 * through the `DeviceStatusStore` on the handle.
 *
 * `build(options)` opens the database (applying migrations), loads or generates the keys, and returns
 * the Fastify app; the TO0 scheduler starts when the app is ready and stops when it closes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { certificatesFromPem } from '@fdo/protocol/x509';
import { createApp, databaseReadiness, managementApi, metricsEndpoint } from '@fdo/server-kit';
import { ApiTokenStore, AuditLog, openDatabase, type Database } from '@fdo/storage';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type ConfigOverrides, type OwnerConfig } from './config.js';
import { OwnerKeys } from './keys.js';
import { ownerMetrics, type OwnerMetrics } from './metrics.js';
import { managementRoutes } from './routes/api/index.js';
import { DeviceStatusStore } from './store/device-status.js';
import { RegistrationStore } from './store/registrations.js';
import { VoucherStore } from './store/vouchers.js';
import { To0Scheduler } from './to0/scheduler.js';

export { DEFAULT_PORT } from './config.js';

/** The service's name in logs, API tokens and the audit trail. */
export const SERVICE = 'owner';

/** What a running instance exposes to its host process, to TO2 and to tests. */
export interface OwnerHandle {
  config: OwnerConfig;
  db: Database;
  keys: OwnerKeys;
  vouchers: VoucherStore;
  devices: DeviceStatusStore;
  registrations: RegistrationStore;
  scheduler: To0Scheduler;
  tokens: ApiTokenStore;
  /** Counters and histograms of this instance (TO2 reports `onboardings` here). */
  metrics: OwnerMetrics;
}

declare module 'fastify' {
  interface FastifyInstance {
    owner: OwnerHandle;
  }
}

export interface BuildOptions extends ConfigOverrides {
  /** Milliseconds since the epoch; tests move it to make TO0 work due. */
  now?: () => number;
  /** Random in [0, 1) for backoff jitter. */
  random?: () => number;
}

function readDeviceCas(files: readonly string[]): Uint8Array[] {
  return files.flatMap((file) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(
        `FDO_OWNER_DEVICE_CA_FILES: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
    const certs = certificatesFromPem(text);
    if (certs.length === 0) throw new Error(`FDO_OWNER_DEVICE_CA_FILES: ${file} holds no CERTIFICATE block`);
    return certs;
  });
}

/**
 * Builds the service; configuration comes from `FDO_OWNER_*` variables (and `FDO_OWNER_CONFIG`), with
 * `options` taking precedence. Throws ConfigError, or an Error naming the file at fault.
 */
export async function build(options: BuildOptions = {}): Promise<FastifyInstance> {
  const { now = Date.now, random, ...overrides } = options;
  const config = loadConfig(process.env, overrides);
  const deviceCas = readDeviceCas(config.deviceCaFiles);
  const app = createApp({
    service: SERVICE,
    logger: config.logger,
    log: { level: config.logLevel, format: config.logFormat },
  });
  const keys = await OwnerKeys.load(config, (message, fields) => app.log.info(fields, message));
  const db = await openDatabase({ url: config.databaseUrl });
  app.addHook('onClose', () => db.close());
  app.readiness.add('database', databaseReadiness(db));

  const vouchers = new VoucherStore(db.prisma);
  const devices = new DeviceStatusStore(db.prisma, now);
  const registrations = new RegistrationStore(db.prisma);
  const metrics = ownerMetrics(app.metrics, devices);
  const scheduler = new To0Scheduler({
    config: config.to0,
    store: registrations,
    keys,
    to2Addresses: config.to2Addresses,
    log: app.log,
    now,
    metrics,
    ...(random === undefined ? {} : { random }),
  });
  const tokens = new ApiTokenStore(db.prisma, SERVICE);
  app.decorate('owner', { config, db, keys, vouchers, devices, registrations, scheduler, tokens, metrics });

  await app.register(managementApi, {
    prefix: '/api/v1',
    tokens,
    audit: new AuditLog(db.prisma, SERVICE),
    tokenHint: 'fdo-owner tokens create --name NAME --scope read|write|admin',
    routes: (api) =>
      managementRoutes(api, {
        vouchers,
        devices,
        registrations,
        keys,
        deviceCas,
        importMaxBytes: config.importMaxBytes,
        now,
        metrics,
        wakeScheduler: () => {
          if (config.to0.enabled)
            void scheduler.runOnce().catch((err: unknown) => app.log.error({ err }, 'TO0 round failed'));
        },
      }),
  });

  await app.register(metricsEndpoint, { access: config.metricsAuth, tokens, tokenHint: 'fdo-owner tokens create' });

  if (config.to0.enabled) {
    app.addHook('onReady', async () => scheduler.start());
  }
  app.addHook('preClose', async () => scheduler.stop());

  const bootstrap = await tokens.ensureBootstrapToken(join(config.dataDir, 'admin-token'));
  if (bootstrap !== null) app.log.info({ file: bootstrap }, 'first start: an admin API token was written to this file');
  app.log.info(
    {
      database: db.displayUrl,
      to2Addresses: config.to2Addresses,
      to0: config.to0.enabled ? `every ${config.to0.intervalSeconds} s` : 'off',
      deviceCaCheck: deviceCas.length > 0,
    },
    'owner ready',
  );
  return app;
}
