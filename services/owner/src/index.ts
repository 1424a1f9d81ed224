export { build, DEFAULT_PORT, SERVICE, type BuildOptions, type OwnerHandle } from './app.js';
export {
  CONFIG_SCHEMA,
  ConfigError,
  KEY_KINDS,
  loadConfig,
  type ConfigOverrides,
  type OwnerConfig,
  type To0Config,
} from './config.js';
export { OwnerKeys, type OwnerKey } from './keys.js';
export {
  DeviceStatusStore,
  type DeviceEvent,
  type DeviceFacts,
  type DeviceFilter,
  type DeviceStatus,
  type RendezvousStatus,
} from './store/device-status.js';
export { RegistrationStore, type ClaimedRegistration, type RendezvousCounts } from './store/registrations.js';
export { DEVICE_STATES, VoucherStore, type DeviceState, type NewVoucher, type VoucherRow } from './store/vouchers.js';
export { To0Scheduler, type RoundResult } from './to0/scheduler.js';
export { VoucherImporter, type ImportResult, type ImportSummary } from './import/importer.js';
export { pemBlocksOf, type PemItem } from './import/pem-stream.js';
export { to2TokenSealer } from './to2/tokens.js';
export { runOwnerCli, USAGE, type CliIo } from './cli.js';
export { parseProfiles, PROFILE_KINDS, type CredentialProfile, type ProfileKind } from './profiles/definitions.js';
export { loadIssuingCa, type IssuingCa } from './profiles/issuing-ca.js';
export { Profiles } from './profiles/profiles.js';
export { CertificateStore, type IssuedCertificate } from './profiles/certificates.js';
export { loadOwnerModules, type OwnerModuleHost } from './owner-modules.js';
