export * from './errors.js';
export * from './cbor/index.js';
export * from './crypto/index.js';
