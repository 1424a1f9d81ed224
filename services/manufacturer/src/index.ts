export { build, DEFAULT_PORT, SERVICE, type ManufacturerConfig } from './app.js';
export { CONFIG_SCHEMA, ConfigError, loadConfig } from './config.js';
export { runManufacturerCli, USAGE } from './cli.js';
