export { build, DEFAULT_PORT, SERVICE, type BuildOptions, type RendezvousHandle } from './app.js';
export {
  CONFIG_SCHEMA,
  ConfigError,
  loadConfig,
  type RendezvousConfig,
  type RateLimitConfig,
  type ReplayGuardMode,
} from './config.js';
export { RendezvousStore, type RegistrationCounts, type RegistrationStatus } from './store/registrations.js';
export { TrustStore, TRUST_LISTS, type TrustList } from './store/trust.js';
export { runRendezvousCli, USAGE, type CliIo } from './cli.js';
