/**
 * The owner service: the owner's keys, voucher import, device status, TO0 automation (FDO 1.1 §5.3) so
 * that every imported device can find its owner at first power-up, and TO2 (§5.5) at
 * `POST /fdo/101/msg/60…70` with the ServiceInfo modules an integrator passes in.
 *
 * `build(options)` opens the database (applying migrations), loads or generates the keys, and returns
 * the Fastify app; the TO0 scheduler and the TO2 session sweep start when the app is ready and stop
 * when it closes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeCrypto, SealedTo2Sessions, TO2_REQUEST_TYPES, to2Responder } from '@fdo/protocol';
import type { OwnerServiceInfoModule } from '@fdo/protocol/serviceinfo';
import { certificatesFromPem } from '@fdo/protocol/x509';
import {
  addRateLimit,
  createApp,
  databaseReadiness,
  fdoRoutes,
  loadTls,
  managementApi,
  metricsEndpoint,
} from '@fdo/server-kit';
import { ApiTokenStore, AuditLog, openDatabase, type Database } from '@fdo/storage';
import type { FastifyInstance } from 'fastify';
import { consoleRoutes } from './console.js';
import { loadConfig, type ConfigOverrides, type OwnerConfig } from './config.js';
import { OwnerKeys } from './keys.js';
import { ownerMetrics, type OwnerMetrics } from './metrics.js';
import { checkModuleNames, loadOwnerModules } from './owner-modules.js';
import { CertificateStore } from './profiles/certificates.js';
import { loadIssuingCa, type IssuingCa } from './profiles/issuing-ca.js';
import { Profiles } from './profiles/profiles.js';
import { managementRoutes } from './routes/api/index.js';
import { DeviceStatusStore } from './store/device-status.js';
import { RegistrationStore } from './store/registrations.js';
import { To2SessionStore } from './store/to2-sessions.js';
import { VoucherStore } from './store/vouchers.js';
import { To0Scheduler } from './to0/scheduler.js';
import { OwnerTo2State } from './to2/state.js';
import { to2TokenSealer } from './to2/tokens.js';

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
  to2: OwnerTo2State;
  to2Sessions: To2SessionStore;
  /** Counters and histograms of this instance (TO2 reports `onboardings` here). */
  metrics: OwnerMetrics;
  /** Credential profiles and the issuing CA, when profiles are configured (or the CA files given). */
  profiles: Profiles | null;
  issuingCa: IssuingCa | null;
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
  /**
   * ServiceInfo modules offered in TO2 (devmod is built in). Each decides per device with `appliesTo`;
   * `forDevices(module, { tags, guids, devmod })` from `@fdo/protocol/serviceinfo` restricts one.
   */
  serviceInfoModules?: readonly OwnerServiceInfoModule[];
}

/** How often expired TO2 sessions are deleted. */
const TO2_SWEEP_INTERVAL_MS = 60_000;
/** How often the CRL is rewritten (its nextUpdate is days ahead). */
const CRL_REFRESH_MS = 86_400_000;

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
  const { now = Date.now, random, serviceInfoModules = [], ...overrides } = options;
  const config = loadConfig(process.env, overrides);
  const deviceCas = readDeviceCas(config.deviceCaFiles);
  const tls = loadTls(config.tls, 'FDO_OWNER');
  const app = createApp({
    service: SERVICE,
    logger: config.logger,
    log: { level: config.logLevel, format: config.logFormat },
    apiDocs: config.apiDocs,
    https: tls.https,
  });
  addRateLimit(app, config.rateLimit, now);
  const keys = await OwnerKeys.load(config, (message, fields) => app.log.info(fields, message));
  const db = await openDatabase({ url: config.databaseUrl });
  app.addHook('onClose', () => db.close());
  app.readiness.add('database', databaseReadiness(db));

  const vouchers = new VoucherStore(db.prisma, db.sql);
  const devices = new DeviceStatusStore(db.prisma, db.sql, now);
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
  const to2Sessions = new To2SessionStore(db.sql, devices);
  const to2 = new OwnerTo2State({
    vouchers,
    devices,
    sessions: new SealedTo2Sessions({
      sealer: await to2TokenSealer(db.prisma, config.to2TokenSecrets, now),
      fence: to2Sessions,
      crypto: nodeCrypto,
      ttlSeconds: config.to2.sessionTtlSeconds,
      now,
    }),
    keys,
    log: app.log,
    now,
  });
  const ca = config.issuingCa;
  const issuingCa =
    config.profiles.length > 0 || ca.keyFile !== null ? await loadIssuingCa({ keysDir: config.keysDir, ...ca }) : null;
  const profiles =
    issuingCa === null
      ? null
      : new Profiles({
          profiles: config.profiles,
          prisma: db.prisma,
          ca: issuingCa,
          certificates: new CertificateStore(
            db.prisma,
            issuingCa,
            { file: ca.crlFile, validityDays: ca.crlValidityDays },
            now,
          ),
          certSubject: ca.certSubject,
          certValidityDays: ca.certValidityDays,
        });
  const modules = [
    ...(profiles?.modules() ?? []),
    ...(await loadOwnerModules(config.moduleSpecifiers, { dataDir: config.dataDir, log: app.log })),
    ...serviceInfoModules,
  ];
  checkModuleNames(modules);
  app.decorate('owner', {
    config,
    db,
    keys,
    vouchers,
    devices,
    registrations,
    scheduler,
    tokens,
    to2,
    to2Sessions,
    metrics,
    profiles,
    issuingCa,
  });

  await app.register(fdoRoutes, {
    responder: to2Responder({
      crypto: nodeCrypto,
      state: to2,
      serviceInfoModules: modules,
      now,
      ...config.to2,
    }),
    messageTypes: TO2_REQUEST_TYPES,
    onStart: () => metrics.onboardings.inc({ result: 'started' }),
    onOutcome: (o) => metrics.onboardings.inc({ result: o.outcome }),
  });

  await app.register(managementApi, {
    prefix: '/api/v1',
    tokens,
    audit: new AuditLog(db.prisma, SERVICE),
    clientCertificates: tls.clientCertificates,
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
        profiles,
        wakeScheduler: () => {
          if (config.to0.enabled)
            void scheduler.runOnce().catch((err: unknown) => app.log.error({ err }, 'TO0 round failed'));
        },
      }),
  });

  await app.register(consoleRoutes);

  await app.register(metricsEndpoint, {
    access: config.metricsAuth,
    tokens,
    tokenHint: 'fdo-owner tokens create',
    clientCertificates: tls.clientCertificates,
  });

  if (config.to0.enabled) {
    app.addHook('onReady', async () => scheduler.start());
  }
  app.addHook('preClose', async () => scheduler.stop());
  let sweep: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    sweep = setInterval(() => {
      to2Sessions.purge(new Date(now())).then(
        (count) => count > 0 && app.log.info({ count }, 'expired TO2 sessions removed'),
        (err: unknown) => app.log.warn({ err }, 'could not remove expired TO2 sessions'),
      );
    }, TO2_SWEEP_INTERVAL_MS);
    sweep.unref();
  });
  app.addHook('preClose', async () => clearInterval(sweep));
  if (profiles !== null) {
    const certificates = profiles.certificates;
    await certificates.writeCrl();
    const refresh = setInterval(() => {
      certificates.writeCrl().catch((err: unknown) => app.log.error({ err }, 'could not rewrite the CRL'));
    }, CRL_REFRESH_MS);
    refresh.unref();
    app.addHook('preClose', async () => clearInterval(refresh));
  }

  const bootstrap = await tokens.ensureBootstrapToken(join(config.dataDir, 'admin-token'));
  if (bootstrap !== null) app.log.info({ file: bootstrap }, 'first start: an admin API token was written to this file');
  app.log.info(
    {
      database: db.displayUrl,
      to2Addresses: config.to2Addresses,
      to0: config.to0.enabled ? `every ${config.to0.intervalSeconds} s` : 'off',
      deviceCaCheck: deviceCas.length > 0,
      serviceInfoModules: modules.map((m) => m.name),
      profiles: config.profiles.map((p) => `${p.name} (${p.kind})`),
      ...(issuingCa === null ? {} : { issuingCa: issuingCa.certFile, crlFile: ca.crlFile }),
    },
    'owner ready',
  );
  return app;
}
