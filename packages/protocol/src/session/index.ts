export * from './cipher-suites.js';
export * from './key-material.js';
export * from './session-crypto.js';
