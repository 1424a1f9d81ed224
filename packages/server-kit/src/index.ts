export {
  createApp,
  listen,
  DEFAULT_TIMEOUTS,
  FDO_MAX_MESSAGE_SIZE,
  type AppOptions,
  type RegisteredRoute,
  type ServerTimeouts,
} from './app.js';
export { DOCS_PATH, OPENAPI_PATH } from './openapi.js';
export { databaseReadiness, Readiness, type ReadinessCheck } from './health.js';
export { loggerOptions, type LogSettings } from './logger.js';
export {
  ERROR_MSG_TYPE,
  FDO_BODY_TIMEOUT_MS,
  FDO_PROTOCOL_VERSION,
  fdoRoutes,
  type FdoRequest,
  type FdoResponder,
  type FdoResponse,
  type FdoRoutesOptions,
} from './fdo-routes.js';
export { closesSession, protocolToken, type SessionOutcome, type SessionProtocol } from './fdo-sessions.js';
export {
  addMetrics,
  DURATION_BUCKETS,
  metricSample,
  metricsEndpoint,
  ServiceMetrics,
  type MetricsAccess,
  type MetricsEndpointOptions,
} from './metrics.js';
export type { Counter, Gauge, Histogram } from 'prom-client';
export {
  authenticate,
  documentProtected,
  errorReplySchema,
  managementApi,
  type ApiTokenVerifier,
  type AuditRecorder,
  type AuthenticateOptions,
  type ManagementApiOptions,
} from './management.js';
export { SealedTokenError, SealedTokens, type SealedTokenFailure, type SealedTokensOptions } from './sealed-token.js';
export {
  nodeIo,
  runServiceCli,
  tokensCommand,
  TOKENS_USAGE,
  UsageError,
  type CliCommand,
  type CliIo,
  type ServiceCliOptions,
} from './cli.js';
export { ApiError, guidParam, ownerKeyParam, ownerKeyProperty, timeRangeParams } from './rest.js';
export { fdoKeyKind, privateKeyFromPemText, readOptional, writeOnce } from './key-files.js';
export {
  fileResponse,
  noContentResponse,
  sendVoucherFile,
  voucherDownloadResponse,
  voucherFormatQuery,
} from './rest.js';
export { accessSettings } from './access-settings.js';
export {
  API_TARGET_USAGE,
  apiFetch,
  apiJson,
  apiTargetOf,
  keysCommand,
  KEYS_USAGE,
  Progress,
  type ApiTarget,
  type ListedKey,
} from './operator-cli.js';
export {
  addRateLimit,
  rateLimitConfigOf,
  rateLimitSettings,
  RateLimiter,
  sourceAddress,
  type RateLimitConfig,
} from './rate-limit.js';
export { placementSettings, type PlacementOptions } from './placement-settings.js';
export {
  ConfigError,
  defineConfig,
  definedOverrides,
  InvalidValue,
  kinds,
  loadSettings,
  loggingSettings,
  rotatedSecrets,
  setting,
  showValue,
  type ConfigSchema,
  type Derived,
  type Kind,
  type LoadedSettings,
  type RawValue,
  type Setting,
  type SettingOptions,
  type Settings,
  type SettingSource,
  type SettingValues,
} from './config.js';
export {
  CONFIG_USAGE,
  configCommand,
  effectiveConfig,
  readmeSettingsBlock,
  settingsTable,
  withSettingsBlock,
  type EffectiveSetting,
} from './config-docs.js';
export {
  loadTls,
  tlsConfigOf,
  tlsSettings,
  verifiedClientCertificate,
  type ClientCertificate,
  type ClientCertificatePolicy,
  type LoadedTls,
  type TlsConfig,
} from './tls.js';
