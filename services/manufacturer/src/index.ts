export { build, DEFAULT_PORT, SERVICE, type ManufacturerConfig } from './app.js';
export { ConfigError, loadConfig } from './config.js';
