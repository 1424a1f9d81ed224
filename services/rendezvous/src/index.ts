export { build, DEFAULT_PORT, type RendezvousConfig } from './app.js';
