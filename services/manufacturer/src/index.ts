export { build, DEFAULT_PORT, type ManufacturerConfig } from './app.js';
