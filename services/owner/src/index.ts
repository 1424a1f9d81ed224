export { build, DEFAULT_PORT, type OwnerConfig } from './app.js';
